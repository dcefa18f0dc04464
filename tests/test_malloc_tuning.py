"""The NumPy backend's glibc malloc tuning: applied when something trains on the NumPy backend,
not on import or first use; MULTINN_MALLOC_TUNING=0 keeps glibc's defaults.

glibc's thresholds cannot be read back, so each check runs in a fresh process and observes their
effect: with glibc's defaults an array of several MiB is served by mmap (counted in mallinfo2's
`hblkhd`); with the tuned mmap threshold (32 MiB) it comes from the heap.
"""
import ctypes
import os
import subprocess
import sys

import pytest

_PROBE = """
import ctypes
import numpy as np

class _MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

_libc = ctypes.CDLL(None)
_libc.mallinfo2.restype = _MallInfo2

def mmapped(mib):
    '''Whether an array of `mib` MiB is served by mmap (glibc's default for large blocks).'''
    before = _libc.mallinfo2().hblkhd
    a = np.ones(mib * 1024 * 1024 // 8)
    served_by_mmap = _libc.mallinfo2().hblkhd - before >= mib * 1024 * 1024
    del a
    return served_by_mmap
"""

# Inference and K ops first (no tuning), then training (tuning). Freeing an mmapped block raises
# glibc's adaptive threshold to its size, so the second probe asks for a larger block than the first.
_PREDICT_THEN_FIT = _PROBE + """
from multinn import backend as K
from multinn.layers import Dense
from multinn.models import Sequential

x = np.ones((8, 3), np.float32)
model = Sequential([Dense(2, input_shape=(3,))])
model.compile("sgd", "mse")
K.eval(K.exp(K.variable(x)))
model.predict(x)
print("after predict:", mmapped(8))
model.fit(x, np.zeros((8, 2), np.float32), epochs=1, verbose=0)
print("after fit:", mmapped(24))
"""


def _glibc_with_mallinfo2() -> bool:
    try:
        ctypes.CDLL(None).mallinfo2
    except (AttributeError, OSError):
        return False
    return True


pytestmark = pytest.mark.skipif(
    not _glibc_with_mallinfo2(), reason="the tuning and its probe exist only with glibc's malloc (2.33+)"
)


def _run(home, tuning=None):
    env = {k: v for k, v in os.environ.items() if k != "MULTINN_MALLOC_TUNING"}
    env.update(MULTINN_BACKEND="numpy", MULTINN_HOME=str(home))
    if tuning is not None:
        env["MULTINN_MALLOC_TUNING"] = tuning
    r = subprocess.run([sys.executable, "-c", _PREDICT_THEN_FIT], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def test_tuned_only_once_the_numpy_backend_trains(tmp_path):
    assert _run(tmp_path) == ["after predict: True", "after fit: False"]


def test_malloc_tuning_0_keeps_glibc_defaults(tmp_path):
    assert _run(tmp_path, tuning="0") == ["after predict: True", "after fit: True"]
