"""Transformer-encoder training throughput: multinn beside PyTorch's nn.TransformerEncoderLayer.

One post-norm encoder block of the same sizes in both (d_model 64, 4 heads of 16, feed-forward
128 with relu, layer-norm epsilon 1e-5, no dropout), on synthetic float32 sequences of 32
steps, batch 32, mean-squared error against a random target, plain SGD (lr 0.01):

    x -> MultiHeadAttention(x, x) -> x + a -> LayerNormalization
      -> Dense(128, relu) -> Dense(64) -> x + f -> LayerNormalization

An "epoch-equivalent" is --batches training steps. Each variant runs in its own worker
process, warmed up on one batch; the workers take turns one epoch at a time
(benchmarks/workers.py), --rounds times, and the ratio is the median of the ratios within a
round. multinn trains through Model.fit; PyTorch through its own loop. Without PyTorch the
ratio is left out.

Run: python -m benchmarks.transformer [--batches 50] [--rounds 5] [--json out.json]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys

BATCH, STEPS, D_MODEL, HEADS, FFN = 32, 32, 64, 4, 128
LR = 0.01
EPS = 1e-5


def make_data(batches: int):
    import numpy as np

    rng = np.random.default_rng(0)
    n = batches * BATCH
    return (rng.standard_normal((n, STEPS, D_MODEL)).astype(np.float32),
            rng.standard_normal((n, STEPS, D_MODEL)).astype(np.float32))


def multinn_variant(x, y):
    import multinn
    from multinn import backend as K, layers
    from multinn.models import Model

    multinn.utils.set_random_seed(1)
    backend = K.default_backend()
    if K.backend() != "numpy":
        x, y = K.constant(x), K.constant(y)
    inp = layers.Input(shape=(STEPS, D_MODEL))
    a = layers.MultiHeadAttention(num_heads=HEADS, key_dim=D_MODEL // HEADS)(inp, inp)
    h = layers.LayerNormalization(epsilon=EPS)(layers.add([inp, a]))
    f = layers.Dense(D_MODEL)(layers.Dense(FFN, activation="relu")(h))
    out = layers.LayerNormalization(epsilon=EPS)(layers.add([h, f]))
    model = Model(inp, out)
    model.compile(optimizer=multinn.optimizers.SGD(learning_rate=LR), loss="mse")

    def epoch(n):
        model.fit(x[:n], y[:n], batch_size=BATCH, epochs=1, verbose=0, shuffle=False)

    return epoch, backend.synchronize, "Model.fit"


def torch_variant(x, y):
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    device = "cuda" if os.environ.get("MULTINN_BACKEND") == "cupy" and torch.cuda.is_available() else "cpu"
    torch.manual_seed(1)
    layer = torch.nn.TransformerEncoderLayer(D_MODEL, HEADS, dim_feedforward=FFN, dropout=0.0, activation="relu",
                                             layer_norm_eps=EPS, batch_first=True).to(device)
    opt = torch.optim.SGD(layer.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    loss_fn = torch.nn.MSELoss()

    def epoch(n):
        for start in range(0, n, BATCH):
            opt.zero_grad(set_to_none=True)
            loss_fn(layer(xt[start:start + BATCH]), yt[start:start + BATCH]).backward()
            opt.step()

    if device == "cuda":
        return epoch, torch.cuda.synchronize, f"torch {torch.__version__}, CUDA"
    return epoch, lambda: None, f"torch {torch.__version__}, {torch.get_num_threads()} threads"


VARIANTS = {"multinn": multinn_variant, "torch": torch_variant}


def serve_variant(name: str, batches: int) -> None:
    """The worker process of one variant: builds it, warms up on one batch, then runs epochs on request."""
    from .workers import serve_epochs

    serve_epochs(VARIANTS[name], make_data(batches), BATCH, batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variant", choices=sorted(VARIANTS), help="(internal) serve one variant as a worker")
    parser.add_argument("--batches", type=int, default=50, help="training steps per epoch-equivalent")
    parser.add_argument("--rounds", type=int, default=5, help="timed epochs per variant, taken in turns")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    if args.variant:
        serve_variant(args.variant, args.batches)
        return
    from .common import write_json
    from .workers import paired_ratio, start_workers, take_turns

    workers, how = start_workers([
        (name, [sys.executable, "-m", "benchmarks.transformer", "--variant", name, "--batches", str(args.batches)], None)
        for name in VARIANTS])
    turns = take_turns(workers, "epoch", args.rounds, warmup=0, field=None)
    for w in workers:
        w.close()
    times = {name: [t["seconds"] for t in ts] for name, ts in turns.items()}
    cpu = {name: [t["cpu_seconds"] for t in ts] for name, ts in turns.items()}
    results = {
        name: {"how": how[name], "epoch_s_best": min(t), "epoch_s_median": statistics.median(t),
               "cpu_s_median": statistics.median(cpu[name]), "steps_per_s_median": args.batches / statistics.median(t),
               "epoch_times": t}
        for name, t in times.items()
    }
    print(f"\nTransformer encoder block training (d_model {D_MODEL}, {HEADS} heads, ffn {FFN}, {STEPS} steps, "
          f"batch {BATCH}), {args.batches} steps per epoch-equivalent, {args.rounds} epochs per variant taken in turns "
          f"(backend: {os.environ.get('MULTINN_BACKEND', 'numpy')}, {os.cpu_count()} cores)")
    print(f"  {'variant':<10}{'best s':>9}{'median s':>10}{'cpu s':>8}{'steps/s':>9}   how")
    for name, r in results.items():
        print(f"  {name:<10}{r['epoch_s_best']:>9.3f}{r['epoch_s_median']:>10.3f}{r['cpu_s_median']:>8.3f}"
              f"{r['steps_per_s_median']:>9.1f}   {r['how']}")
    ratios = {}
    if "multinn" in results and "torch" in results:
        ratios["epoch_vs_torch"] = paired_ratio(times, "multinn", "torch")
        ratios["cpu_vs_torch"] = paired_ratio(cpu, "multinn", "torch")
        print(f"  ratio multinn / torch (median of per-round ratios): {ratios['epoch_vs_torch']:.3f} wall, "
              f"{ratios['cpu_vs_torch']:.3f} CPU time")
    elif "torch" not in results:
        print("  (PyTorch not installed: no ratio; pip install torch to compare)")
    write_json(args.json, {"batch": BATCH, "batches": args.batches, "results": results, "ratios": ratios})


if __name__ == "__main__":
    main()
