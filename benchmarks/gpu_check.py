"""The first-time GPU check: one command, one summary, under 8 minutes, installing nothing.

On a machine with CuPy and a CUDA device it runs, each step in a subprocess with its own
time limit: the suite's CuPy half on the real device, the NumPy/CuPy parity tests, the
benchmark suite with MULTINN_BACKEND=cupy (PyTorch CUDA beside it when installed), and a
sync count (device->host reads per training step). Then it prints one summary.

Run: python -m benchmarks.gpu_check [--dry-run] [--steps cupy_half,parity,benchmarks,sync]
     python -m benchmarks.gpu_check --wheel-commands     (how to carry wheels to an offline GPU)

`--dry-run` runs the same steps where no GPU is, on the tests' CPU stand-in for CuPy
(tests/support/strict_cupy): a rehearsal of the check, not GPU figures; the benchmarks are
skipped there (figures on the stand-in mean nothing).
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUDGET_S = 480
STEPS = ("cupy_half", "parity", "benchmarks", "sync")
# The share of the budget each step may use at most (the rest is left to the later steps).
LIMITS_S = {"cupy_half": 240, "parity": 60, "benchmarks": 150, "sync": 30}

WHEEL_COMMANDS = """\
# On a machine with network, same OS/CPU/Python as the GPU machine:
pip download -d wheels 'cupy-cuda12x[ctk]>=14' pytest pytest-xdist hypothesis
pip download -d wheels torch --index-url https://download.pytorch.org/whl/cu124   # optional: the PyTorch baseline
# Carry wheels/ and this repository to the GPU machine, then (no network needed):
pip install --no-index --find-links wheels -e '.[test]' 'cupy-cuda12x[ctk]>=14'
python -m benchmarks.gpu_check
"""

SYNC_SNIPPET = r"""
import sys
sys.path.insert(0, {root!r})
{standin}
import multinn.backends as registry
from multinn import backend as K
from multinn.layers import Dense
from multinn.models import Sequential

backend = type(registry.get("cupy"))
reads = [0]
def counted(owner, name):
    original = getattr(owner, name)
    def wrapper(*args, **kwargs):
        reads[0] += 1
        return original(*args, **kwargs)
    setattr(owner, name, wrapper)
for name in ("__float__", "__int__", "__bool__", "item", "numpy", "tolist"):
    if hasattr(K.Tensor, name):
        counted(K.Tensor, name)
counted(backend, "to_numpy")

with K.backend_scope("cupy"):
    x = K.random_uniform((256, 16), 0.0, 1.0).numpy()
    y = (x.sum(axis=1) > 8).astype("float32")
    model = Sequential([Dense(32, activation="relu", input_shape=(16,)), Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    per_epoch = {{}}
    for batches in (1, 8):
        reads[0] = 0
        model.fit(x, y, batch_size=256 // batches, epochs=1, verbose=0)
        per_epoch[batches] = reads[0]
print("sync_reads_per_step", (per_epoch[8] - per_epoch[1]) / 7, "fixed_per_epoch", per_epoch[1])
"""


def _run(cmd: list, limit: float, env: dict) -> tuple:
    start = time.monotonic()
    try:
        out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=max(limit, 1))
        text, code = out.stdout + out.stderr, out.returncode
    except subprocess.TimeoutExpired as exc:
        text = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        text, code = text + f"\n(timed out after {limit:.0f} s)", "timeout"
    return code, text, time.monotonic() - start


def pytest_counts(text: str) -> str:
    """pytest's final counts ('12 passed, 1 failed in 3.2s' -> '12 passed, 1 failed').

    Example:
        >>> pytest_counts("..\\n===== 12 passed, 1 failed in 3.20s =====")
        '12 passed, 1 failed'
    """
    found = re.findall(r"(\d+ (?:passed|failed|skipped|errors?|xfailed|xpassed|deselected))", text.splitlines()[-1] if text.strip() else "")
    return ", ".join(found) or "no pytest summary"


def _device_line(dry_run: bool) -> "str | None":
    sys.path.insert(0, ROOT)
    if dry_run:
        return "CPU stand-in (dry run: CuPy API conformance, not GPU figures)"
    from multinn.backends import cupy_backend

    reason = cupy_backend.unusable_reason()
    if reason is not None:
        return None
    import multinn.backends as registry

    xp = registry.get("cupy").xp
    if getattr(xp, "__strict_cupy__", False):  # the tests' stand-in (on PYTHONPATH inside a test run)
        return None
    props = xp.cuda.runtime.getDeviceProperties(0)
    name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    return f"{name} (CuPy {xp.__version__}, CUDA runtime {xp.cuda.runtime.runtimeGetVersion()})"


def check(steps: "tuple | list" = STEPS, dry_run: bool = False, budget: float = BUDGET_S) -> list:
    """Runs `steps` and returns (step, outcome, seconds) rows; prints the summary."""
    device = _device_line(dry_run)
    if device is None:
        from multinn.backends import cupy_backend

        reason = cupy_backend.unusable_reason() or "the CuPy here is the tests' CPU stand-in, not a GPU"
        print(f"No usable CuPy device: {reason}\n"
              "Run with --dry-run to rehearse on the CPU stand-in, or --wheel-commands for the install.")
        return []
    env = {**os.environ, "MULTINN_TEST_CUPY": "auto"}
    py = sys.executable
    standin = "from tests.support.strict_cupy import install; install()" if dry_run else ""
    commands = {
        "cupy_half": [py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "auto", "-k", "cupy", "tests",
                      "--ignore=tests/parity"],
        "parity": [py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/parity"],
        "benchmarks": [py, "-m", "benchmarks", "--quick"],
        "sync": [py, "-c", SYNC_SNIPPET.format(root=ROOT, standin=standin)],
    }
    rows, start = [], time.monotonic()
    for step in steps:
        left = budget - (time.monotonic() - start)
        if step == "benchmarks" and dry_run:
            rows.append((step, "skipped in a dry run (figures on the stand-in mean nothing)", 0.0))
            continue
        if left < 10:
            rows.append((step, "not run: the 8-minute budget is spent", 0.0))
            continue
        step_env = {**env, "MULTINN_BACKEND": "cupy"} if step == "benchmarks" else env
        code, text, seconds = _run(commands[step], min(LIMITS_S[step], left), step_env)
        if step in ("cupy_half", "parity"):
            outcome = pytest_counts(text)
        elif step == "sync":
            outcome = text.strip().splitlines()[-1] if code == 0 else f"failed ({code}): {text.strip()[-300:]}"
        else:
            lines = [ln for ln in text.splitlines() if re.search(r"vs_|per_sec|ratio|epoch", ln)]
            outcome = (" | ".join(lines[-6:]) or text.strip()[-300:]) + ("" if code == 0 else f" (exit {code})")
        rows.append((step, outcome, seconds))
    print(f"\n=== GPU check: {device} ===")
    for step, outcome, seconds in rows:
        print(f"{step:<11} {seconds:6.1f}s  {outcome}")
    print(f"total       {time.monotonic() - start:6.1f}s")
    return rows


def main(argv: "list | None" = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", help="rehearse on the CPU stand-in where no GPU is")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated subset of {','.join(STEPS)}")
    parser.add_argument("--wheel-commands", action="store_true", help="print how to carry the wheels to an offline GPU")
    args = parser.parse_args(argv)
    if args.wheel_commands:
        print(WHEEL_COMMANDS)
        return
    steps = [s for s in args.steps.split(",") if s]
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        parser.error(f"unknown steps {unknown}; choose from {', '.join(STEPS)}. Received: --steps={args.steps}")
    if not check(steps, dry_run=args.dry_run):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
