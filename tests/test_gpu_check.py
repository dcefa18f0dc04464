"""benchmarks/gpu_check.py: the first-time GPU check rehearses on the CPU stand-in and
refuses to report stand-in figures as a GPU's."""
from __future__ import annotations

import subprocess
import sys

import pytest

from benchmarks.gpu_check import WHEEL_COMMANDS, pytest_counts
from tests.conftest import CUPY_MODE


def _check(*args):
    return subprocess.run([sys.executable, "-m", "benchmarks.gpu_check", *args], capture_output=True, text=True, timeout=300)


def test_pytest_counts_reads_the_final_line():
    assert pytest_counts("x\n==== 3 passed, 2 skipped, 1 failed in 1.0s ====") == "3 passed, 2 skipped, 1 failed"
    assert pytest_counts("") == "no pytest summary"


def test_a_dry_run_prints_the_summary_labelled_as_the_stand_in():
    out = _check("--dry-run", "--steps", "sync,benchmarks")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "=== GPU check: CPU stand-in (dry run" in out.stdout
    sync = next(line for line in out.stdout.splitlines() if line.startswith("sync"))
    assert "sync_reads_per_step 0.0" in sync  # categorical targets, verbose=0: no read per step
    assert "skipped in a dry run" in out.stdout


@pytest.mark.skipif(CUPY_MODE == "gpu", reason="a GPU is present: the check runs for real here")
def test_without_a_gpu_the_real_check_refuses_and_says_why():
    out = _check("--steps", "sync")
    assert out.returncode == 1
    assert "No usable CuPy device" in out.stdout and "=== GPU check" not in out.stdout


def test_unknown_steps_are_refused_naming_them():
    out = _check("--steps", "sync,warp")
    assert out.returncode == 2 and "'warp'" in out.stderr and "--steps=sync,warp" in out.stderr


def test_wheel_commands_install_offline_from_carried_files():
    assert "pip download" in WHEEL_COMMANDS and "--no-index --find-links wheels" in WHEEL_COMMANDS
    assert "cupy-cuda12x[ctk]>=14" in WHEEL_COMMANDS
