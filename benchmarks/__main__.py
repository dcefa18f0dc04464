"""Runs the whole suite: per-op overhead, MLP training/inference/memory, CNN training (the suite's
small CNN and Keras's mnist_cnn network), recurrent and Transformer-encoder training, and
data-parallel scaling (multinn.distribute; needs `pip install '.[mpi]'`).

Run: python -m benchmarks [--quick] [--json-dir DIR]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer samples and repeats (a smoke run)")
    parser.add_argument("--json-dir", default=None, help="write one JSON file per benchmark here")
    args = parser.parse_args()

    def json_args(name):
        return ["--json", os.path.join(args.json_dir, f"{name}.json")] if args.json_dir else []

    runs = [
        ("op_overhead", []),
        ("mlp", ["--samples", "6000", "--rounds", "1"] if args.quick else []),
        ("cnn", ["--batches", "5"] if args.quick else []),
        ("rnn", ["--batches", "2", "--rounds", "1", "--models", "lstm"] if args.quick else []),
        ("mnist_cnn", ["--batches", "2", "--rounds", "1"] if args.quick else []),
        ("distributed", ["--samples", "1024", "--rounds", "1"] if args.quick else []),
        ("transformer", ["--batches", "3", "--rounds", "1"] if args.quick else []),
    ]
    for name, extra in runs:
        if not os.path.exists(os.path.join(os.path.dirname(__file__), f"{name}.py")):
            print(f"\n({name}: not present)")
            continue
        subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *extra, *json_args(name)], check=False)


if __name__ == "__main__":
    main()
