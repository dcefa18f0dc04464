"""Keras's own `mnist_cnn` example network, trained in multinn beside the same network in PyTorch (CPU).

Network (Keras 2.3.1's examples/mnist_cnn.py; 28x28x1 synthetic float32 images, batch 128, 10 classes):
    Conv2D(32, 3, relu) - Conv2D(64, 3, relu) - MaxPooling2D(2) - Dropout(0.25) - Flatten
    - Dense(128, relu) - Dropout(0.5) - Dense(10, softmax), categorical cross-entropy,
    Adadelta (Keras 2.3.1's defaults: lr 1.0, rho 0.95, epsilon 1e-7).
PyTorch runs the same layers (nn.Dropout, CrossEntropyLoss on the logits, torch.optim.Adadelta
with lr=1.0, rho=0.95, eps=1e-7). Neither side computes metrics.

An "epoch-equivalent" is a fixed number of batches (--batches, default 16: 2,048 samples).
Each variant runs in its own worker process (benchmarks/workers.py); after a one-batch
warm-up, the first full epoch is timed on its own (issue 13's warm-up target: within 1.3x of
later epochs), then the workers take turns one epoch at a time, --rounds times, and the ratio
is the median of the ratios within a round, in wall time and in process CPU time.

A third, informational row runs multinn with OPENBLAS_NUM_THREADS=1: on a machine shared
with other busy processes, OpenBLAS's worker threads (which spin while they wait for work)
cost more than they gain, and this row shows how much of a ratio is that. --no-single-blas
leaves it out.

Run: python -m benchmarks.mnist_cnn [--batches 16] [--rounds 4] [--json out.json]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys

BATCH = 128
CLASSES = 10
RHO, EPSILON = 0.95, 1e-7
TARGET = 1.3  # issue 13: training within 1.3x PyTorch CPU
WARMUP_TARGET = 1.3  # the first epoch within 1.3x of later ones


def make_data(batches: int):
    from .common import synthetic_images

    return synthetic_images(batches * BATCH, CLASSES)


# --------------------------------------------------------------------------- variants
def multinn_variant(x, y):
    import multinn
    from multinn import backend as K
    from multinn import layers

    multinn.utils.set_random_seed(1)
    if K.backend() != "numpy":
        x, y = K.constant(x), K.constant(y)
    model = multinn.Sequential([
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(CLASSES, activation="softmax"),
    ])
    model.compile(optimizer=multinn.optimizers.Adadelta(), loss="categorical_crossentropy")

    def epoch(n):
        model.fit(x[:n], y[:n], batch_size=BATCH, epochs=1, verbose=0, shuffle=False)

    return epoch, K.default_backend().synchronize, "Sequential.fit"


def torch_variant(x, y):
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    device = "cuda" if os.environ.get("MULTINN_BACKEND") == "cupy" and torch.cuda.is_available() else "cpu"
    torch.manual_seed(1)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Dropout(0.25), torch.nn.Flatten(),
        torch.nn.Linear(12 * 12 * 64, 128), torch.nn.ReLU(), torch.nn.Dropout(0.5), torch.nn.Linear(128, CLASSES),
    ).to(device)
    opt = torch.optim.Adadelta(net.parameters(), lr=1.0, rho=RHO, eps=EPSILON)
    xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous().to(device)
    labels = torch.from_numpy(y.argmax(axis=1)).to(device)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch(n):
        net.train()
        for start in range(0, n, BATCH):
            opt.zero_grad(set_to_none=True)
            loss_fn(net(xt[start:start + BATCH]), labels[start:start + BATCH]).backward()
            opt.step()

    if device == "cuda":
        return epoch, torch.cuda.synchronize, f"torch {torch.__version__}, CUDA"
    return epoch, lambda: None, f"torch {torch.__version__}, {torch.get_num_threads()} threads"


VARIANTS = {"multinn": multinn_variant, "torch": torch_variant}
# (worker name, variant, extra environment), in turn order
WORKERS = (("multinn", "multinn", {}), ("torch", "torch", {}),
           ("multinn_1blas", "multinn", {"OPENBLAS_NUM_THREADS": "1"}))


def serve_variant(name: str, batches: int) -> None:
    """The worker process of one variant: builds it, warms up on one batch, then runs epochs on request."""
    from .workers import serve_epochs

    serve_epochs(VARIANTS[name], make_data(batches), BATCH, batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variant", choices=sorted(VARIANTS), help="(internal) serve one variant as a worker")
    parser.add_argument("--batches", type=int, default=16, help="batches per epoch-equivalent")
    parser.add_argument("--rounds", type=int, default=4, help="timed epochs per variant, taken in turns")
    parser.add_argument("--no-single-blas", action="store_true", help="leave out the 1-BLAS-thread multinn row")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.variant:
        serve_variant(args.variant, args.batches)
        return
    from .common import write_json
    from .workers import paired_ratio, start_workers, take_turns

    single_blas = not args.no_single_blas and os.environ.get("MULTINN_BACKEND", "numpy") == "numpy"
    workers, how = start_workers([
        (name, [sys.executable, "-m", "benchmarks.mnist_cnn", "--variant", variant, "--batches", str(args.batches)], env)
        for name, variant, env in WORKERS if name != "multinn_1blas" or single_blas])
    first = take_turns(workers, "epoch", 1, warmup=0)  # the first full epoch after the one-batch warm-up
    turns = take_turns(workers, "epoch", args.rounds, warmup=0, field=None)
    for w in workers:
        w.close()
    times = {name: [t["seconds"] for t in ts] for name, ts in turns.items()}
    cpu = {name: [t["cpu_seconds"] for t in ts] for name, ts in turns.items()}
    results = {
        name: {"how": how[name], "first_epoch_s": first[name][0] if name in first else None,
               "epoch_s_best": min(t), "epoch_s_median": statistics.median(t),
               "cpu_s_median": statistics.median(cpu[name]),
               "samples_per_s_median": args.batches * BATCH / statistics.median(t), "epoch_times": t}
        for name, t in times.items()
    }
    for r in results.values():
        r["first_over_later"] = r["first_epoch_s"] / r["epoch_s_median"] if r["first_epoch_s"] else None
    backend = os.environ.get("MULTINN_BACKEND", "numpy")
    print(f"\nKeras mnist_cnn training (Conv32-Conv64-MaxPool-Dropout-Dense128-Dropout-Dense10, Adadelta), "
          f"28x28x1, batch {BATCH}, {args.batches} batches per epoch-equivalent, {args.rounds} epochs per variant "
          f"taken in turns (backend: {backend}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f})")
    print(f"  {'variant':<14}{'best s':>9}{'median s':>10}{'cpu s':>8}{'samples/s':>11}{'1st/later':>11}   how")
    for name, r in results.items():
        print(f"  {name:<14}{r['epoch_s_best']:>9.3f}{r['epoch_s_median']:>10.3f}{r['cpu_s_median']:>8.3f}"
              f"{r['samples_per_s_median']:>11.0f}{r['first_over_later'] or float('nan'):>11.2f}   {r['how']}"
              + (" (OPENBLAS_NUM_THREADS=1)" if name == "multinn_1blas" else ""))
    ratios = {}
    if "multinn" in results and "torch" in results:
        ratios["epoch_vs_torch"] = paired_ratio(times, "multinn", "torch")
        ratios["cpu_vs_torch"] = paired_ratio(cpu, "multinn", "torch")
        target = 1.0 if backend == "cupy" else TARGET
        verdict = "met" if ratios["epoch_vs_torch"] <= target else "MISSED"
        print(f"  ratio multinn / torch (median of per-round ratios): {ratios['epoch_vs_torch']:.3f} wall, "
              f"{ratios['cpu_vs_torch']:.3f} CPU time   (target <= {target:.2f}: {verdict})")
        if "multinn_1blas" in results:
            ratios["single_blas_vs_torch"] = paired_ratio(times, "multinn_1blas", "torch")
            print(f"  informational: multinn with 1 BLAS thread / torch: {ratios['single_blas_vs_torch']:.3f} wall")
    elif "torch" not in results:
        print("  (PyTorch not installed: no ratio; pip install torch to compare)")
    if "multinn" in results and results["multinn"]["first_over_later"] is not None:
        first_ratio = results["multinn"]["first_over_later"]
        ratios["first_over_later"] = first_ratio
        verdict = "met" if first_ratio <= WARMUP_TARGET else "MISSED"
        print(f"  multinn first epoch / median later epoch: {first_ratio:.3f}   "
              f"(target <= {WARMUP_TARGET:.2f}: {verdict})")
    write_json(args.json, {"batch": BATCH, "batches": args.batches, "results": results, "ratios": ratios})


if __name__ == "__main__":
    main()
