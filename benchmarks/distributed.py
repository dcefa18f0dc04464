"""Data-parallel scaling of multinn.distribute: samples/s with 1 and 2 processes, the allreduce
bandwidth for the MLP's gradients, and an estimate of scaling to 8 GPUs over NCCL.

The MLP of benchmarks/mlp.py (784-512-512-10, relu, softmax cross-entropy, SGD lr 0.01) trains
with DistributedOptimizer, batch 128 per process (weak scaling, as Horovod measures: the global
batch grows with the processes). Each run is `mpiexec -n N python -m benchmarks.distributed
--worker ...` with BLAS limited to 1 thread per process, so N processes use N cores.

Measured per configuration: the epoch's wall time on the slowest rank (after a warm-up epoch),
samples/s over all ranks, and, with 2 processes, the time of one allreduce of the MLP's
gradients (2.7 MB of float32 in one fused buffer) -> algorithm bandwidth (bytes / time) and bus
bandwidth (x 2(n-1)/n, NCCL's convention, comparable across rank counts).

The 8-GPU estimate: a ring allreduce over n ranks moves 2(n-1)/n of the buffer through each
link, so at the same link speed the exchange takes 1.75x as long on 8 ranks as on 2. Assuming
a GPU and NCCL keep the compute/communication ratio measured here (both faster by the same
factor), a step costs compute * (1 + 1.75 * ratio) without overlap, and max(compute,
1.75 * ratio * compute) if the exchange overlaps the backward pass fully. That assumption is
the weak point: on NVLink the ratio is usually smaller than over shared memory between two CPU
processes, on PCIe or Ethernet larger. The figures print both bounds.

Run: python -m benchmarks.distributed [--samples 8192] [--rounds 3] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

from benchmarks.common import print_table, write_json

SIZES = (784, 512, 512, 10)
BATCH = 128
LR = 0.01
ROOT = pathlib.Path(__file__).resolve().parent.parent


def _worker(samples: int, rounds: int, allreduce_repeats: int) -> None:
    import numpy as np

    import multinn
    from multinn import backend as K, distribute
    from multinn.layers import Dense

    distribute.init()
    rank, size = distribute.rank(), distribute.size()
    rng = np.random.default_rng(rank)
    x = rng.random((samples, SIZES[0]), dtype=np.float32)
    y = np.eye(SIZES[-1], dtype=np.float32)[rng.integers(0, SIZES[-1], samples)]
    multinn.utils.set_random_seed(1)
    model = multinn.models.Sequential([Dense(SIZES[1], activation="relu", input_shape=(SIZES[0],)),
                                       Dense(SIZES[2], activation="relu"), Dense(SIZES[3], activation="softmax")])
    model.compile(distribute.DistributedOptimizer(multinn.optimizers.SGD(learning_rate=LR)), "categorical_crossentropy")
    distribute.broadcast_weights(model, 0)
    group = distribute.world.group()

    def slowest(seconds: float) -> float:
        return float(K.eval(distribute.allgather(K.constant([seconds], dtype="float64"))).max())

    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)  # warm-up: caches, first-step allocations
    epochs = []
    for _ in range(rounds):
        group.barrier()
        start = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
        K.default_backend().synchronize()
        epochs.append(slowest(time.perf_counter() - start))
    epoch = statistics.median(epochs)

    backend = K.default_backend()
    grads = [backend.asarray(np.ones(K.int_shape(w), np.float32)) for w in model.trainable_weights]
    nbytes = sum(int(g.size) * 4 for g in grads)
    coll = distribute.world.collectives_for(backend)
    times = []
    for _ in range(allreduce_repeats):
        group.barrier()
        start = time.perf_counter()
        coll.allreduce_many(grads, average=True)
        backend.synchronize()
        times.append(slowest(time.perf_counter() - start))
    steps = -(-samples // BATCH)
    if rank == 0:
        print("RESULT " + json.dumps({
            "processes": size, "transport": coll.name, "samples_per_process": samples, "epoch_seconds": epoch,
            "samples_per_second": size * samples / epoch, "step_seconds": epoch / steps, "gradient_bytes": nbytes,
            "allreduce_seconds": statistics.median(times),
        }), flush=True)


def _launch(n: int, samples: int, rounds: int, repeats: int) -> dict:
    mpiexec = pathlib.Path(sys.executable).parent / "mpiexec"
    mpiexec = str(mpiexec) if mpiexec.exists() else shutil.which("mpiexec")
    if mpiexec is None:
        raise SystemExit("benchmarks/distributed.py needs mpiexec and mpi4py: pip install 'multinn[mpi]'")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [mpiexec, "-n", str(n), sys.executable, "-m", "benchmarks.distributed", "--worker", "--samples",
           str(samples), "--rounds", str(rounds), "--allreduce-repeats", str(repeats)]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def estimate(one: dict, two: dict, ranks: int = 8) -> dict:
    """Scaling to `ranks` GPUs from the measured compute time per step (1 process) and the
    allreduce time (2 processes), under the assumption stated in the module docstring."""
    compute = one["step_seconds"]
    ratio = two["allreduce_seconds"] / compute
    ring = (2 * (ranks - 1) / ranks) / (2 * (2 - 1) / 2)  # link traffic on `ranks` vs on 2
    comm = ratio * ring
    no_overlap = 1.0 / (1.0 + comm)
    full_overlap = min(1.0, 1.0 / comm) if comm > 0 else 1.0
    return {"ranks": ranks, "compute_comm_ratio_measured": 1.0 / ratio if ratio else float("inf"),
            "comm_over_compute_at_ranks": comm, "efficiency_no_overlap": no_overlap,
            "efficiency_full_overlap": full_overlap, "speedup_no_overlap": ranks * no_overlap,
            "speedup_full_overlap": ranks * full_overlap}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=8192, help="samples per process per epoch")
    parser.add_argument("--rounds", type=int, default=3, help="timed epochs (median)")
    parser.add_argument("--allreduce-repeats", type=int, default=20)
    parser.add_argument("--json", default=None)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.samples, args.rounds, args.allreduce_repeats)
        return
    one = _launch(1, args.samples, args.rounds, args.allreduce_repeats)
    two = _launch(2, args.samples, args.rounds, args.allreduce_repeats)
    efficiency = two["samples_per_second"] / (2 * one["samples_per_second"])
    mb = two["gradient_bytes"] / 1e6
    algbw = two["gradient_bytes"] / two["allreduce_seconds"] / 1e9
    print_table("MLP 784-512-512-10, batch 128 per process, BLAS 1 thread per process (weak scaling)", [
        ("", "samples/s", "epoch s", "step ms"),
        ("1 process", one["samples_per_second"], one["epoch_seconds"], one["step_seconds"] * 1e3),
        ("2 processes", two["samples_per_second"], two["epoch_seconds"], two["step_seconds"] * 1e3),
    ])
    print(f"  scaling efficiency 2 processes: {efficiency:.2f} (1.00 = perfect; transport: {two['transport']})")
    print_table(f"allreduce of the MLP's gradients ({mb:.2f} MB float32, one fused buffer), 2 processes", [
        ("time ms", two["allreduce_seconds"] * 1e3),
        ("algorithm bandwidth GB/s", algbw),
        ("bus bandwidth GB/s", algbw * 2 * (2 - 1) / 2),
    ])
    est = estimate(one, two)
    print(f"\nEstimate for {est['ranks']} GPUs over NCCL (ring allreduce; the compute/communication ratio measured "
          f"here, {est['compute_comm_ratio_measured']:.1f}:1, assumed to carry over to GPU + NCCL):")
    print(f"  communication / compute per step on {est['ranks']} ranks: {est['comm_over_compute_at_ranks']:.2f}")
    print(f"  efficiency {est['efficiency_no_overlap']:.2f} (speedup {est['speedup_no_overlap']:.1f}x) without overlap, "
          f"{est['efficiency_full_overlap']:.2f} (speedup {est['speedup_full_overlap']:.1f}x) with the exchange "
          "fully overlapping the backward pass")
    write_json(args.json, {"one_process": one, "two_processes": two, "efficiency_2": efficiency,
                           "allreduce_algbw_gbs": algbw, "estimate_8_gpus": est})


if __name__ == "__main__":
    main()
