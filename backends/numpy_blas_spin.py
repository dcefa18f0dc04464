"""How long the bundled OpenBLAS's idle threads spin before they sleep.

After each product it shares among its threads, OpenBLAS (the pthreads build in NumPy's
wheels) keeps its helper threads spinning for 2**28 processor cycles, about a tenth of a
second, in case another product follows at once. The NumPy backend's own workers
(numpy_threads.ChunkPool) run right after such products (an LSTM's time loop after its
input projection, a convolution's chunks after a dense layer) and found their cores taken:
on 2 cores a time loop of small products ran 1.8x slower after one shared product.

OpenBLAS reads the spin from the environment variable OPENBLAS_THREAD_TIMEOUT (an exponent,
4 to 30) when it starts its threads. `shorten_spin` sets it, has OpenBLAS read its
environment again and stops its threads; the next shared product starts them again with the
short spin, as after a fork (OpenBLAS's fork handler stops them the same way). The chunk
pool calls it once, when its workers start. Products themselves are unchanged: the helper
threads only fall asleep sooner between them.

Left alone where the user set OPENBLAS_THREAD_TIMEOUT, where `MULTINN_BLAS_SPIN=0` (else
the exponent to use), and where the library lacks the entry points.
"""
from __future__ import annotations

import ctypes
import os

from .numpy_blas import _openblas_unless

# 2**16 cycles, some 25 µs: longer than the Python between a layer's back-to-back products,
# far shorter than the pool's work that follows them.
DEFAULT_EXPONENT = 16


def spin_exponent() -> "int | None":
    """The exponent to set: MULTINN_BLAS_SPIN (default 16), clipped to OpenBLAS's 4-30; None to leave
    OpenBLAS alone (MULTINN_BLAS_SPIN=0, or the user's own OPENBLAS_THREAD_TIMEOUT)."""
    if "OPENBLAS_THREAD_TIMEOUT" in os.environ:
        return None
    raw = os.environ.get("MULTINN_BLAS_SPIN", str(DEFAULT_EXPONENT))
    try:
        exponent = int(raw)
    except ValueError:
        raise ValueError(f"MULTINN_BLAS_SPIN must be an integer exponent (4 to 30), or 0 to leave OpenBLAS's "
                         f"spin alone. Received: MULTINN_BLAS_SPIN={raw!r}") from None
    return None if exponent == 0 else min(30, max(4, exponent))


def shorten_spin() -> bool:
    """Sets the bundled OpenBLAS's idle spin to 2**spin_exponent() cycles; True when it did.

    Example:
        >>> from multinn.backends.numpy_blas_spin import shorten_spin
        >>> shorten_spin() in (True, False)
        True
    """
    exponent = spin_exponent()
    lib = None if exponent is None else _openblas_unless("MULTINN_BLAS_SPIN")
    entries = [getattr(lib, name, None) for name in ("openblas_read_env", "openblas_thread_timeout",
                                                     "blas_thread_shutdown_")] if lib is not None else [None]
    if any(entry is None for entry in entries):
        return False
    read_env, timeout, shutdown = entries
    timeout.restype = ctypes.c_int
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = str(exponent)
    try:
        read_env()  # OpenBLAS keeps what it read: the variable need not stay set
    finally:
        del os.environ["OPENBLAS_THREAD_TIMEOUT"]
    if timeout() != exponent:
        return False
    shutdown()
    return True
