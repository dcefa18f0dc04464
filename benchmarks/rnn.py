"""Recurrent text-classifier training and inference: multinn beside the same network in PyTorch (CPU).

Network (issue 13's): Embedding(5000, 64) - RNN(64) - Dense(1, sigmoid), binary cross-entropy,
Adam (lr 0.001), batch 64, integer sequences of length 80, synthetic labels. The RNN is one of:
    lstm            LSTM(64)                              vs nn.LSTM
    gru             GRU(64) (Keras 2.3.1's reset_after=False) vs nn.GRU
    gru_reset_after GRU(64, reset_after=True)             vs nn.GRU (the same formula)
    simple_rnn      SimpleRNN(64)                         vs nn.RNN (tanh)
    stacked_lstm    LSTM(64, return_sequences) - LSTM(64) vs nn.LSTM(num_layers=2)
    bi_lstm         Bidirectional(LSTM(64))               vs nn.LSTM(bidirectional=True)

An epoch-equivalent is --batches batches (default 32: 2,048 samples). Each variant runs in
its own worker process (benchmarks/workers.py); after a one-batch warm-up, the first full
epoch is timed on its own (the warm-up target: within 1.3x of later epochs), then the
workers take turns, --rounds epochs and predicts each; ratios are medians of per-round ratios.

Run: python -m benchmarks.rnn [--models lstm,gru] [--batches 32] [--rounds 4] [--json out.json]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys

VOCAB, EMBED, UNITS, STEPS, BATCH = 5000, 64, 64, 80, 64
MODELS = ("lstm", "gru", "gru_reset_after", "simple_rnn", "stacked_lstm", "bi_lstm")
TARGET = 1.5  # issue 13: training and inference within 1.5x PyTorch CPU
WARMUP_TARGET = 1.3  # the first epoch within 1.3x of later ones


def make_data(batches: int):
    import numpy as np

    rng = np.random.default_rng(0)
    n = batches * BATCH
    x = rng.integers(1, VOCAB, (n, STEPS))
    y = (x[:, :10].mean(axis=1) > VOCAB / 2).astype(np.float32)[:, None]  # learnable, not that it matters here
    return x, y


def multinn_variant(model_name: str, x, y):
    import multinn
    from multinn import backend as K
    from multinn import layers

    multinn.utils.set_random_seed(1)
    recurrent = {
        "lstm": lambda: [layers.LSTM(UNITS)],
        "gru": lambda: [layers.GRU(UNITS)],
        "gru_reset_after": lambda: [layers.GRU(UNITS, reset_after=True)],
        "simple_rnn": lambda: [layers.SimpleRNN(UNITS)],
        "stacked_lstm": lambda: [layers.LSTM(UNITS, return_sequences=True), layers.LSTM(UNITS)],
        "bi_lstm": lambda: [layers.Bidirectional(layers.LSTM(UNITS))],
    }[model_name]()
    model = multinn.Sequential([layers.Embedding(VOCAB, EMBED, input_length=STEPS), *recurrent,
                                layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=multinn.optimizers.Adam(learning_rate=0.001), loss="binary_crossentropy")

    def epoch(n):
        model.fit(x[:n], y[:n], batch_size=BATCH, epochs=1, verbose=0, shuffle=False)

    def predict(n):
        model.predict(x[:n], batch_size=BATCH)

    return epoch, predict, K.default_backend().synchronize, "Sequential.fit / predict"


def torch_variant(model_name: str, x, y):
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(1)
    kind = {"lstm": torch.nn.LSTM, "stacked_lstm": torch.nn.LSTM, "bi_lstm": torch.nn.LSTM, "gru": torch.nn.GRU,
            "gru_reset_after": torch.nn.GRU, "simple_rnn": torch.nn.RNN}[model_name]
    rnn = kind(EMBED, UNITS, batch_first=True, num_layers=2 if model_name == "stacked_lstm" else 1,
               bidirectional=model_name == "bi_lstm")
    width = UNITS * (2 if model_name == "bi_lstm" else 1)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed, self.rnn, self.out = torch.nn.Embedding(VOCAB, EMBED), rnn, torch.nn.Linear(width, 1)

        def forward(self, ids):
            seq, _ = self.rnn(self.embed(ids))
            if model_name == "bi_lstm":  # Keras's Bidirectional: forward's last step, backward's first
                last = torch.cat([seq[:, -1, :UNITS], seq[:, 0, UNITS:]], dim=1)
            else:
                last = seq[:, -1]
            return torch.sigmoid(self.out(last))

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=0.001)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    loss_fn = torch.nn.BCELoss()

    def epoch(n):
        net.train()
        for start in range(0, n, BATCH):
            opt.zero_grad(set_to_none=True)
            loss_fn(net(xt[start:start + BATCH]), yt[start:start + BATCH]).backward()
            opt.step()

    def predict(n):
        net.eval()
        with torch.no_grad():
            for start in range(0, n, BATCH):
                net(xt[start:start + BATCH])

    return epoch, predict, lambda: None, f"torch {torch.__version__}, {torch.get_num_threads()} threads"


VARIANTS = {"multinn": multinn_variant, "torch": torch_variant}


def serve_variant(name: str, model_name: str, batches: int) -> None:
    """The worker of one (framework, model): warms up on one batch, then serves timed actions."""
    from .workers import serve

    x, y = make_data(batches)
    epoch, predict, sync, how = VARIANTS[name](model_name, x, y)
    epoch(BATCH)
    predict(BATCH)
    sync()
    n = batches * BATCH
    serve({"epoch": lambda: epoch(n), "predict": lambda: predict(n)}, sync, info={"how": how})


def _run_model(model_name: str, batches: int, rounds: int) -> dict:
    from .workers import paired_ratio, start_workers, take_turns

    workers, how = start_workers([
        (name, [sys.executable, "-m", "benchmarks.rnn", "--variant", name, "--models", model_name,
                "--batches", str(batches)], None)
        for name in ("multinn", "torch")])
    first = take_turns(workers, "epoch", 1, warmup=0)  # the first full epoch after the one-batch warm-up
    train = take_turns(workers, "epoch", rounds, warmup=0)
    infer = take_turns(workers, "predict", rounds, warmup=0)
    for w in workers:
        w.close()
    result = {"how": how, "first_epoch_s": {k: v[0] for k, v in first.items()}, "epoch_s": train, "predict_s": infer}
    if "multinn" in train:
        later = statistics.median(train["multinn"])
        result["first_over_later"] = first["multinn"][0] / later
    if "multinn" in train and "torch" in train:
        result["train_ratio"] = paired_ratio(train, "multinn", "torch")
        result["predict_ratio"] = paired_ratio(infer, "multinn", "torch")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variant", choices=sorted(VARIANTS), help="(internal) serve one variant as a worker")
    parser.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, of {', '.join(MODELS)}")
    parser.add_argument("--batches", type=int, default=32, help="batches per epoch-equivalent")
    parser.add_argument("--rounds", type=int, default=4, help="timed epochs (and predicts) per variant, in turns")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    names = [m for m in args.models.split(",") if m]
    unknown = [m for m in names if m not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from {', '.join(MODELS)}")
    if args.variant:
        serve_variant(args.variant, names[0], args.batches)
        return
    from .common import write_json

    print(f"\nRecurrent text classifiers: Embedding({VOCAB}, {EMBED}) - RNN({UNITS}) - Dense(1), Adam, batch {BATCH}, "
          f"length {STEPS}, {args.batches * BATCH} samples per epoch-equivalent, {args.rounds} rounds in turns "
          f"(backend: {os.environ.get('MULTINN_BACKEND', 'numpy')}, {os.cpu_count()} cores)")
    print(f"  {'model':<17}{'multinn s':>10}{'torch s':>9}{'train x':>9}{'predict x':>11}{'1st/later':>11}")
    results = {}
    for model_name in names:
        r = _run_model(model_name, args.batches, args.rounds)
        results[model_name] = r
        med = {k: statistics.median(v) for k, v in r["epoch_s"].items()}

        def fmt(value, spec):
            return format(value, spec) if value is not None else "-".rjust(int(spec.split(".")[0]))

        print(f"  {model_name:<17}{fmt(med.get('multinn'), '10.3f')}{fmt(med.get('torch'), '9.3f')}"
              f"{fmt(r.get('train_ratio'), '9.2f')}{fmt(r.get('predict_ratio'), '11.2f')}{fmt(r.get('first_over_later'), '11.2f')}")
    print(f"  targets: train and predict <= {TARGET:.1f}x PyTorch CPU; first epoch <= {WARMUP_TARGET:.1f}x later epochs")
    for model_name, r in results.items():
        misses = [what for what, value, target in (("train", r.get("train_ratio"), TARGET),
                                                   ("predict", r.get("predict_ratio"), TARGET),
                                                   ("first epoch", r.get("first_over_later"), WARMUP_TARGET))
                  if value is not None and value > target]
        print(f"  {model_name}: {'met' if not misses else 'MISSED: ' + ', '.join(misses)}")
    write_json(args.json, {"batch": BATCH, "batches": args.batches, "results": results})


if __name__ == "__main__":
    main()
