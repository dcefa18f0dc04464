"""multinn.distribute in one process: the API with size() == 1, and the averaging, callbacks and
transports against a stand-in process group of 2 whose other rank is simulated (the real
2-process runs are in tests/test_distribute_mpi.py). NCCL's communicator calls are stubbed on
the CuPy stand-in; on a real GPU a one-rank NCCL communicator runs instead."""
from __future__ import annotations

import contextlib
import ctypes
import io
import pickle
import warnings

import numpy as np
import pytest

import multinn
import multinn.backends as registry
from multinn import backend as K, distribute, optimizers
from multinn.backends import process_group
from multinn.backends.collectives import Collectives, _buckets
from multinn.distribute import world
from multinn.layers import Dense


@pytest.fixture(autouse=True)
def fresh_world():
    """Each test starts uninitialized and leaves the process as it found it."""
    saved = dict(world._state)
    world._state.update(group=None, collectives={}, quiet_workers=True)
    yield
    world._state.clear()
    world._state.update(saved)


class FakeGroup:
    """A process group of `size` ranks seen from `rank`; the other ranks mirror this one."""

    kind = "fake"
    comm = mpi = None

    def __init__(self, size=2, rank=0):
        self.size, self.rank, self.local_rank, self.local_size = size, rank, rank, size
        self.bcasts = []

    def allgather_object(self, value):
        return [value] * self.size

    def bcast_object(self, value, root):
        self.bcasts.append((value, root))
        return value

    def barrier(self):
        pass


class FakeCollectives(Collectives):
    """The other rank brings `other` (added elementwise) and broadcasts zeros; calls are recorded."""

    name = "fake"

    def __init__(self, backend, group, other=1.0):
        super().__init__(backend, group)
        self.other = other
        self.sums = []

    def _sum(self, array):
        self.sums.append((tuple(array.shape), str(array.dtype)))
        return array + array.dtype.type(self.other) if hasattr(array.dtype, "type") else array + self.other

    def _gather_rows(self, array, rows):
        return self.xp.concatenate([array, array])

    def _broadcast(self, array, root):
        return array.copy() if root == self.rank else self.xp.zeros_like(array)


def fake_world(size=2, rank=0, other=1.0):
    group = FakeGroup(size, rank)
    backend = K.default_backend()
    world._state["group"] = group
    coll = world._state["collectives"][backend.name] = FakeCollectives(backend, group, other)
    return coll


# ---------------------------------------------------------------- process group and init
def test_init_without_a_launcher_is_one_process(monkeypatch):
    for name in process_group._SIZE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(process_group, "mpi4py_missing", lambda: "mpi4py is not installed")
    distribute.init()
    assert isinstance(world.group(), process_group.LocalGroup)
    assert (distribute.rank(), distribute.size(), distribute.local_rank(), distribute.local_size()) == (0, 1, 0, 1)


def test_init_under_a_launcher_without_mpi4py_names_the_package(monkeypatch):
    monkeypatch.setattr(process_group, "mpi4py_missing", lambda: "mpi4py is not installed (x)")
    monkeypatch.setenv("PMI_SIZE", "4")
    with pytest.raises(ImportError, match=r"one of 4 MPI ranks.*mpi4py"):
        distribute.init()
    assert not distribute.is_initialized()


def test_init_with_mpi4py_is_a_world_of_one():
    pytest.importorskip("mpi4py", reason="needs mpi4py (pip install 'multinn[mpi]')")
    distribute.init()
    assert world.group().kind == "mpi" and distribute.size() == 1 and distribute.rank() == 0


def test_uninitialized_calls_say_to_call_init():
    for call in (distribute.rank, distribute.size, lambda: distribute.allreduce(1.0),
                 lambda: distribute.DistributedOptimizer(optimizers.SGD())):
        with pytest.raises(ValueError, match=r"call multinn.distribute.init\(\) first"):
            call()


def test_launched_size_reads_the_launchers_variables(monkeypatch):
    for name in process_group._SIZE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert process_group.launched_size() == 1
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "3")
    assert process_group.launched_size() == 3


# ---------------------------------------------------------------- collectives, one process
def test_collectives_in_one_process_return_the_values(backend_name):
    distribute.init()
    x = np.arange(6, dtype="float32").reshape(2, 3)
    for out in (distribute.allreduce(x), distribute.allreduce(x, average=False), distribute.allgather(x),
                distribute.broadcast(x, root_rank=0)):
        assert out.backend.name == backend_name
        np.testing.assert_array_equal(K.eval(out), x)
    with pytest.raises(ValueError, match=r"root_rank must be in \[0, 1\)"):
        distribute.broadcast(x, root_rank=1)
    with pytest.raises(TypeError, match="root_rank must be an int"):
        distribute.broadcast(x, root_rank="0")


def test_allreduce_averages_what_the_ranks_bring(backend_name):
    fake_world(other=3.0)
    np.testing.assert_allclose(K.eval(distribute.allreduce(K.constant([1.0, 5.0]))), [2.0, 4.0])
    np.testing.assert_allclose(K.eval(distribute.allreduce(K.constant([1.0, 5.0]), average=False)), [4.0, 8.0])
    ints = K.eval(distribute.allreduce(K.constant([1, 4], dtype="int64")))
    assert ints.dtype == np.int64 and ints.tolist() == [2, 3]  # (1+3)//2, (4+3)//2


def test_fusion_buckets_keep_order_dtype_and_the_limit():
    a = [np.zeros(4, np.float32), np.zeros(4, np.float32), np.zeros(2, np.float64), np.zeros(100, np.float64),
         np.zeros(1, np.float64)]
    assert _buckets(a, 1 << 20) == [[0, 1], [2, 3, 4]]
    assert _buckets(a, 32) == [[0, 1], [2], [3], [4]]
    assert _buckets(a, 0) == [[0], [1], [2], [3], [4]]


def test_fused_exchange_splits_back_into_the_arrays(backend_name):
    coll = fake_world(other=1.0)
    backend = K.default_backend()
    arrays = [backend.asarray(np.arange(6, dtype="float32").reshape(2, 3)), backend.asarray(np.ones(2, "float32"))]
    out = coll.allreduce_many(arrays, average=True, fusion_bytes=1 << 20)
    assert coll.sums == [((8,), "float32")]  # one buffer for both
    np.testing.assert_allclose(backend.to_numpy(out[0]), (np.arange(6).reshape(2, 3) + 1) / 2)
    np.testing.assert_allclose(backend.to_numpy(out[1]), [1.0, 1.0])


# ---------------------------------------------------------------- DistributedOptimizer
def _fit_weights(optimizer, seed=3):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(12, 4)).astype("float32"), rng.normal(size=(12, 2)).astype("float32")
    multinn.utils.set_random_seed(seed)
    model = multinn.Sequential([Dense(3, activation="tanh", input_shape=(4,)), Dense(2)])
    model.compile(optimizer, "mse")
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return model.get_weights()


@pytest.mark.parametrize("make", [lambda: optimizers.SGD(0.1, momentum=0.9), lambda: optimizers.Adam(0.01)])
def test_one_process_trains_exactly_as_the_plain_optimizer(backend_name, make):
    distribute.init()
    for got, want in zip(_fit_weights(distribute.DistributedOptimizer(make())), _fit_weights(make())):
        np.testing.assert_array_equal(got, want)


def test_gradients_are_averaged_before_the_update(backend_name):
    coll = fake_world(other=1.0)  # the other rank's gradient is all ones
    w = K.variable([1.0, 2.0])
    opt = distribute.DistributedOptimizer(optimizers.SGD(learning_rate=0.1))
    opt.apply_gradients([(K.constant([1.0, 3.0]), w)])
    np.testing.assert_allclose(K.get_value(w), [1.0 - 0.1 * 1.0, 2.0 - 0.1 * 2.0], rtol=1e-6)
    assert len(coll.sums) == 1


def test_clipnorm_sees_the_averaged_gradient(backend_name):
    fake_world(other=1.0)
    w = K.variable([0.0, 0.0])
    opt = distribute.DistributedOptimizer(optimizers.SGD(learning_rate=1.0, clipnorm=1.0))
    opt.apply_gradients([(K.constant([5.0, 5.0]), w)])  # averaged (3, 3), norm 4.24 -> scaled to norm 1
    np.testing.assert_allclose(K.get_value(w), [-1 / np.sqrt(2), -1 / np.sqrt(2)], rtol=1e-5)


def test_get_gradients_then_apply_gradients_exchanges_once(backend_name):
    coll = fake_world(other=1.0)
    w = K.variable([1.0, 2.0])
    opt = distribute.DistributedOptimizer(optimizers.SGD(learning_rate=0.1))
    loss = K.sum(w * K.constant([1.0, 3.0]))  # gradient (1, 3); averaged with ones: (1, 2)
    grads = opt.get_gradients(loss, [w])
    np.testing.assert_allclose(K.eval(grads[0]), [1.0, 2.0])
    opt.apply_gradients(zip(grads, [w]))
    assert len(coll.sums) == 1
    np.testing.assert_allclose(K.get_value(w), [0.9, 1.8], rtol=1e-6)
    opt.get_updates(K.sum(w * K.constant([1.0, 3.0])), [w])  # Keras 2's entry point, eager loss
    assert len(coll.sums) == 2
    np.testing.assert_allclose(K.get_value(w), [0.8, 1.6], rtol=1e-6)


def test_symbolic_get_updates_averages_in_the_step(backend_name):
    coll = fake_world(other=1.0)
    x = K.placeholder(shape=(None, 2))
    w = K.variable([[0.0], [0.0]])
    opt = distribute.DistributedOptimizer(optimizers.SGD(learning_rate=0.5))
    loss = K.sum(K.dot(x, w))  # gradient: column sums of x
    train = K.function([x], [loss], updates=opt.get_updates(loss, [w]))
    train([np.array([[1.0, 3.0]], dtype="float32")])
    np.testing.assert_allclose(K.get_value(w), [[-0.5 * 1.0], [-0.5 * 2.0]], rtol=1e-6)
    assert len(coll.sums) == 1


def test_fp16_compression_sends_half_and_restores_the_dtype(backend_name):
    coll = fake_world(other=1.0)
    w = K.variable([1.0, 2.0])
    opt = distribute.DistributedOptimizer(optimizers.SGD(learning_rate=0.1), compression=distribute.Compression.fp16)
    opt.apply_gradients([(K.constant([1.0, 3.0]), w)])
    assert coll.sums == [((2,), "float16")]
    assert K.dtype(w) == "float32"
    np.testing.assert_allclose(K.get_value(w), [0.9, 1.8], rtol=1e-6)


def test_fusion_threshold_sets_the_number_of_exchanges(backend_name):
    for threshold, expected in ((64 << 20, 1), (0, 2)):
        coll = fake_world(other=0.0)
        a, b = K.variable([1.0]), K.variable([1.0, 1.0])
        opt = distribute.DistributedOptimizer(optimizers.SGD(0.1), fusion_threshold_bytes=threshold)
        opt.apply_gradients([(K.constant([1.0]), a), (K.constant([1.0, 1.0]), b)])
        assert len(coll.sums) == expected


def test_distributed_optimizer_arguments_are_checked():
    distribute.init()
    with pytest.raises(TypeError, match="Received: optimizer='sgd'"):
        distribute.DistributedOptimizer("sgd")
    opt = distribute.DistributedOptimizer(optimizers.SGD())
    with pytest.raises(ValueError, match="already a DistributedOptimizer"):
        distribute.DistributedOptimizer(opt)
    with pytest.raises(ValueError, match="compression="):
        distribute.DistributedOptimizer(optimizers.SGD(), compression="fp16")
    with pytest.raises(ValueError, match="fusion_threshold_bytes=-1"):
        distribute.DistributedOptimizer(optimizers.SGD(), fusion_threshold_bytes=-1)


def test_distributed_optimizer_keeps_the_name_config_and_state_and_pickles(tmp_path):
    distribute.init()
    base = optimizers.Adam(learning_rate=0.02)
    opt = distribute.DistributedOptimizer(base, compression=distribute.Compression.fp16)
    assert type(opt).__name__ == "Adam" and isinstance(opt, optimizers.Adam)
    assert optimizers.serialize(opt) == optimizers.serialize(base)
    assert opt.lr is base.lr  # the state is shared
    w = K.variable([1.0])
    opt.apply_gradients([(K.constant([1.0]), w)])
    again = pickle.loads(pickle.dumps(opt))
    assert type(again).__name__ == "Adam" and again._averager.compression is distribute.Compression.fp16
    np.testing.assert_array_equal(K.get_value(again.iterations), 1)
    # a model saved with it loads without multinn.distribute, with the plain optimizer
    model = multinn.Sequential([Dense(1, input_shape=(2,))])
    model.compile(distribute.DistributedOptimizer(optimizers.SGD(0.3)), "mse")
    model.train_on_batch(np.ones((2, 2), "float32"), np.ones((2, 1), "float32"))
    model.save(str(tmp_path / "m.h5"))
    loaded = multinn.models.load_model(str(tmp_path / "m.h5"))
    assert type(loaded.optimizer) is optimizers.SGD and loaded.optimizer.get_config()["learning_rate"] == 0.3


# ---------------------------------------------------------------- callbacks
def test_broadcast_callback_sets_weights_and_optimizer_state_from_the_root(backend_name):
    fake_world(rank=1)  # the fake root (rank 0) broadcasts zeros
    model = multinn.Sequential([Dense(2, input_shape=(3,), bias_initializer="ones")])
    model.compile(distribute.DistributedOptimizer(optimizers.Adam()), "mse")
    cb = distribute.callbacks.BroadcastGlobalVariablesCallback(0)
    cb.set_model(model)
    cb.on_train_begin()
    assert all(not K.get_value(w).any() for w in model.weights)
    assert len(model.optimizer.weights) == 1 + 2 * len(model.trainable_weights)  # slots made, then broadcast
    assert cb.broadcast_done


def test_metric_average_callback_averages_every_log_value(backend_name):
    fake_world(other=3.0)
    logs = {"loss": 1.0, "val_acc": 0.5, "acc": np.float32(2.0)}
    distribute.callbacks.MetricAverageCallback().on_epoch_end(0, logs)
    assert logs == {"loss": 2.0, "val_acc": 1.75, "acc": 2.5}


class _Recorder(multinn.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_batch_begin(self, batch, logs=None):
        opt = self.model.optimizer
        self.seen.append((float(K.get_value(opt.lr)), float(K.get_value(opt.momentum))))


def test_warmup_climbs_from_lr_over_size_to_lr_with_momentum_correction():
    fake_world(size=4)
    model = multinn.Sequential([Dense(1, input_shape=(1,))])
    model.compile(optimizers.SGD(learning_rate=0.05, momentum=0.9), "mse")
    warmup = distribute.callbacks.LearningRateWarmupCallback(initial_lr=0.4, warmup_epochs=2, verbose=1)
    rec = _Recorder()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        history = model.fit(np.ones((4, 1), "float32"), np.ones((4, 1), "float32"), batch_size=2, epochs=3,
                            callbacks=[warmup, rec], verbose=0)
    lrs = [lr for lr, _ in rec.seen]
    # lr = 0.4 / 4 * (e * 3 / 2 + 1), e = epoch + (batch + 1) / 2, up to 0.4; from epoch 2 on it is left alone
    expected = [0.4 / 4 * (e * 3 / 2 + 1) for e in (0.5, 1.0, 1.5, 2.0)] + [0.4] * 2
    np.testing.assert_allclose(lrs, expected, rtol=1e-6)
    # momentum scaled by new/old while the rate changes, restored after each batch
    olds = [0.05] + lrs[:3]
    np.testing.assert_allclose([m for _, m in rec.seen[:4]], [0.9 * n / o for n, o in zip(lrs[:4], olds)], rtol=1e-5)
    np.testing.assert_allclose([m for _, m in rec.seen[4:]], [0.9, 0.9], rtol=1e-6)
    assert float(K.get_value(model.optimizer.momentum)) == pytest.approx(0.9)
    np.testing.assert_allclose(history.history["lr"][:2], [lrs[1], lrs[3]], rtol=1e-6)
    assert "Epoch 2: finished gradual learning rate warmup to" in out.getvalue()


def test_warmup_arguments_are_checked():
    with pytest.raises(ValueError, match="warmup_epochs=0"):
        distribute.callbacks.LearningRateWarmupCallback(0.1, warmup_epochs=0)
    with pytest.raises(ValueError, match="steps_per_epoch=0"):
        distribute.callbacks.LearningRateWarmupCallback(0.1, steps_per_epoch=0)


def test_workers_print_no_progress_and_write_no_checkpoints(tmp_path):
    for rank, quiet, expect_output in ((1, True, False), (0, True, True), (1, False, True)):
        fake_world(rank=rank)
        world._state["quiet_workers"] = quiet
        model = multinn.Sequential([Dense(1, input_shape=(1,))])
        model.compile(optimizers.SGD(), "mse")
        folder = tmp_path / f"{rank}-{quiet}"
        folder.mkdir()
        ckpt = multinn.callbacks.ModelCheckpoint(str(folder / "w{epoch}.h5"), save_weights_only=True)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            model.fit(np.ones((2, 1), "float32"), np.ones((2, 1), "float32"), epochs=1, verbose=1, callbacks=[ckpt],
                      validation_data=(np.ones((2, 1), "float32"), np.ones((2, 1), "float32")))
        assert bool(out.getvalue()) == expect_output, out.getvalue()
        assert bool(list(folder.iterdir())) == expect_output


# ---------------------------------------------------------------- transports
class FakeNcclCommunicator:
    """cupy.cuda.nccl's communicator with its calls stubbed: the other ranks bring the same data
    (allReduce multiplies by the rank count), and a non-root rank receives 7s. It reads and
    writes the stand-in's arrays through their addresses, as NCCL would on a device."""

    def __init__(self, ndev, uid, rank):
        self.ndev, self.uid, self.rank = ndev, uid, rank
        self.calls = []

    @staticmethod
    def _view(ptr, count, dtype_code):
        dtype = np.dtype(FakeNccl.DTYPES[dtype_code])
        return np.frombuffer((ctypes.c_char * (count * dtype.itemsize)).from_address(ptr), dtype=dtype, count=count)

    def allReduce(self, send, recv, count, dtype, op, stream):
        self.calls.append(("allReduce", count, dtype, op, stream))
        self._view(recv, count, dtype)[:] = self._view(send, count, dtype) * self.ndev

    def allGather(self, send, recv, count, dtype, stream):
        self.calls.append(("allGather", count, dtype, stream))
        out = self._view(recv, count * self.ndev, dtype)
        for r in range(self.ndev):
            out[r * count:(r + 1) * count] = self._view(send, count, dtype)

    def bcast(self, buf, count, dtype, root, stream):
        self.calls.append(("bcast", count, dtype, root, stream))
        if self.rank != root:
            self._view(buf, count, dtype)[:] = 7


class FakeNccl:
    """The parts of cupy.cuda.nccl that NcclCollectives uses."""

    available = True
    NCCL_SUM = 0
    DTYPES = {2: "int32", 4: "int64", 6: "float16", 7: "float32", 8: "float64", 0: "int8", 1: "uint8", 3: "uint32",
              5: "uint64"}
    NCCL_INT8, NCCL_UINT8, NCCL_INT32, NCCL_UINT32, NCCL_INT64, NCCL_UINT64 = 0, 1, 2, 3, 4, 5
    NCCL_FLOAT16, NCCL_FLOAT32, NCCL_FLOAT64 = 6, 7, 8
    NcclCommunicator = FakeNcclCommunicator

    @staticmethod
    def get_unique_id():
        return tuple(range(128))


@pytest.fixture
def standin_cupy(cupy_half):
    if cupy_half != "standin":
        pytest.skip("the stubbed NCCL reads arrays through their addresses: CuPy stand-in only "
                    f"(CuPy here: {cupy_half}; a real GPU runs test_nccl_on_a_real_gpu_with_one_rank)")
    return registry.get("cupy")


def test_nccl_collectives_sum_gather_and_broadcast_through_the_communicator(standin_cupy):
    from multinn.backends.nccl_collectives import NcclCollectives

    backend, group = standin_cupy, FakeGroup(size=2, rank=1)
    coll = NcclCollectives(backend, group, FakeNccl)
    assert group.bcasts == [(None, 0)] and coll.comm.rank == 1 and coll.comm.ndev == 2  # rank 1 receives the id
    x = backend.asarray(np.arange(6, dtype="float32").reshape(2, 3))
    np.testing.assert_array_equal(backend.to_numpy(coll.allreduce(x, average=False)), np.arange(6).reshape(2, 3) * 2)
    np.testing.assert_array_equal(backend.to_numpy(coll.allreduce(x, average=True)), np.arange(6).reshape(2, 3))
    assert coll.comm.calls[0] == ("allReduce", 6, FakeNccl.NCCL_FLOAT32, FakeNccl.NCCL_SUM, 0)
    ints = backend.asarray(np.array([3, 5], dtype="int64"))
    np.testing.assert_array_equal(backend.to_numpy(coll.allreduce(ints)), [3, 5])
    assert coll.comm.calls[-1][2] == FakeNccl.NCCL_INT64
    np.testing.assert_array_equal(backend.to_numpy(coll.allgather(x)), np.concatenate([np.arange(6).reshape(2, 3)] * 2))
    np.testing.assert_array_equal(backend.to_numpy(coll.broadcast(x, root=0)), np.full((2, 3), 7.0))
    np.testing.assert_array_equal(backend.to_numpy(coll.broadcast(x, root=1)), np.arange(6).reshape(2, 3))
    fused = coll.allreduce_many([x, backend.asarray(np.ones(2, "float32"))], average=True)
    assert coll.comm.calls[-1][:2] == ("allReduce", 8)
    np.testing.assert_array_equal(backend.to_numpy(fused[1]), [1.0, 1.0])
    with pytest.raises(TypeError, match="NCCL has no datatype for arrays of dtype bool"):
        coll.allreduce(backend.asarray(np.array([True])))


def test_nccl_allgather_pads_uneven_rows(standin_cupy):
    from multinn.backends.nccl_collectives import NcclCollectives

    group = FakeGroup(size=2, rank=0)
    group.allgather_object = lambda value: [value, ((3,) + value[0][1:], value[1])]  # rank 1 has 3 rows
    coll = NcclCollectives(standin_cupy, group, FakeNccl)
    assert group.bcasts == [(tuple(range(128)), 0)]
    x = standin_cupy.asarray(np.array([[1.0], [2.0]], dtype="float32"))
    got = standin_cupy.to_numpy(coll.allgather(x))
    # every rank sent 3 padded rows; rank 0's 2 are kept, then rank 1's 3 (the stub echoes rank 0's)
    np.testing.assert_array_equal(got, [[1.0], [2.0], [1.0], [2.0], [0.0]])
    assert coll.comm.calls[-1] == ("allGather", 3, FakeNccl.NCCL_FLOAT32, 0)


def test_cupy_without_nccl_falls_back_to_host_staging_with_a_warning(standin_cupy, monkeypatch):
    from multinn.backends import cupy_backend

    monkeypatch.setattr(cupy_backend, "_import_nccl", lambda: None)
    with pytest.warns(RuntimeWarning, match=r"NCCL is unusable.*MPI through host memory"):
        coll = standin_cupy.collectives(FakeGroup(size=2))
    assert coll.name == "mpi" and coll.staged
    monkeypatch.setenv("MULTINN_MPI_CUDA_AWARE", "1")
    with pytest.warns(RuntimeWarning, match="CUDA-aware MPI on device buffers"):
        assert not standin_cupy.collectives(FakeGroup(size=2)).staged
    monkeypatch.setattr(cupy_backend, "_import_nccl", lambda: FakeNccl)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert standin_cupy.collectives(FakeGroup(size=2)).name == "nccl"


def test_a_group_of_one_uses_the_identity_on_every_backend(backend_name):
    coll = K.default_backend().collectives(process_group.LocalGroup())
    assert coll.name == "local"


def test_numpy_arrays_go_to_mpi_unstaged():
    assert not registry.get("numpy").collectives(FakeGroup(size=2)).staged


def test_nccl_on_a_real_gpu_with_one_rank(cupy_half):
    if cupy_half != "gpu":
        pytest.skip(f"needs a real CuPy with a CUDA device (CuPy here: {cupy_half})")
    from multinn.backends.cupy_backend import _import_nccl
    from multinn.backends.nccl_collectives import NcclCollectives, nccl_unusable_reason

    nccl = _import_nccl()
    reason = nccl_unusable_reason(nccl)
    if reason is not None:
        pytest.skip(f"CuPy's NCCL is unusable here: {reason}")
    backend = registry.get("cupy")
    coll = NcclCollectives(backend, process_group.LocalGroup(), nccl)
    x = backend.asarray(np.arange(6, dtype="float32").reshape(2, 3))
    np.testing.assert_array_equal(backend.to_numpy(coll.allreduce(x, average=False)), np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(backend.to_numpy(coll.allgather(x)), np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(backend.to_numpy(coll.broadcast(x, 0)), np.arange(6).reshape(2, 3))


# ---------------------------------------------------------------- multi_gpu_model
def test_multi_gpu_model_checks_gpus_as_keras_then_names_multinn_distribute():
    model = multinn.Sequential([Dense(1, input_shape=(2,))])
    for gpus in (1, [0]):
        with pytest.raises(ValueError, match=r"with `gpus >= 2`. Received: `gpus="):
            multinn.utils.multi_gpu_model(model, gpus=gpus)
    with pytest.raises(ValueError, match=r"Received: gpus='2'"):
        multinn.utils.multi_gpu_model(model, gpus="2")
    for gpus, n in ((4, "4"), ([0, 1], "2"), (None, "N")):
        with pytest.raises(ValueError, match=rf"multinn.distribute.*mpiexec -n {n} python train.py.*DistributedOptimizer"):
            multinn.utils.multi_gpu_model(model, gpus=gpus)
    from multinn.utils.multi_gpu_utils import multi_gpu_model

    assert multi_gpu_model is multinn.utils.multi_gpu_model


# ---------------------------------------------------------------- SyncBatchNormalization
class MirrorCollectives(FakeCollectives):
    """Every other rank holds exactly this rank's data."""

    def _sum(self, array):
        self.sums.append((tuple(array.shape), str(array.dtype)))
        return array * self.size


def mirror_world(size=2):
    group = FakeGroup(size)
    backend = K.default_backend()
    world._state["group"] = group
    coll = world._state["collectives"][backend.name] = MirrorCollectives(backend, group)
    return coll


def _batch_norm_reference(x, gamma, beta, epsilon):
    mean, var = x.mean(axis=0), x.var(axis=0)
    return gamma * (x - mean) / np.sqrt(var + epsilon) + beta, mean, var


def test_sync_batch_norm_in_one_process_is_batch_norm(backend_name):
    distribute.init()
    x = np.random.default_rng(0).normal(size=(6, 3)).astype("float32") * 2 + 1
    sync, plain = distribute.SyncBatchNormalization(momentum=0.5), multinn.layers.BatchNormalization(momentum=0.5)
    np.testing.assert_array_equal(K.eval(sync(K.constant(x), training=True)), K.eval(plain(K.constant(x), training=True)))
    np.testing.assert_array_equal(K.get_value(sync.moving_variance), K.get_value(plain.moving_variance))
    assert sync.get_config() == {**plain.get_config(), "name": sync.name}


def test_sync_batch_norm_uses_the_statistics_of_every_rank(backend_name):
    coll = mirror_world(size=2)  # the other rank's batch equals ours: same mean and variance, twice the count
    x = np.random.default_rng(1).normal(size=(5, 3)) * 2 + 1
    bn = distribute.SyncBatchNormalization(momentum=0.5, epsilon=1e-3)
    out = K.eval(bn(K.constant(x.astype("float32")), training=True))
    want, mean, var = _batch_norm_reference(x, 1.0, 0.0, 1e-3)
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-5)
    assert coll.sums == [((7,), "float32")]  # one exchange: [sum (3), sum of squares (3), count]
    np.testing.assert_allclose(K.get_value(bn.moving_mean), 0.5 * mean, rtol=1e-5)
    unbiased = var * 10 / (10 - 1.001)  # the count is both ranks' samples: 10
    np.testing.assert_allclose(K.get_value(bn.moving_variance), 0.5 + 0.5 * unbiased, rtol=1e-4)
    np.testing.assert_allclose(K.eval(bn(K.constant(x.astype("float32")), training=False)),
                               (x - 0.5 * mean) / np.sqrt(0.5 + 0.5 * unbiased + 1e-3), rtol=1e-4, atol=1e-5)


def test_allreduce_sum_gradient_sums_every_ranks_gradient(backend_name):
    mirror_world(size=3)
    from multinn.distribute.sync_batch_norm import allreduce_sum

    # f(x) = sum((3x)^2 * c): d/dx = 18 x c, which the backward's own allreduce (x 3) must give
    c = K.constant([1.0, -2.0], dtype="float64")
    K.check_gradients(lambda x: K.sum(K.square(allreduce_sum(x)) * c), [[0.3, -1.2]])


def test_sync_batch_norm_gradients_float64(backend_name):
    mirror_world(size=2)
    bn = distribute.SyncBatchNormalization(dtype="float64")
    bn.build((None, 2))
    assert K.dtype(bn.gamma) == "float64"
    x = np.random.default_rng(2).normal(size=(4, 2)) + 0.5
    w = K.constant(np.random.default_rng(3).normal(size=(4, 2)))
    K.check_gradients(lambda t: K.sum(bn(t, training=True) * w), [x], rtol=1e-4, atol=1e-6)
