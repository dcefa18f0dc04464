"""CNN training throughput: multinn beside the same network in PyTorch (CPU with all cores; CUDA beside CuPy).

Network (28x28x1 synthetic float32 images, batch 64, 10 classes):
    Conv2D(32, 3, relu) - MaxPool(2) - Conv2D(64, 3, relu) - MaxPool(2) - Flatten
    - Dense(128, relu) - Dense(10) with softmax cross-entropy, plain SGD (lr 0.01).

An "epoch-equivalent" is a fixed number of batches (--batches, default 100). Each
variant runs in its own worker process, warmed up on one batch; the workers take turns
one epoch at a time (benchmarks/workers.py), --rounds times, and each ratio is the
median of the ratios within a round, in wall time and in process CPU time. The multinn
variant uses Sequential + fit. A third variant, "kernels", runs the same network by
calling the NumPy backend's kernels directly with a hand-written backward: the floor
that multinn's own overhead is measured against.

Run: python -m benchmarks.cnn [--batches 100] [--rounds 6] [--json out.json]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys

BATCH = 64
LR = 0.01
CLASSES = 10


def make_data(batches: int):
    from .common import synthetic_images

    return synthetic_images(batches * BATCH, CLASSES)


# --------------------------------------------------------------------------- variants
def multinn_variant(x, y):
    import multinn
    from multinn import backend as K
    from multinn import layers

    multinn.utils.set_random_seed(1)
    backend = K.default_backend()
    models = getattr(multinn, "models", None)
    have_engine = models is not None and hasattr(models, "Sequential") and hasattr(layers, "Dense") \
        and hasattr(layers, "Flatten")
    if K.backend() != "numpy":
        x, y = K.constant(x), K.constant(y)
    if have_engine:
        model = models.Sequential([
            layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(CLASSES, activation="softmax"),
        ])
        model.compile(optimizer=multinn.optimizers.SGD(learning_rate=LR), loss="categorical_crossentropy")

        def epoch(n):
            model.fit(x[:n], y[:n], batch_size=BATCH, epochs=1, verbose=0, shuffle=False)

        return epoch, backend.synchronize, "Sequential.fit"

    conv1 = layers.Conv2D(32, 3, activation="relu")
    pool1 = layers.MaxPooling2D()
    conv2 = layers.Conv2D(64, 3, activation="relu")
    pool2 = layers.MaxPooling2D()
    w1 = K.variable(K.random_uniform((5 * 5 * 64, 128), -0.1, 0.1))
    b1 = K.variable(K.zeros((128,)))
    w2 = K.variable(K.random_uniform((128, CLASSES), -0.2, 0.2))
    b2 = K.variable(K.zeros((CLASSES,)))

    def forward(xb):
        h = pool2(conv2(pool1(conv1(xb))))
        h = K.relu(K.bias_add(K.dot(K.batch_flatten(h), w1), b1))
        return K.bias_add(K.dot(h, w2), b2)

    forward(K.constant(x[:2]))
    params = conv1.trainable_weights + conv2.trainable_weights + [w1, b1, w2, b2]

    def epoch(n):
        for start in range(0, n, BATCH):
            xb, yb = K.constant(x[start:start + BATCH]), K.constant(y[start:start + BATCH])
            loss = K.mean(K.categorical_crossentropy(yb, forward(xb), from_logits=True))
            for p, g in zip(params, K.gradients(loss, params)):
                p.assign_sub(g * LR)

    return epoch, backend.synchronize, "layers + K.gradients loop"


def torch_variant(x, y):
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    # Beside multinn's CuPy backend, PyTorch runs on the GPU too (CUDA eager), as the issue asks.
    device = "cuda" if os.environ.get("MULTINN_BACKEND") == "cupy" and torch.cuda.is_available() else "cpu"
    torch.manual_seed(1)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(5 * 5 * 64, 128), torch.nn.ReLU(), torch.nn.Linear(128, CLASSES),
    ).to(device)
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous().to(device)
    labels = torch.from_numpy(y.argmax(axis=1)).to(device)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch(n):
        for start in range(0, n, BATCH):
            opt.zero_grad(set_to_none=True)
            loss_fn(net(xt[start:start + BATCH]), labels[start:start + BATCH]).backward()
            opt.step()

    if device == "cuda":
        return epoch, torch.cuda.synchronize, f"torch {torch.__version__}, CUDA"
    return epoch, lambda: None, f"torch {torch.__version__}, {torch.get_num_threads()} threads"


def kernels_variant(x, y):
    """The floor for the NumPy backend: the same network calling its kernels directly, backward by hand."""
    import numpy as np

    from multinn.backends.numpy_backend import NumpyBackend

    b = NumpyBackend()
    rng = np.random.default_rng(1)

    def uniform(shape, fan_in, fan_out):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, shape).astype(np.float32)

    params = [uniform((3, 3, 1, 32), 9, 288), np.zeros(32, np.float32), uniform((3, 3, 32, 64), 288, 576),
              np.zeros(64, np.float32), uniform((1600, 128), 1600, 128), np.zeros(128, np.float32),
              uniform((128, CLASSES), 128, CLASSES), np.zeros(CLASSES, np.float32)]
    one, unit, two = (1, 1), (0, 0), (2, 2)

    def step(xb, yb):
        w1, b1, w2, b2, w3, b3, w4, b4 = params
        a1 = b.conv_forward(xb, w1, one, one, unit, (26, 26), bias=b1, activation="relu")
        p1, arg1 = b.max_pool_with_argmax(a1, two, two, unit, (13, 13))
        a2 = b.conv_forward(p1, w2, one, one, unit, (11, 11), bias=b2, activation="relu")
        p2, arg2 = b.max_pool_with_argmax(a2, two, two, unit, (5, 5))
        f = p2.reshape(len(xb), -1)
        h = np.maximum(f @ w3 + b3, 0)
        z = h @ w4 + b4
        e = np.exp(z - z.max(axis=1, keepdims=True))
        g = (e / e.sum(axis=1, keepdims=True) - yb) / len(xb)
        grads = [None] * 8
        grads[6], grads[7] = h.T @ g, g.sum(axis=0)
        g = (g @ w4.T) * (h > 0)
        grads[4], grads[5] = f.T @ g, g.sum(axis=0)
        g = (g @ w3.T).reshape(p2.shape)
        g = b.max_pool_backprop(arg2, g, (11, 11), two, two, unit)
        g, grads[2], grads[3] = b.conv_backward(g, a2, p1, w2, "relu", True, True, True, one, one, unit)
        g = b.max_pool_backprop(arg1, g, (26, 26), two, two, unit)
        _, grads[0], grads[1] = b.conv_backward(g, a1, xb, w1, "relu", False, True, True, one, one, unit)
        for p, gp in zip(params, grads):
            p -= LR * gp

    def epoch(n):
        for start in range(0, n, BATCH):
            step(x[start:start + BATCH], y[start:start + BATCH])

    return epoch, lambda: None, "NumPy backend kernels called directly, backward by hand"


VARIANTS = {"multinn": multinn_variant, "torch": torch_variant, "kernels": kernels_variant}


def serve_variant(name: str, batches: int) -> None:
    """The worker process of one variant: builds it, warms up on one batch, then runs epochs on request."""
    from .workers import serve_epochs

    serve_epochs(VARIANTS[name], make_data(batches), BATCH, batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variant", choices=sorted(VARIANTS), help="(internal) serve one variant as a worker")
    parser.add_argument("--batches", type=int, default=100, help="batches per epoch-equivalent")
    parser.add_argument("--rounds", type=int, default=6, help="timed epochs per variant, taken in turns")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.variant:
        serve_variant(args.variant, args.batches)
        return
    from .common import write_json
    from .workers import paired_ratio, start_workers, take_turns

    names = [n for n in ("multinn", "torch", "kernels")
             if n != "kernels" or os.environ.get("MULTINN_BACKEND", "numpy") == "numpy"]
    workers, how = start_workers([
        (name, [sys.executable, "-m", "benchmarks.cnn", "--variant", name, "--batches", str(args.batches)], None)
        for name in names])
    turns = take_turns(workers, "epoch", args.rounds, warmup=0, field=None)
    for w in workers:
        w.close()
    times = {name: [t["seconds"] for t in ts] for name, ts in turns.items()}
    cpu = {name: [t["cpu_seconds"] for t in ts] for name, ts in turns.items()}
    results = {
        name: {"how": how[name], "epoch_s_best": min(t), "epoch_s_median": statistics.median(t),
               "cpu_s_median": statistics.median(cpu[name]), "samples_per_s_median": args.batches * BATCH / statistics.median(t),
               "epoch_times": t}
        for name, t in times.items()
    }
    print(f"\nCNN training, 28x28x1, batch {BATCH}, {args.batches} batches per epoch-equivalent, "
          f"{args.rounds} epochs per variant taken in turns (backend: {os.environ.get('MULTINN_BACKEND', 'numpy')}, "
          f"{os.cpu_count()} cores)")
    print(f"  {'variant':<10}{'best s':>9}{'median s':>10}{'cpu s':>8}{'samples/s':>11}   how")
    for name, r in results.items():
        print(f"  {name:<10}{r['epoch_s_best']:>9.3f}{r['epoch_s_median']:>10.3f}{r['cpu_s_median']:>8.3f}"
              f"{r['samples_per_s_median']:>11.0f}   {r['how']}")
    ratios = {}
    if "multinn" in results and "torch" in results:
        ratios["epoch_vs_torch"] = paired_ratio(times, "multinn", "torch")
        ratios["cpu_vs_torch"] = paired_ratio(cpu, "multinn", "torch")
        if "kernels" in results:
            ratios["epoch_vs_kernels"] = paired_ratio(times, "multinn", "kernels")
        # The targets: within 1.5x PyTorch CPU on the NumPy backend; on a GPU, PyTorch CUDA's time or less.
        target = 1.0 if os.environ.get("MULTINN_BACKEND", "numpy") == "cupy" else 1.5
        verdict = "met" if ratios["epoch_vs_torch"] <= target else "MISSED"
        print(f"  ratio multinn / torch (median of per-round ratios): {ratios['epoch_vs_torch']:.3f} wall, "
              f"{ratios['cpu_vs_torch']:.3f} CPU time   (target <= {target:.2f}: {verdict})")
        if "kernels" in ratios:
            print(f"  ratio multinn / backend kernels called by hand: {ratios['epoch_vs_kernels']:.3f}")
    elif "torch" not in results:
        print("  (PyTorch not installed: no ratio; pip install torch to compare)")
    write_json(args.json, {"batch": BATCH, "batches": args.batches, "results": results, "ratios": ratios})


if __name__ == "__main__":
    main()
