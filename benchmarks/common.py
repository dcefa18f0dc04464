"""Shared measuring helpers: medians over repeats, a printed table, JSON output."""
from __future__ import annotations

import json
import os
import statistics
import time
from typing import Callable


def median_seconds(fn: Callable[[], object], repeats: int = 5, number: int = 1, sync: Callable | None = None) -> float:
    """Median wall time of `number` calls of fn, over `repeats` repeats, in seconds per call."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        if sync is not None:
            sync()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def print_table(title: str, rows: list[tuple]) -> None:
    print(f"\n{title}")
    width = max(len(str(r[0])) for r in rows) + 2
    for row in rows:
        name, *values = row
        print(f"  {str(name):<{width}}" + "  ".join(f"{v:>12}" if isinstance(v, str) else f"{v:>12.3f}" for v in values))


def write_json(path: str | None, data: dict) -> None:
    if not path:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f, indent=2)


def synthetic_images(n: int, classes: int, seed: int = 0):
    """`n` random 28x28x1 float32 images and one-hot float32 labels of `classes` classes (fixed seed)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.random((n, 28, 28, 1), dtype=np.float32)
    labels = rng.integers(0, classes, n)
    y = np.zeros((n, classes), np.float32)
    y[np.arange(n), labels] = 1.0
    return x, y
