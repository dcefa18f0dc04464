"""Linear-algebra K functions."""
from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .core import to_tensor

__all__ = ["qr"]


def qr(x: Any) -> tuple:
    """QR decomposition of a matrix (or a stack of them): x = q @ r, q orthonormal columns, r upper triangular.

    Uses the backend's `linalg.qr` in reduced mode: for x of shape (m, n), q is (m, k) and
    r is (k, n) with k = min(m, n). Not differentiable: q and r carry no gradient (the
    Orthogonal initializer, its main user, needs none).

    Example:
        >>> from multinn import backend as K
        >>> q, r = K.qr(K.constant([[3.0, 1.0], [4.0, 2.0]]))
        >>> q.shape, r.shape
        ((2, 2), (2, 2))
        >>> bool(abs(K.eval(K.dot(q, r)) - [[3.0, 1.0], [4.0, 2.0]]).max() < 1e-5)
        True
    """
    x = to_tensor(x)
    if len(x.shape) < 2:
        raise ValueError(f"K.qr expects a matrix (at least 2 dimensions). Received: x.shape={tuple(x.shape)}")
    b = x.backend
    # LAPACK has no half precision: float16 is factored in float32 and cast back.
    data = x.data.astype("float32") if x.dtype.kind == "f" and x.dtype.itemsize < 4 else x.data
    q, r = b.xp.linalg.qr(data)
    return Tensor(q.astype(x.dtype, copy=False), b), Tensor(r.astype(x.dtype, copy=False), b)
