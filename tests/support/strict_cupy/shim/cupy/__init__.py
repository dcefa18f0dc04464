"""`import cupy` in a test's subprocess: replaced by the strict CPU stand-in (put on PYTHONPATH
by tests/conftest.py only when the stand-in is in use, i.e. where no CUDA device answers)."""
from tests.support.strict_cupy.install import swap_in_for_shim

swap_in_for_shim()
