"""Run under `mpiexec -n 2 python tests/distribute_worker.py SCENARIO` by tests/test_distribute_mpi.py.

Each scenario asserts on every rank against references computed another way (hand-written
NumPy, or one process training on the whole batch) and prints 'OK rank R' at the end.
MULTINN_BACKEND picks the backend (the CuPy stand-in where PYTHONPATH carries its shim).
"""
from __future__ import annotations

import contextlib
import io
import os
import pathlib
import sys
import warnings

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import multinn  # noqa: E402
from multinn import backend as K, distribute, optimizers  # noqa: E402
from multinn.layers import Dense  # noqa: E402

warnings.simplefilter("ignore", RuntimeWarning)  # the stand-in's host-staging warning
distribute.init()
RANK, SIZE = distribute.rank(), distribute.size()
assert SIZE == 2, SIZE


def collectives() -> None:
    base = np.arange(6, dtype=np.float64).reshape(2, 3)
    for dtype in ("float32", "float64", "float16", "int64", "int32"):
        mine = (base * (RANK + 1)).astype(dtype)
        total = K.eval(distribute.allreduce(K.constant(mine, dtype=dtype), average=False))
        assert total.dtype == np.dtype(dtype) and np.array_equal(total, (base * 3).astype(dtype)), (dtype, total)
        mean = K.eval(distribute.allreduce(K.constant(mine, dtype=dtype), average=True))
        expected = base * 1.5 if dtype.startswith("float") else (base * 3).astype(dtype) // 2
        np.testing.assert_allclose(mean, expected, rtol=1e-3)
        assert mean.dtype == np.dtype(dtype)
    # allgather: rank r brings r + 1 rows of value r
    gathered = K.eval(distribute.allgather(K.constant(np.full((RANK + 1, 2), float(RANK)))))
    np.testing.assert_array_equal(gathered, np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]]))
    # broadcast from rank 1
    got = K.eval(distribute.broadcast(K.constant([10.0 * RANK, 1.0]), root_rank=1))
    np.testing.assert_array_equal(got, [10.0, 1.0])
    # a shape mismatch is an error on every rank, not a hang
    try:
        distribute.allreduce(K.ones((RANK + 1,)), name="mismatch")
    except ValueError as exc:
        assert "same shape" in str(exc) and "mismatch" in str(exc), exc
    else:
        raise AssertionError("no error on a shape mismatch")
    # broadcast_variables sets variables in place
    v = K.variable([float(RANK), 5.0])
    distribute.broadcast_variables([v], root_rank=0)
    np.testing.assert_array_equal(K.get_value(v), [0.0, 5.0])
    # the fused exchange equals one exchange per array, whatever the buffer size
    grads = [np.arange(5, dtype=np.float32) + RANK, np.ones((2, 2), np.float32) * RANK, np.array([RANK], np.int64)]
    backend = K.constant(0.0).backend
    coll = distribute.world.collectives_for(backend)
    for fusion in (0, 8, 1 << 20):
        out = [backend.to_numpy(a) for a in coll.allreduce_many([backend.asarray(g) for g in grads], True, fusion)]
        np.testing.assert_allclose(out[0], np.arange(5) + 0.5)
        np.testing.assert_allclose(out[1], np.full((2, 2), 0.5))
        np.testing.assert_array_equal(out[2], [0])


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.normal(size=(16, 2)).astype("float32")
    return x, y


def _shard(a, batch):
    """Rank RANK's half of every global batch of `batch` rows (equal shards: the mean of the
    shard means is the global batch's mean)."""
    per = batch // SIZE
    return a.reshape(len(a) // batch, SIZE, per, *a.shape[1:])[:, RANK].reshape(-1, *a.shape[1:])


def _model(seed):
    multinn.utils.set_random_seed(seed)
    return multinn.Sequential([Dense(3, activation="tanh", input_shape=(4,)), Dense(2)])


def _reference(initial, x, y, batch, epochs):
    """One process on the whole batch, from the same initial weights, plain SGD."""
    ref = _model(0)
    ref.set_weights(initial)
    ref.compile(optimizers.SGD(learning_rate=0.1, momentum=0.9), "mse")
    ref.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0)
    return ref.get_weights()


def _same_on_every_rank(weights):
    for w in weights:
        both = K.eval(distribute.allgather(K.constant(w[None], dtype=str(w.dtype))))
        np.testing.assert_array_equal(both[0], both[1])


def train(tmp: str) -> None:
    x, y = _data()
    batch, epochs = 8, 3
    model = _model(100 + RANK)  # different initial weights per rank until the broadcast
    model.compile(distribute.DistributedOptimizer(optimizers.SGD(learning_rate=0.1, momentum=0.9)), "mse")
    initial = [K.eval(distribute.broadcast(w, 0)) for w in model.weights]
    ckpt_dir = pathlib.Path(tmp) / f"rank{RANK}"
    ckpt_dir.mkdir()
    cbs = [distribute.callbacks.BroadcastGlobalVariablesCallback(0), distribute.callbacks.MetricAverageCallback(),
           multinn.callbacks.ModelCheckpoint(str(ckpt_dir / "w{epoch}.h5"), save_weights_only=True)]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        history = model.fit(_shard(x, batch), _shard(y, batch), batch_size=batch // SIZE, epochs=epochs,
                            shuffle=False, verbose=1, callbacks=cbs)
    # fit on 2 shards == one process on the whole batch, and every rank holds the same weights
    expected = _reference(initial, x, y, batch, epochs)
    for got, want in zip(model.get_weights(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    _same_on_every_rank(model.get_weights())
    # MetricAverageCallback: the logged loss is the same on both ranks
    losses = K.eval(distribute.allgather(K.constant([history.history["loss"][-1]], dtype="float64")))
    assert losses[0] == losses[1], losses
    # only rank 0 prints progress bars and writes checkpoints
    if RANK == 0:
        assert "Epoch 1/3" in printed.getvalue() and sorted(os.listdir(ckpt_dir)) == ["w1.h5", "w2.h5", "w3.h5"]
    else:
        assert printed.getvalue() == "" and os.listdir(ckpt_dir) == [], (printed.getvalue(), os.listdir(ckpt_dir))

    # a custom loop over K.gradients + apply_gradients, and one over get_gradients
    for use_get_gradients in (False, True):
        model = _model(7)
        weights = model.trainable_weights
        opt = distribute.DistributedOptimizer(optimizers.SGD(learning_rate=0.1, momentum=0.9),
                                              fusion_threshold_bytes=64)
        start = model.get_weights()
        xs, ys = _shard(x, batch), _shard(y, batch)
        for epoch in range(epochs):
            for b in range(len(xs) // (batch // SIZE)):
                sl = slice(b * batch // SIZE, (b + 1) * batch // SIZE)
                loss = K.mean(K.square(model(K.constant(xs[sl])) - K.constant(ys[sl])))  # the mse fit minimizes
                if use_get_gradients:
                    grads = opt.get_gradients(loss, weights)
                else:
                    grads = K.gradients(loss, weights)
                opt.apply_gradients(zip(grads, weights))
        expected = _reference(start, x, y, batch, epochs)
        for got, want in zip(model.get_weights(), expected):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        _same_on_every_rank(model.get_weights())


def _bn_model(seed, layer):
    multinn.utils.set_random_seed(seed)
    return multinn.Sequential([Dense(3, input_shape=(4,)), layer(momentum=0.8), Dense(2)])


def sync_batch_norm() -> None:
    """SyncBatchNormalization on 2 shards == BatchNormalization in one process on the whole batch
    (weights and moving statistics); plain BatchNormalization (per-replica statistics) is not."""
    x, y = _data()
    x = x * np.array([1.0, 3.0, 0.5, 2.0], np.float32) + 1.0  # statistics far from (0, 1)
    batch, epochs = 8, 3
    start = _bn_model(11, multinn.layers.BatchNormalization).get_weights()  # the same seed on every rank
    results = {}
    for name, layer in (("sync", distribute.SyncBatchNormalization), ("local", multinn.layers.BatchNormalization)):
        model = _bn_model(11, layer)
        model.compile(distribute.DistributedOptimizer(optimizers.SGD(learning_rate=0.1, momentum=0.9)), "mse")
        model.set_weights(start)
        model.fit(_shard(x, batch), _shard(y, batch), batch_size=batch // SIZE, epochs=epochs, shuffle=False,
                  verbose=0)
        results[name] = model.get_weights()
    ref = _bn_model(11, multinn.layers.BatchNormalization)
    ref.set_weights(start)
    ref.compile(optimizers.SGD(learning_rate=0.1, momentum=0.9), "mse")
    ref.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0)
    for got, want in zip(results["sync"], ref.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    _same_on_every_rank(results["sync"])
    assert not all(np.allclose(a, b, rtol=1e-4, atol=1e-5) for a, b in zip(results["local"], ref.get_weights()))


if __name__ == "__main__":
    scenario = sys.argv[1]
    if scenario == "collectives":
        collectives()
    elif scenario == "sync_batch_norm":
        sync_batch_norm()
    elif scenario == "train":
        train(sys.argv[2])
    else:
        raise SystemExit(f"unknown scenario {scenario!r}")
    backend = K.constant(0.0).backend
    assert backend.name == os.environ.get("MULTINN_BACKEND", "numpy"), backend.name
    coll = distribute.world.collectives_for(backend)
    print(f"OK rank {RANK} backend={backend.name} transport={coll.name} staged={getattr(coll, 'staged', None)}",
          flush=True)
