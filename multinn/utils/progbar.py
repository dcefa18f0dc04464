"""Keras 2's progress bar: `1437/1437 [==============================] - 0s 61us/step - loss: 0.31`."""
from __future__ import annotations

import sys
import time
from typing import Any, Iterable, Sequence

# Without a terminal to redraw in, verbose=1 writes a line at most this often (and at the end),
# so logs of long runs stay short.
_LOG_INTERVAL = 10.0


def _is_tty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class Progbar:
    """Displays a progress bar (Keras 2's `keras.utils.Progbar`).

    Args:
        target: total number of steps expected, None if unknown.
        width: width of the bar on screen.
        verbose: 0 silent, 1 the bar with ETA and running averages, 2 one line at the end (' - 3s - loss: 0.1234').
        interval: minimum seconds between redraws of the bar.
        stateful_metrics: names of values shown as given instead of averaged over time.
        unit_name: what one step is called in the per-unit timing ('step', 'sample').

    With verbose=1 the bar is redrawn in place ('\\r') when stdout is a terminal;
    otherwise one line is written at the end and at most every ten seconds before it.

    Example:
        >>> from multinn.utils.progbar import Progbar
        >>> bar = Progbar(target=4, verbose=2)
        >>> bar.update(2, values=[("loss", 1.0)])
        >>> bar.update(4, values=[("loss", 0.5)])  # doctest: +ELLIPSIS
         - 0s - loss: 0.7500
    """

    def __init__(
        self,
        target: "int | None",
        width: int = 30,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: "Iterable[str] | None" = None,
        unit_name: str = "step",
    ):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self._dynamic_display = _is_tty(sys.stdout) or "ipykernel" in sys.modules
        self._total_width = 0
        self._seen_so_far = 0
        # name -> [weighted sum, weight] for averaged values, [value, None] for stateful ones
        self._values: dict = {}
        self._start = time.time()
        self._last_update = 0.0
        self._last_log = self._start

    def update(self, current: int, values: "Sequence[tuple] | None" = None, finalize: "bool | None" = None) -> None:
        """Moves the bar to `current` and folds `values` ((name, value) pairs) into the running averages.

        Averaged values are weighted by the steps since the previous update.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        steps = current - self._seen_so_far
        for name, value in values or ():
            if name in self.stateful_metrics or getattr(value, "ndim", 0):
                # Running values, and one value per threshold, are shown as they are.
                self._values[name] = [value, None]
                continue
            value = float(value)
            entry = self._values.get(name)
            if entry is None and steps <= 0:
                # First seen without new steps (validation metrics at the end): shown as given.
                self._values[name] = [value, 1]
            elif entry is None or entry[1] is None:
                self._values[name] = [value * steps, steps]
            else:
                entry[0] += value * steps
                entry[1] += steps
        self._seen_so_far = current
        if self.verbose == 0:
            return
        now = time.time()
        if self.verbose == 1:
            if not finalize and now - self._last_update < self.interval:
                return
            if self._dynamic_display:
                self._draw_in_place(current, now, finalize)
            elif finalize or now - self._last_log >= _LOG_INTERVAL:
                sys.stdout.write(self._bar(current) + self._info(current, now, finalize) + "\n")
                sys.stdout.flush()
                self._last_log = now
        elif self.verbose == 2 and finalize:
            sys.stdout.write(" - %.0fs" % (now - self._start) + self._metrics() + "\n")
            sys.stdout.flush()
        self._last_update = now

    def add(self, n: int, values: "Sequence[tuple] | None" = None) -> None:
        """Advances the bar by `n` steps."""
        self.update(self._seen_so_far + n, values)

    # ------------------------------------------------------------------ drawing
    def _draw_in_place(self, current: int, now: float, finalize: bool) -> None:
        previous = self._total_width
        line = self._bar(current) + self._info(current, now, finalize)
        self._total_width = len(line)
        if previous > self._total_width:
            line += " " * (previous - self._total_width)
        sys.stdout.write("\r" + line + ("\n" if finalize else ""))
        sys.stdout.flush()

    def _bar(self, current: int) -> str:
        if self.target is None:
            return "%7d/Unknown" % current
        digits = len(str(self.target))
        bar = "%*d/%d [" % (digits, current, self.target)
        filled = int(self.width * min(current / self.target, 1.0)) if self.target else self.width
        if filled > 0:
            bar += "=" * (filled - 1) + (">" if current < self.target else "=")
        return bar + "." * (self.width - filled) + "]"

    def _info(self, current: int, now: float, finalize: bool) -> str:
        elapsed = now - self._start
        per_unit = elapsed / current if current else 0.0
        if self.target is not None and not finalize:
            eta = per_unit * (self.target - current)
            if eta > 3600:
                text = " - ETA: %d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
            elif eta > 60:
                text = " - ETA: %d:%02d" % (eta // 60, eta % 60)
            else:
                text = " - ETA: %ds" % eta
        else:
            text = " - %.0fs" % elapsed
            if per_unit >= 1:
                text += " %.0fs/%s" % (per_unit, self.unit_name)
            elif per_unit >= 1e-3:
                text += " %.0fms/%s" % (per_unit * 1e3, self.unit_name)
            else:
                text += " %.0fus/%s" % (per_unit * 1e6, self.unit_name)
        return text + self._metrics()

    def _metrics(self) -> str:
        text = ""
        for name, (total, weight) in self._values.items():
            if weight is None:
                text += " - %s: %s" % (name, _format_stateful(total))
                continue
            avg = total / max(1, weight)
            text += (" - %s: %.4f" if abs(avg) > 1e-3 else " - %s: %.4e") % (name, avg)
        return text


def _format_stateful(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "%.4f" % number if abs(number) > 1e-3 else "%.4e" % number
