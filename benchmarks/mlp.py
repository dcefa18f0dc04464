"""MLP training and inference: multinn beside a hand-written NumPy MLP and PyTorch CPU.

The network (784-512-512-10, relu, softmax cross-entropy, SGD lr 0.01, batch 128) is
trained for one epoch of 60,000 synthetic float32 samples (fixed seed). Each variant runs
in its own process, so its peak RSS is its own; the processes take turns one epoch at a
time (benchmarks/workers.py), and each ratio is the median of the ratios within a round.

Run: python -m benchmarks.mlp [--rounds 6] [--samples 60000] [--json out.json]
"""
from __future__ import annotations

import argparse
import os
import sys

SIZES = (784, 512, 512, 10)
BATCH = 128
LR = 0.01
INFER_SAMPLES = 10_000
INFER_BATCH = 1024


def make_data(samples: int):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((samples, SIZES[0]), dtype=np.float32)
    labels = rng.integers(0, SIZES[-1], samples)
    y = np.zeros((samples, SIZES[-1]), np.float32)
    y[np.arange(samples), labels] = 1.0
    return x, y


def glorot(rng, fan_in, fan_out):
    import numpy as np

    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)


# --------------------------------------------------------------------------- variants
def numpy_reference(x, y, epochs: int):
    """The zero-overhead reference: forward and manual backward in plain NumPy."""
    import numpy as np

    rng = np.random.default_rng(1)
    ws = [glorot(rng, a, b) for a, b in zip(SIZES[:-1], SIZES[1:])]
    bs = [np.zeros(b, np.float32) for b in SIZES[1:]]
    n = x.shape[0]

    def epoch():
        order = rng.permutation(n)
        for start in range(0, n, BATCH):
            idx = order[start:start + BATCH]
            xb, yb = x[idx], y[idx]
            acts = [xb]
            for i, (w, b) in enumerate(zip(ws, bs)):
                z = acts[-1] @ w + b
                acts.append(np.maximum(z, 0) if i < len(ws) - 1 else z)
            logits = acts[-1]
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)
            grad = (p - yb) / xb.shape[0]
            for i in range(len(ws) - 1, -1, -1):
                gw = acts[i].T @ grad
                gb = grad.sum(axis=0)
                if i:
                    grad = (grad @ ws[i].T) * (acts[i] > 0)
                ws[i] -= LR * gw
                bs[i] -= LR * gb

    def predict(data):
        outs = []
        for start in range(0, data.shape[0], INFER_BATCH):
            h = data[start:start + INFER_BATCH]
            for i, (w, b) in enumerate(zip(ws, bs)):
                h = h @ w + b
                h = np.maximum(h, 0) if i < len(ws) - 1 else h
            e = np.exp(h - h.max(axis=1, keepdims=True))
            outs.append(e / e.sum(axis=1, keepdims=True))
        return np.concatenate(outs)

    return epoch, predict, lambda: None


def multinn_variant(x, y, epochs: int):
    import multinn
    from multinn import backend as K
    from multinn.layers import Dense

    multinn.utils.set_random_seed(1)
    model = multinn.models.Sequential(
        [Dense(SIZES[1], activation="relu", input_shape=(SIZES[0],)), Dense(SIZES[2], activation="relu"),
         Dense(SIZES[3], activation="softmax")]
    )
    model.compile(optimizer=multinn.optimizers.SGD(learning_rate=LR), loss="categorical_crossentropy")
    backend = K.default_backend()
    xd, yd = x, y
    if K.backend() != "numpy":  # measure the device's compute, not host-to-device copies
        xd, yd = K.constant(x), K.constant(y)

    def epoch():
        model.fit(xd, yd, batch_size=BATCH, epochs=1, verbose=0)

    def predict(data):
        return model.predict(data, batch_size=INFER_BATCH)

    return epoch, predict, backend.synchronize


def torch_variant(x, y, epochs: int):
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    device = "cuda" if os.environ.get("MULTINN_BACKEND") == "cupy" and torch.cuda.is_available() else "cpu"
    torch.manual_seed(1)
    layers = []
    for i, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(SIZES) - 2:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers).to(device)
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    xt = torch.from_numpy(x).to(device)
    labels = torch.from_numpy(y.argmax(axis=1)).to(device)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = x.shape[0]

    def epoch():
        order = torch.randperm(n, device=device)
        for start in range(0, n, BATCH):
            idx = order[start:start + BATCH]
            opt.zero_grad(set_to_none=True)
            loss_fn(net(xt[idx]), labels[idx]).backward()
            opt.step()

    def predict(data):
        with torch.no_grad():
            d = torch.from_numpy(data).to(device)
            return torch.cat([torch.softmax(net(d[s:s + INFER_BATCH]), 1) for s in range(0, d.shape[0], INFER_BATCH)]).cpu()

    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    return epoch, predict, sync


def numpy_reference_tuned(x, y, epochs: int):
    """The reference under the malloc settings the NumPy backend applies to its process.

    multinn's NumPy backend asks glibc to keep freed arrays for reuse; this variant gives
    the hand-written MLP the same allocator, so the ratio to it is the framework's own cost.
    """
    from multinn.backends.numpy_backend import _keep_freed_memory_for_reuse

    _keep_freed_memory_for_reuse()
    return numpy_reference(x, y, epochs)


VARIANTS = {
    "numpy_reference": numpy_reference,
    "numpy_reference_tuned": numpy_reference_tuned,
    "multinn": multinn_variant,
    "torch": torch_variant,
}


def serve_variant(name: str, samples: int) -> None:
    """The worker process of one variant: builds it, then runs epochs/predicts on request."""
    from .workers import serve

    x, y = make_data(samples)
    epoch, predict, sync = VARIANTS[name](x, y, 1)
    xi = x[:INFER_SAMPLES]
    serve({"epoch": epoch, "predict": lambda: predict(xi)}, sync)


def run_interleaved(names: list, samples: int, rounds: int) -> tuple:
    """Every variant in its own process, taking turns one epoch (then one predict) at a time.

    Returns (figures by variant, epoch times by variant, predict times by variant).
    """
    import statistics

    from .workers import Worker, take_turns

    workers = []
    for name in names:
        w = Worker(name, [sys.executable, "-m", "benchmarks.mlp", "--variant", name, "--samples", str(samples)])
        if w.alive:
            workers.append(w)
        else:
            print(f"  ({name} did not run: {w.error})")
    epochs = take_turns(workers, "epoch", rounds)
    predicts = take_turns(workers, "predict", max(rounds, 5))
    results = {}
    for w in workers:
        rss = w.ask("rss")
        w.close()
        if w.name not in epochs:
            continue
        epoch_s = statistics.median(epochs[w.name])
        results[w.name] = {
            "epoch_s": epoch_s,
            "samples_per_s": samples / epoch_s,
            "predict_s": statistics.median(predicts[w.name]),
            "peak_rss_mb": rss["peak_rss_mb"] if rss else float("nan"),
            "epoch_times": epochs[w.name],
        }
    return results, epochs, predicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variant", choices=sorted(VARIANTS), help="(internal) serve one variant as a worker")
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--rounds", type=int, default=6, help="timed epochs per variant, taken in turns")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.variant:
        serve_variant(args.variant, args.samples)
        return
    from .common import write_json
    from .workers import paired_ratio

    names = ["numpy_reference", "numpy_reference_tuned", "multinn", "torch"]
    results, epochs, predicts = run_interleaved(names, args.samples, args.rounds)
    print(f"\nMLP 784-512-512-10, batch {BATCH}, {args.samples} samples, {args.rounds} epochs per variant taken in turns "
          f"(backend: {os.environ.get('MULTINN_BACKEND', 'numpy')})")
    print(f"  {'variant':<24}{'epoch s':>10}{'samples/s':>12}{'predict s':>11}{'peak RSS MB':>13}")
    for name, r in results.items():
        print(f"  {name:<24}{r['epoch_s']:>10.3f}{r['samples_per_s']:>12.0f}{r['predict_s']:>11.3f}{r['peak_rss_mb']:>13.0f}")
    ratios = {}
    pairs = [("epoch_vs_numpy_reference", epochs, "numpy_reference"),
             ("epoch_vs_numpy_reference_same_malloc", epochs, "numpy_reference_tuned"),
             ("epoch_vs_torch", epochs, "torch"),
             ("predict_vs_numpy_reference", predicts, "numpy_reference"),
             ("predict_vs_numpy_reference_same_malloc", predicts, "numpy_reference_tuned")]
    for key, times, other in pairs:
        value = paired_ratio(times, "multinn", other)
        if value is not None:
            ratios[key] = value
    if "multinn" in results and "numpy_reference" in results:
        ratios["peak_rss_vs_numpy_reference"] = results["multinn"]["peak_rss_mb"] / results["numpy_reference"]["peak_rss_mb"]
    targets = {"epoch_vs_numpy_reference": 1.10, "predict_vs_numpy_reference": 1.10,
               "peak_rss_vs_numpy_reference": 1.30, "epoch_vs_numpy_reference_same_malloc": 1.10,
               "predict_vs_numpy_reference_same_malloc": 1.10, "epoch_vs_torch": 1.0}
    print("  ratios (multinn / other, the median over rounds of each round's ratio; target):")
    for key, value in ratios.items():
        print(f"    {key:<40}{value:>7.3f}   (target <= {targets[key]:.2f}: {'met' if value <= targets[key] else 'MISSED'})")
    write_json(args.json, {"results": results, "ratios": ratios,
                           "epoch_times": epochs, "predict_times": predicts})


if __name__ == "__main__":
    main()
