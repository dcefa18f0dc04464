"""Variants in separate worker processes that take turns one timed action at a time.

A shared VM's speed drifts by up to 2x over minutes. Running each variant for a whole
process lifetime lets one variant meet a slow phase the others never see; here every
variant lives in its own long-lived process (so its peak RSS is its own), and the parent
asks them in turn for one epoch each. Adjacent turns see the same machine, so the ratio
taken within each round, then the median over rounds, is what the tables report.

Protocol (one line each way): the parent writes an action name ("epoch", "predict") and
the worker answers `{"seconds": ..., "cpu_seconds": ...}` (wall and process CPU time);
"rss" answers `{"peak_rss_mb": ...}`.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Callable

# Idle time between turns: long enough for the previous worker's BLAS threads to stop
# spinning, so they do not take cores from the next one.
PAUSE_S = 0.3


def serve(actions: dict, sync: Callable[[], object], info: "dict | None" = None) -> None:
    """The worker's loop: runs the named action, timed, for each line read from stdin.

    `info` goes to the parent first, with the ready signal (`Worker.info`).
    """
    print(json.dumps({"ready": True, **(info or {})}), flush=True)
    for line in sys.stdin:
        name = line.strip()
        if name == "rss":
            print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
            continue
        start, start_cpu = time.perf_counter(), time.process_time()
        actions[name]()
        sync()
        print(json.dumps({"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - start_cpu}),
              flush=True)


class Worker:
    """One variant's process, started with `cmd` (which must end up calling `serve`); `env` adds
    environment variables for that process only."""

    def __init__(self, name: str, cmd: list, env: "dict | None" = None):
        self.name = name
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, **env} if env else None)
        self.error = None
        self.info = self._read()
        if self.info is None:
            self.close()

    def _read(self) -> "dict | None":
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read().strip().splitlines()
            self.error = err[-1] if err else f"exit code {self.proc.poll()}"
            return None
        return json.loads(line)

    @property
    def alive(self) -> bool:
        return self.error is None

    def ask(self, action: str) -> "dict | None":
        if not self.alive:
            return None
        self.proc.stdin.write(action + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)


def take_turns(workers: list, action: str, rounds: int, warmup: int = 1, field: str = "seconds") -> dict:
    """`field` of each turn of `action` by worker name, over `rounds` rounds (after `warmup` untimed ones).

    With field=None, each turn's whole answer (wall and CPU seconds).
    """
    times: dict = {w.name: [] for w in workers}
    for r in range(warmup + rounds):
        for w in workers:
            result = w.ask(action)
            if result is not None and r >= warmup:
                times[w.name].append(result if field is None else result[field])
            time.sleep(PAUSE_S)
    return {name: t for name, t in times.items() if t}


def paired_ratio(times: dict, numerator: str, denominator: str) -> "float | None":
    """The median over rounds of numerator/denominator within each round."""
    a, b = times.get(numerator), times.get(denominator)
    if not a or not b:
        return None
    return statistics.median(x / y for x, y in zip(a, b))


def serve_epochs(variant: Callable, data: tuple, batch: int, batches: int) -> None:
    """A worker that trains: builds `variant(*data)` -> (epoch(n), sync, how), warms it up on
    one batch, then serves "epoch" (`batches` batches of `batch` samples, timed)."""
    epoch, sync, how = variant(*data)
    epoch(batch)
    sync()
    serve({"epoch": lambda: epoch(batches * batch)}, sync, info={"how": how})


def start_workers(specs: list) -> "tuple[list, dict]":
    """Starts one Worker per (name, command, env) spec; returns the ones that came up and their
    `how` lines, and prints why any other did not run."""
    workers, how = [], {}
    for name, cmd, env in specs:
        w = Worker(name, cmd, env=env)
        if not w.alive:
            print(f"  ({name} did not run: {w.error})")
            continue
        how[name] = w.info["how"]
        workers.append(w)
    return workers, how
