"""Registering the stand-in as `cupy` / `cupyx`, only where no real CuPy with a device is."""
from __future__ import annotations

import importlib.util
import sys
import types

import numpy as _np

LABEL = "CuPy API conformance (CPU stand-in)"
_NAMES = (
    "cupy", "cupy.cuda", "cupy.cuda.runtime", "cupy.linalg", "cupy.lib", "cupy.lib.stride_tricks",
    "cupyx", "cupyx.scipy", "cupyx.scipy.special",
)
_saved: dict = {}


def real_cupy_with_device() -> bool:
    """Whether a real CuPy is installed and a CUDA device answers (then the stand-in is never used)."""
    if installed():
        return False
    if importlib.util.find_spec("cupy") is None:
        return False
    from multinn.backends import cupy_backend

    usable = cupy_backend.unusable_reason() is None
    return usable and not installed()  # the shim on a test subprocess's path gives the stand-in


def installed() -> bool:
    """Whether `import cupy` gives the stand-in now."""
    return getattr(sys.modules.get("cupy"), "__strict_cupy__", False)


def _module(name: str, doc: str, **attrs) -> types.ModuleType:
    mod = types.ModuleType(name, doc)
    mod.__dict__.update(attrs)
    mod.__strict_cupy__ = True
    return mod


def _build() -> dict:
    from . import api, cuda, special
    from .core import wrap, ndarray

    def qr(a, mode="reduced"):
        if type(a) is not ndarray:
            raise TypeError(f"Unsupported type {type(a)}")
        result = _np.linalg.qr(a._a, mode=mode)
        return wrap(tuple(result)) if isinstance(result, tuple) else wrap(result)

    def _linalg(name):
        fn = getattr(_np.linalg, name)

        def call(a, *args, **kwargs):
            if type(a) is not ndarray:
                raise TypeError(f"Unsupported type {type(a)}")
            result = fn(a._a, *args, **kwargs)
            return wrap(tuple(result)) if isinstance(result, tuple) else wrap(result)

        call.__name__ = name
        return call

    def as_strided(x, shape=None, strides=None):
        if type(x) is not ndarray:
            raise TypeError(f"Unsupported type {type(x)}")
        return wrap(_np.lib.stride_tricks.as_strided(x._a, shape=shape, strides=strides))

    cuda_mod = _module(
        "cupy.cuda", "CUDA stubs of the stand-in.", runtime=cuda.runtime, Device=cuda.Device, Stream=cuda.Stream,
        Event=cuda.Event, get_elapsed_time=cuda.get_elapsed_time, get_current_stream=cuda.get_current_stream,
        is_available=cuda.is_available, memory=cuda.memory, pinned_memory=cuda.pinned_memory,
        MemoryPool=cuda.MemoryPool, PinnedMemoryPool=cuda.PinnedMemoryPool,
    )
    runtime_mod = _module("cupy.cuda.runtime", "CUDA runtime stubs.", **vars(cuda.runtime))
    linalg = _module(
        "cupy.linalg", "Linear algebra.", qr=qr,
        **{n: _linalg(n) for n in ("norm", "inv", "det", "svd", "cholesky", "eigh", "solve", "slogdet", "pinv")},
    )
    stride_tricks = _module("cupy.lib.stride_tricks", "Strided views.", as_strided=as_strided)
    lib = _module("cupy.lib", "cupy.lib", stride_tricks=stride_tricks)
    cupy = _module(
        "cupy", f"{LABEL}: CuPy's API and rules on NumPy (tests/support/strict_cupy).",
        cuda=cuda_mod, linalg=linalg, lib=lib, reads=api.reads, __version__="13.99.0+strict-cupy",
        get_default_memory_pool=lambda: cuda._POOL, get_default_pinned_memory_pool=lambda: cuda._PINNED_POOL,
        **api.namespace(),
    )
    special_mod = _module("cupyx.scipy.special", "Special functions.", erf=special.erf)
    scipy_mod = _module("cupyx.scipy", "cupyx.scipy", special=special_mod)
    cupyx = _module("cupyx", "cupyx", scipy=scipy_mod)
    return {
        "cupy": cupy, "cupy.cuda": cuda_mod, "cupy.cuda.runtime": runtime_mod, "cupy.linalg": linalg,
        "cupy.lib": lib, "cupy.lib.stride_tricks": stride_tricks, "cupyx": cupyx, "cupyx.scipy": scipy_mod,
        "cupyx.scipy.special": special_mod,
    }


def install() -> None:
    """Makes `import cupy` (and `cupyx`) give the stand-in; refuses where a real CuPy has a device."""
    if installed():
        return
    if real_cupy_with_device():
        raise RuntimeError("A real CuPy with a CUDA device is present: the CPU stand-in must not shadow it.")
    for name in list(sys.modules):
        if name.split(".")[0] in ("cupy", "cupyx", "cupy_backends"):
            _saved[name] = sys.modules.pop(name)
    sys.modules.update(_build())


def uninstall() -> None:
    """Restores what `import cupy` gave before `install()`."""
    for name in list(sys.modules):
        if getattr(sys.modules[name], "__strict_cupy__", False):
            del sys.modules[name]
    sys.modules.update(_saved)
    _saved.clear()


def swap_in_for_shim() -> None:
    """Called by the shim packages `cupy` / `cupyx`: puts the stand-in's modules in their place."""
    if not installed():
        for name in [n for n in sys.modules if n.split(".")[0] in ("cupy", "cupyx")]:
            del sys.modules[name]
        sys.modules.update(_build())


def subprocess_path() -> str:
    """The PYTHONPATH entries under which a subprocess's `import cupy` gives the stand-in."""
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    return os.pathsep.join([os.path.join(here, "shim"), root])
