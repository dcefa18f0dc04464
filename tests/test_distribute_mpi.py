"""multinn.distribute across 2 real processes: `mpiexec -n 2 python tests/distribute_worker.py ...`
with the MPI that `pip install 'multinn[mpi]'` brings (mpi4py + the mpich wheel's mpiexec).

The worker asserts on every rank; here we check that both ranks finished and on which backend and
transport they ran (NumPy: MPI buffers; the CuPy stand-in has no NCCL, so MPI through host memory).
"""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
WORKER = ROOT / "tests" / "distribute_worker.py"


def _mpiexec() -> "str | None":
    beside = pathlib.Path(sys.executable).parent / "mpiexec"  # the mpich wheel's, in this environment
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def _launch(backend: str, *args: str, script: pathlib.Path = WORKER) -> str:
    pytest.importorskip("mpi4py", reason="the 2-process tests need mpi4py (pip install 'multinn[mpi]')")
    mpiexec = _mpiexec()
    if mpiexec is None:
        pytest.skip("the 2-process tests need mpiexec (pip install 'multinn[mpi]' brings MPICH's)")
    env = dict(os.environ, MULTINN_BACKEND=backend, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1")
    result = subprocess.run([mpiexec, "-n", "2", sys.executable, str(script), *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    return result.stdout


def _real_nccl() -> bool:
    """A real CuPy with a device whose NCCL works (not the stand-in, which has no NCCL)."""
    from tests.conftest import CUPY_MODE

    if CUPY_MODE != "gpu":
        return False
    from multinn.backends.cupy_backend import _import_nccl
    from multinn.backends.nccl_collectives import nccl_unusable_reason

    return nccl_unusable_reason(_import_nccl()) is None


def _launch_for(backend: str, *args: str) -> str:
    if backend == "cupy" and _real_nccl():
        from multinn.backends.cupy_backend import device_count

        if device_count() < 2:
            pytest.skip("NCCL needs one GPU per rank and this machine has 1 (the NCCL path's stubbed tests "
                        "are in tests/test_distribute.py)")
    return _launch(backend, *args)


def _expect(out: str, backend: str) -> None:
    if backend == "numpy":
        transport = "transport=mpi staged=False"
    else:
        transport = "transport=nccl staged=None" if _real_nccl() else "transport=mpi staged=True"
    for rank in (0, 1):
        assert f"OK rank {rank} backend={backend} {transport}" in out, out


def test_allreduce_allgather_broadcast_across_two_processes(backend_name):
    _expect(_launch_for(backend_name, "collectives"), backend_name)


def test_two_shards_train_to_the_weights_of_one_process_on_the_whole_batch(backend_name, tmp_path):
    _expect(_launch_for(backend_name, "train", str(tmp_path)), backend_name)


def test_sync_batch_normalization_on_two_shards_matches_one_process_on_the_whole_batch(backend_name):
    _expect(_launch_for(backend_name, "sync_batch_norm"), backend_name)


def test_the_distributed_example_runs_under_mpiexec():
    pytest.importorskip("sklearn", reason="the example's digits ship with scikit-learn (pip install 'multinn[examples]')")
    out = _launch("numpy", "--epochs", "2", script=ROOT / "examples" / "distributed_mnist.py")
    assert "2 process(es)" in out and "Same weights on every rank: True" in out
    assert out.count("Epoch 1/2") == 1  # only rank 0 prints progress
    accuracy = float(out.split("Test accuracy (mean over 2 shards): ")[1].split()[0])
    assert accuracy > 0.5, out


def test_scaling_benchmark_smoke_run():
    pytest.importorskip("mpi4py", reason="the benchmark needs mpi4py (pip install 'multinn[mpi]')")
    if _mpiexec() is None:
        pytest.skip("the benchmark needs mpiexec (pip install 'multinn[mpi]' brings MPICH's)")
    out = subprocess.run([sys.executable, "-m", "benchmarks.distributed", "--samples", "256", "--rounds", "1",
                          "--allreduce-repeats", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    assert "scaling efficiency 2 processes" in out.stdout and "Estimate for 8 GPUs over NCCL" in out.stdout


def test_the_8_gpu_estimate_follows_the_ring_allreduce_formula():
    from benchmarks.distributed import estimate

    # compute 10 ms per step; a 2-rank allreduce 2 ms: ratio 0.2, on 8 ranks x 1.75 = 0.35
    est = estimate({"step_seconds": 0.010}, {"allreduce_seconds": 0.002})
    assert est["comm_over_compute_at_ranks"] == pytest.approx(0.35)
    assert est["efficiency_no_overlap"] == pytest.approx(1 / 1.35)
    assert est["efficiency_full_overlap"] == 1.0 and est["speedup_full_overlap"] == 8.0
    assert estimate({"step_seconds": 0.010}, {"allreduce_seconds": 0.010})["efficiency_full_overlap"] == pytest.approx(1 / 1.75)
