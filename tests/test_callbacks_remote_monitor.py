"""RemoteMonitor against a real HTTP server on localhost, and with `requests.post` mocked."""
from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import numpy as np
import pytest
import requests  # in the `test` extra: RemoteMonitor's own dependency

from multinn import backend as K
from multinn.callbacks import RemoteMonitor
from multinn.layers import Dense
from multinn.models import Sequential


@pytest.fixture
def server():
    """A local server that records (path, content type, body) of every POST."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append((self.path, self.headers["Content-Type"], body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", received
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("send_as_json", [False, True])
def test_fit_posts_each_epochs_logs(server, send_as_json, backend_name):
    root, received = server
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)).astype(np.float32), rng.normal(size=(16, 1)).astype(np.float32)
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile("sgd", "mse", metrics=["mae"])
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0, validation_data=(x, y),
                        callbacks=[RemoteMonitor(root=root, path="/events", send_as_json=send_as_json)])

    assert [path for path, _, _ in received] == ["/events", "/events"]
    for epoch, (_, content_type, body) in enumerate(received):
        if send_as_json:
            assert content_type == "application/json"
            payload = json.loads(body)
        else:
            assert content_type == "application/x-www-form-urlencoded"
            payload = json.loads(urllib.parse.parse_qs(body)["data"][0])
        assert payload["epoch"] == epoch
        for key in ("loss", "mae", "val_loss", "val_mae"):
            assert payload[key] == pytest.approx(history.history[key][epoch], rel=1e-6)


def test_tensor_and_array_values_become_json_numbers():
    monitor = RemoteMonitor(field="payload", headers={"X-Run": "7"})
    with mock.patch("requests.post") as post:
        monitor.on_epoch_end(3, {"loss": np.float32(0.5), "w": K.constant([1.0, 2.0]), "name": "run"})
    (url, form), kwargs = post.call_args
    assert url == "http://localhost:9000/publish/epoch/end/" and kwargs == {"headers": {"X-Run": "7"}}
    assert json.loads(form["payload"]) == {"epoch": 3, "loss": 0.5, "w": [1.0, 2.0], "name": "run"}


def test_unreachable_server_warns():
    monitor = RemoteMonitor()
    with mock.patch("requests.post", side_effect=requests.exceptions.ConnectionError("refused")):
        with pytest.warns(UserWarning, match="could not reach RemoteMonitor root server at http://localhost:9000"):
            monitor.on_epoch_end(0, {"loss": 1.0})


def test_missing_requests_names_the_package():
    with mock.patch.dict("sys.modules", {"requests": None}):
        with pytest.raises(ImportError, match="requires the `requests` package"):
            RemoteMonitor()
