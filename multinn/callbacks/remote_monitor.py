"""RemoteMonitor: posts each epoch's logs to an HTTP server (Keras 2's, through `requests`)."""
from __future__ import annotations

import json
import warnings
from typing import Any

from multinn import backend as K

from .callback import Callback


def _requests() -> Any:
    """The `requests` module, which RemoteMonitor sends with (looked up at each send, so mocks apply)."""
    try:
        import requests
    except ImportError:
        raise ImportError("RemoteMonitor requires the `requests` package: pip install requests") from None
    return requests


def _json_value(value: Any) -> Any:
    """A log value as JSON can hold it: tensors and NumPy values become Python numbers or lists."""
    if isinstance(value, K.Tensor):
        value = value.numpy()
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else value


class RemoteMonitor(Callback):
    """Sends the logs of every epoch to a server with an HTTP POST (Keras 2's `RemoteMonitor`).

    The payload is `{"epoch": epoch, **logs}` JSON-encoded: by default inside a form under
    `field`, or as the request body with `send_as_json=True`. A server that cannot be reached
    gives a warning, not an error. Requires the `requests` package.

    Args:
        root: root URL of the server.
        path: path under `root` that receives the events.
        field: the form field holding the JSON (when not `send_as_json`).
        headers: optional HTTP headers.
        send_as_json: send the payload as an application/json body.

    Example:
        >>> from multinn.callbacks import RemoteMonitor
        >>> monitor = RemoteMonitor(root="http://localhost:9000", send_as_json=True)
        >>> monitor.root + monitor.path
        'http://localhost:9000/publish/epoch/end/'
    """

    def __init__(
        self,
        root: str = "http://localhost:9000",
        path: str = "/publish/epoch/end/",
        field: str = "data",
        headers: "dict | None" = None,
        send_as_json: bool = False,
    ):
        super().__init__()
        _requests()  # a missing package is reported where the callback is made, not after an epoch
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch: int, logs: "dict | None" = None) -> None:
        requests = _requests()
        send = {"epoch": epoch}
        send.update((key, _json_value(value)) for key, value in (logs or {}).items())
        url = self.root + self.path
        try:
            if self.send_as_json:
                requests.post(url, json=send, headers=self.headers)
            else:
                requests.post(url, {self.field: json.dumps(send)}, headers=self.headers)
        except requests.exceptions.RequestException:
            warnings.warn(f"Warning: could not reach RemoteMonitor root server at {self.root}", stacklevel=2)
