"""A guard for calls that must end: a call that is still running after its deadline fails the
test instead of hanging the suite (the thread is left behind as a daemon)."""
from __future__ import annotations

import contextvars
import threading
from typing import Any, Callable

from multinn import backend as K

DEADLINE_S = 60.0  # generous: a hang, not a slow machine, is what this catches


def call_with_deadline(fn: Callable[[], Any], seconds: float = DEADLINE_S) -> Any:
    """`fn()`'s result, or its exception re-raised here; an AssertionError if it has not
    returned after `seconds`."""
    outcome: dict = {}
    context = contextvars.copy_context()  # the caller's per-context state
    backend = K.default_backend().name  # the backend scope is per thread: the caller's holds in the call

    def run():
        try:
            with K.backend_scope(backend):
                outcome["value"] = context.run(fn)
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise AssertionError(f"the call did not return within {seconds} s (a hang)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
