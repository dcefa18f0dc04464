"""What differs between the Python versions multinn supports (3.10 and newer), in one place."""
from __future__ import annotations

import sys


def add_note(error: BaseException, note: str) -> None:
    """Attaches `note` to `error` for its traceback (PEP 678's add_note, Python 3.11+).

    Python 3.10 has no add_note and its tracebacks print no `__notes__`, so there the note
    goes on a new line of the message of an error whose message is its only argument (a
    ValueError, a TypeError...), and into `__notes__` for any other (a KeyError, whose
    message is its key's repr), where the `exceptiongroup` backport's tracebacks show it.

    Example:
        >>> error = ValueError("shapes differ")
        >>> add_note(error, "(while inferring a shape)")
        >>> "\\n".join([str(error)] + getattr(error, "__notes__", []))
        'shapes differ\\n(while inferring a shape)'
    """
    if sys.version_info >= (3, 11):
        error.add_note(note)
        return
    if len(error.args) == 1 and isinstance(error.args[0], str) and str(error) == error.args[0]:
        error.args = (f"{error.args[0]}\n{note}",)
        return
    notes = getattr(error, "__notes__", None)
    if not isinstance(notes, list):
        notes = []
        try:
            error.__notes__ = notes
        except AttributeError:  # an exception type that refuses new attributes
            return
    notes.append(note)
