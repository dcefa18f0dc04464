"""`sgemm`: the bundled OpenBLAS's float32 matrix product, callable from numba-compiled code.

A recurrent layer's time loop alternates one small product with one compiled step. Run
from Python, each product and step is a call with argument checks (some 6 µs a step, as
much as a third of the step's arithmetic at a text classifier's sizes). Compiled, the whole
loop is one call: the product goes straight to `cblas_sgemm`, through its address.

The address is an argument, not a constant, so the compiled loops stay in numba's on-disk
cache (a compiled-in pointer would be stale in the next process). It comes from the
OpenBLAS NumPy's wheels bundle, with 64-bit integers (`sgemm_address`); without one the
callers keep their other paths.
"""
from __future__ import annotations

import ctypes

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .numpy_blas import _openblas_unless

_SYMBOLS = ("scipy_cblas_sgemm64_", "cblas_sgemm64_")  # NumPy 2 wheels, then older ones
_ROW_MAJOR, _NO_TRANSPOSE = 101, 111


def sgemm_address() -> "int | None":
    """The address of the bundled OpenBLAS's cblas_sgemm with 64-bit integers, or None."""
    lib = _openblas_unless("MULTINN_NUMBA")  # None where missing or broken: the callers keep other paths
    for name in _SYMBOLS:
        fn = getattr(lib, name, None) if lib is not None else None
        if fn is not None:
            return ctypes.cast(fn, ctypes.c_void_p).value
    return None


@intrinsic
def sgemm(typingctx, address, m, n, k, a, lda, b, ldb, beta, c, ldc):
    """c[:m, :n] = a[:m, :k] @ b[:k, :n] + beta * c, row-major float32 with leading dimensions
    lda, ldb, ldc (in elements), through cblas_sgemm at `address`. No checks: the caller
    passes arrays whose rows are contiguous and at least that large."""
    arrays = (a, b, c)
    if not all(isinstance(x, types.Array) and x.dtype == types.float32 for x in arrays):
        return None
    i64 = types.int64
    sig = types.void(i64, i64, i64, i64, a, i64, b, i64, types.float32, c, i64)

    def codegen(context, builder, signature, args):
        address_v, m_v, n_v, k_v, a_v, lda_v, b_v, ldb_v, beta_v, c_v, ldc_v = args
        int32, int64, f32 = ir.IntType(32), ir.IntType(64), ir.FloatType()
        ptr = f32.as_pointer()
        fnty = ir.FunctionType(ir.VoidType(), [int32, int32, int32, int64, int64, int64, f32, ptr, int64, ptr,
                                               int64, f32, ptr, int64])
        fn = builder.inttoptr(address_v, fnty.as_pointer())

        def data(array_type, value):
            return context.make_array(array_type)(context, builder, value).data

        builder.call(fn, [ir.Constant(int32, _ROW_MAJOR), ir.Constant(int32, _NO_TRANSPOSE),
                          ir.Constant(int32, _NO_TRANSPOSE), m_v, n_v, k_v, ir.Constant(f32, 1.0),
                          data(signature.args[4], a_v), lda_v, data(signature.args[6], b_v), ldb_v, beta_v,
                          data(signature.args[9], c_v), ldc_v])
        return context.get_dummy_value()

    return sig, codegen
