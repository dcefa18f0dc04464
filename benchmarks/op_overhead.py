"""Per-op overhead: K on a 10-element tensor beside the raw NumPy call.

Targets (foundation issue): an unrecorded op <= 3 us over raw NumPy; a recorded
forward+backward <= 15 us.

Run: python -m benchmarks.op_overhead [--json out.json]
"""
from __future__ import annotations

import argparse
import timeit

import numpy as np

from multinn import backend as K

from .common import print_table, write_json


def _per_call_us(fn, number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=7)) / number * 1e6


def measure(number: int = 20000) -> dict:
    a = np.linspace(-1, 1, 10, dtype=np.float32)
    with K.backend_scope("numpy"):
        t = K.constant(a)
        v = K.variable(a)

        def recorded():
            y = K.exp(v)
            K.gradients(y, [v])

        def raw_recorded():  # the same maths by hand: forward and its backward
            y = np.exp(a)
            np.ones_like(y) * y

        results = {
            "raw_numpy_exp_us": _per_call_us(lambda: np.exp(a), number),
            "k_exp_unrecorded_us": _per_call_us(lambda: K.exp(t), number),
            "raw_numpy_add_us": _per_call_us(lambda: a + a, number),
            "k_add_unrecorded_us": _per_call_us(lambda: t + t, number),
            "raw_numpy_fwd_bwd_us": _per_call_us(raw_recorded, number),
            "k_exp_recorded_fwd_bwd_us": _per_call_us(recorded, number // 4),
        }
    results["unrecorded_overhead_us"] = results["k_exp_unrecorded_us"] - results["raw_numpy_exp_us"]
    results["recorded_overhead_us"] = results["k_exp_recorded_fwd_bwd_us"] - results["raw_numpy_fwd_bwd_us"]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    r = measure()
    print_table(
        "Per-op overhead, 10-element float32 tensor (best of 7, microseconds)",
        [
            ("exp: raw NumPy", r["raw_numpy_exp_us"]),
            ("exp: K, unrecorded", r["k_exp_unrecorded_us"]),
            ("add: raw NumPy", r["raw_numpy_add_us"]),
            ("add: K, unrecorded", r["k_add_unrecorded_us"]),
            ("exp fwd+bwd: raw NumPy", r["raw_numpy_fwd_bwd_us"]),
            ("exp fwd+bwd: K recorded", r["k_exp_recorded_fwd_bwd_us"]),
            ("overhead unrecorded (target <= 3)", r["unrecorded_overhead_us"]),
            ("overhead recorded fwd+bwd (target <= 15)", r["recorded_overhead_us"]),
        ],
    )
    write_json(args.json, r)


if __name__ == "__main__":
    main()
