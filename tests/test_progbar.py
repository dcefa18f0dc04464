"""Keras 2's Progbar: bar format, averaging, verbosity, and sparing output off a terminal."""
from __future__ import annotations

import contextlib
import io
import re
import sys

import pytest

from multinn.utils import progbar as progbar_module
from multinn.utils.progbar import Progbar


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


@contextlib.contextmanager
def _stdout(stream):
    # Patched inside the test body: pytest re-installs its own capture after fixtures run.
    saved = sys.stdout
    sys.stdout = stream
    try:
        yield stream
    finally:
        sys.stdout = saved


def tty():
    return _stdout(FakeTTY())


def pipe():
    return _stdout(io.StringIO())


def test_final_bar_on_a_terminal():
    with tty() as tty_out:
        bar = Progbar(target=100, interval=0.0)
        bar.update(50, [("loss", 1.0)])
        bar.update(100, [("loss", 0.5)])
        frames = tty_out.getvalue().split("\r")
        assert re.fullmatch(r" 50/100 \[==============>\.{15}\] - ETA: 0s - loss: 1\.0000", frames[1].rstrip())
        last = frames[-1]
        assert last.endswith("\n")
        assert re.fullmatch(r"100/100 \[={30}\] - 0s \d+us/step - loss: 0\.7500\s*\n", last)


def test_values_are_averaged_by_steps():
    with tty() as tty_out:
        bar = Progbar(target=4, interval=0.0)
        bar.update(1, [("acc", 0.0)])
        bar.update(4, [("acc", 1.0)])
        assert "acc: 0.7500" in tty_out.getvalue().split("\r")[-1]


def test_stateful_metrics_show_the_last_value():
    with tty() as tty_out:
        bar = Progbar(target=2, interval=0.0, stateful_metrics=["auc"])
        bar.update(1, [("auc", 0.25)])
        bar.update(2, [("auc", 0.75)])
        assert "auc: 0.7500" in tty_out.getvalue().split("\r")[-1]


def test_small_values_use_exponent_format():
    with tty() as tty_out:
        bar = Progbar(target=1)
        bar.update(1, [("loss", 1e-5)])
        assert "loss: 1.0000e-05" in tty_out.getvalue()


def test_redraws_are_throttled_by_interval():
    with tty() as tty_out:
        bar = Progbar(target=1000, interval=3600.0)
        for i in range(1, 1001):
            bar.update(i, [("loss", 1.0)])
        # The first update draws (nothing drawn yet), then only the final one.
        assert tty_out.getvalue().count("\r") == 2


def test_not_a_terminal_prints_sparingly():
    with pipe() as pipe_out:
        bar = Progbar(target=500, interval=0.0)
        for i in range(1, 501):
            bar.update(i, [("loss", 2.0)])
        lines = pipe_out.getvalue().splitlines()
        assert "\r" not in pipe_out.getvalue()
        assert len(lines) == 1
        assert lines[0].startswith("500/500 [") and "loss: 2.0000" in lines[0]


def test_not_a_terminal_prints_progress_lines_on_long_runs(monkeypatch):
    with pipe() as pipe_out:
        clock = [1000.0]
        monkeypatch.setattr(progbar_module.time, "time", lambda: clock[0])
        bar = Progbar(target=3, interval=0.0)
        clock[0] += 11
        bar.update(1)
        clock[0] += 1
        bar.update(2)
        clock[0] += 11
        bar.update(3)
        lines = pipe_out.getvalue().splitlines()
        assert len(lines) == 2
        assert lines[0].startswith("1/3 [") and "ETA: 22s" in lines[0]


def test_eta_formats(monkeypatch):
    with tty() as tty_out:
        clock = [0.0]
        monkeypatch.setattr(progbar_module.time, "time", lambda: clock[0])
        bar = Progbar(target=100, interval=0.0)
        clock[0] = 100.0
        bar.update(1)  # 100 s per step, 99 steps to go
        assert "ETA: 2:45:00" in tty_out.getvalue()
        clock[0] = 200.0
        bar.update(98)  # ~2.04 s per step, 2 to go
        assert "ETA: 4s" in tty_out.getvalue().split("\r")[-1]


def test_verbose_2_prints_one_line_at_the_end():
    with pipe() as pipe_out:
        bar = Progbar(target=3, verbose=2)
        bar.update(1, [("loss", 3.0)])
        bar.update(2, [("loss", 3.0)])
        assert pipe_out.getvalue() == ""
        bar.update(3, [("loss", 0.0), ("val_loss", 1.0)])
        assert re.fullmatch(r" - 0s - loss: 2\.0000 - val_loss: 1\.0000\n", pipe_out.getvalue())


def test_verbose_0_is_silent():
    with pipe() as pipe_out:
        bar = Progbar(target=2, verbose=0)
        bar.add(1, [("loss", 1.0)])
        bar.add(1, [("loss", 1.0)])
        assert pipe_out.getvalue() == ""


def test_add_advances_and_unknown_target():
    with tty() as tty_out:
        bar = Progbar(target=None, interval=0.0)
        bar.add(3)
        bar.add(4)
        assert tty_out.getvalue().split("\r")[-1].startswith("      7/Unknown")


def test_unit_name():
    with tty() as tty_out:
        bar = Progbar(target=1, unit_name="sample")
        bar.update(1)
        assert re.search(r"\d+us/sample", tty_out.getvalue())
