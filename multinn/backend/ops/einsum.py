"""K.einsum: Einstein summation over any number of operands, with gradients.

The equation is first rewritten in explicit form (ellipses replaced by letters of their
own, the implicit output spelled out), so that the forward and every gradient are plain
einsums. Two-operand contractions, the common case (projections, attention scores), run
as one batched matrix product on transposed operands, so they reach BLAS / cuBLAS.
"""
from __future__ import annotations

import functools
import string
from typing import Any

from ..tensor import Tensor
from .core import Primitive, deferred_on_graph, to_tensor
from .math import broadcast_to, reshape, sum

__all__ = ["einsum"]


def _unique(letters: str) -> str:
    return "".join(dict.fromkeys(letters))


@functools.lru_cache(maxsize=1024)
def _parse(equation: str, shapes: tuple) -> tuple:
    """(input subscripts, output subscripts, letter sizes) with no ellipsis left.

    Cached: a model calls the same few equations on the same shapes every step. The sizes
    dict is shared between calls and never changed.
    """
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->", 1)
        explicit = True
    else:
        lhs, out, explicit = eq, "", False
    subs = lhs.split(",")
    if len(subs) != len(shapes):
        raise ValueError(
            f"K.einsum: the equation names {len(subs)} operand(s) but {len(shapes)} were given. "
            f"Received: equation={equation!r}"
        )
    used = set(eq) - set(".,->")
    bad = [c for c in used if c not in string.ascii_letters]
    if bad:
        raise ValueError(f"K.einsum: subscripts must be letters (and '...'). Received: equation={equation!r}")
    spare = [c for c in string.ascii_letters if c not in used]
    ellipsis_dims = 0
    for s, shape in zip(subs, shapes):
        if "..." in s:
            ellipsis_dims = max(ellipsis_dims, len(shape) - (len(s) - 3))
    if ellipsis_dims > len(spare):
        raise ValueError(f"K.einsum: too many dimensions under '...'. Received: equation={equation!r}")
    fill = "".join(spare[:ellipsis_dims])
    rewritten = []
    for i, (s, shape) in enumerate(zip(subs, shapes)):
        if "..." in s:
            n = len(shape) - (len(s) - 3)
            if n < 0:
                raise ValueError(
                    f"K.einsum: operand {i} has {len(shape)} dimensions, fewer than its subscripts {s!r} name. "
                    f"Received: equation={equation!r}"
                )
            s = s.replace("...", fill[len(fill) - n:])
        if "." in s or len(s) != len(shape):
            raise ValueError(
                f"K.einsum: operand {i} has shape {tuple(shape)} but its subscripts {s!r} name {len(s)} dimensions. "
                f"Received: equation={equation!r}"
            )
        rewritten.append(s)
    if explicit:
        out = out.replace("...", fill)
        if "." in out:
            raise ValueError(f"K.einsum: malformed output subscripts. Received: equation={equation!r}")
        for c in out:
            if not any(c in s for s in rewritten):
                raise ValueError(
                    f"K.einsum: output subscript {c!r} appears in no operand. Received: equation={equation!r}"
                )
        if len(set(out)) != len(out):
            raise ValueError(f"K.einsum: an output subscript is repeated. Received: equation={equation!r}")
    else:  # NumPy's implicit mode: '...' first, then the letters seen once, in alphabetical order
        joined = "".join(s for s in lhs.split(","))
        once = sorted(c for c in set(joined) if c != "." and joined.count(c) == 1)
        out = fill + "".join(once)
    sizes: dict = {}
    for i, (s, shape) in enumerate(zip(rewritten, shapes)):
        for c, d in zip(s, shape):
            known = sizes.get(c)
            if known is None or known == 1:
                sizes[c] = int(d)
            elif d != 1 and d != known:
                raise ValueError(
                    f"K.einsum: subscript {c!r} has size {known} in one operand and {d} in operand {i} "
                    f"(shapes {[tuple(x) for x in shapes]}). Received: equation={equation!r}"
                )
    return tuple(rewritten), out, sizes


# ------------------------------------------------------------------ forward
def _contract_pair(b, x, y, sx: str, sy: str, out: str, sizes: dict):
    """x, y -> out as one batched matrix product (letters appear once per operand)."""
    xp = b.xp
    # Letters summed away that only one operand has are summed first.
    only_x = [c for c in sx if c not in sy and c not in out]
    if only_x:
        x = x.sum(axis=tuple(sx.index(c) for c in only_x))
        sx = "".join(c for c in sx if c not in only_x)
    only_y = [c for c in sy if c not in sx and c not in out]
    if only_y:
        y = y.sum(axis=tuple(sy.index(c) for c in only_y))
        sy = "".join(c for c in sy if c not in only_y)
    batch = [c for c in sx if c in sy and c in out]
    contract = [c for c in sx if c in sy and c not in out]
    free_x = [c for c in sx if c not in sy]
    free_y = [c for c in sy if c not in sx]

    def arrange(a, s, middle, last):
        order = [s.index(c) for c in batch + middle + last]
        a = a.transpose(order) if order != list(range(len(order))) else a
        full = tuple(sizes[c] for c in batch + middle + last)
        if a.shape != full:  # a broadcast (size-1) batch dimension
            a = xp.broadcast_to(a, full)
        n = 1
        for c in batch:
            n *= sizes[c]
        rows = 1
        for c in middle:
            rows *= sizes[c]
        cols = 1
        for c in last:
            cols *= sizes[c]
        return a.reshape(n, rows, cols)

    left = arrange(x, sx, free_x, contract)
    right = arrange(y, sy, contract, free_y)
    z = b.matmul(left, right)
    letters = batch + free_x + free_y
    z = z.reshape(tuple(sizes[c] for c in letters))
    order = [letters.index(c) for c in out]
    return z.transpose(order) if order != list(range(len(order))) else z


def _einsum_fwd(b, *arrays, equation, subs, out, sizes):
    if len(arrays) == 2 and all(len(set(s)) == len(s) for s in subs):
        result = _contract_pair(b, arrays[0], arrays[1], subs[0], subs[1], out, sizes)
    else:
        result = b.xp.einsum(equation, *arrays)
    # A transposed view would make every later elementwise op slower: hand back a contiguous array.
    return b.xp.ascontiguousarray(result) if result.ndim else result


# ------------------------------------------------------------------ gradients
def _grad_one(dy: Tensor, operands: tuple, subs: tuple, out: str, sizes: dict, i: int) -> Tensor:
    target = subs[i]
    letters = _unique(target)
    others = [(s, x) for j, (s, x) in enumerate(zip(subs, operands)) if j != i]
    reachable = set(out).union(*[set(s) for s, _ in others]) if others else set(out)
    kept = "".join(c for c in letters if c in reachable)
    inputs = [dy]
    for s, x in others:
        full = tuple(sizes[c] for c in s)
        inputs.append(x if tuple(x.shape) == full else broadcast_to(x, full))
    g = einsum(",".join([out] + [s for s, _ in others]) + "->" + kept, *inputs)
    if kept != letters:  # letters summed in this operand alone: the gradient is constant along them
        g = reshape(g, tuple(sizes[c] if c in kept else 1 for c in letters))
        g = broadcast_to(g, tuple(sizes[c] for c in letters))
    if letters != target:  # a repeated subscript (a diagonal): the gradient lies on that diagonal
        g = _onto_diagonal(g, letters, target, sizes, dy.backend, dy.dtype)
    x = operands[i]
    reduce = tuple(a for a, c in enumerate(target) if x.shape[a] == 1 and sizes[c] != 1)
    if reduce:
        g = sum(g, axis=reduce, keepdims=True)
    return g


def _onto_diagonal(g: Tensor, letters: str, target: str, sizes: dict, backend, dtype) -> Tensor:
    spare = iter(c for c in string.ascii_letters if c not in target)
    spelled, deltas, eyes = "", [], []
    seen: set = set()
    for c in target:
        if c in seen:
            d = next(spare)
            spelled += d
            deltas.append(c + d)
            eyes.append(Tensor(backend.xp.eye(sizes[c], dtype=dtype), backend))
        else:
            seen.add(c)
            spelled += c
    return einsum(",".join([letters] + deltas) + "->" + spelled, g, *eyes)


def _einsum_grad(dy, y, *operands, equation, subs, out, sizes):
    return tuple(
        _grad_one(dy, operands, subs, out, sizes, i) if isinstance(x, Tensor) and x.needs_grad else None
        for i, x in enumerate(operands)
    )


_einsum = Primitive("einsum", _einsum_fwd, _einsum_grad)


@deferred_on_graph
def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation: the product of `operands` summed over the subscripts `equation` leaves out.

    NumPy's notation: `'ij,jk->ik'` (matrix product), `'...ij,...jk->...ik'` (batched),
    `'ii->i'` (diagonal), `'ij->'` (sum), or implicit output (`'ij,jk'`). Dimensions under
    `...` broadcast. Differentiable in every operand (the gradient of one operand is an
    einsum of the output gradient with the others).

    Args:
        equation: the subscripts, e.g. `'abc,cd->abd'`.
        *operands: the tensors, one per comma-separated group of subscripts.

    Example:
        >>> from multinn import backend as K
        >>> a = K.constant([[1.0, 2.0], [3.0, 4.0]])
        >>> K.einsum("ij,jk->ik", a, a).numpy().tolist()
        [[7.0, 10.0], [15.0, 22.0]]
        >>> K.einsum("ii->", a).numpy().item()
        5.0
    """
    if not isinstance(equation, str):
        raise TypeError(f"K.einsum takes the equation string first. Received: equation={equation!r}")
    if not operands:
        raise ValueError(f"K.einsum needs at least one operand. Received: equation={equation!r}")
    first = next((x for x in operands if isinstance(x, Tensor)), None)
    backend = first.backend if first is not None else None
    tensors = tuple(to_tensor(x, backend) for x in operands)
    subs, out, sizes = _parse(equation, tuple(tuple(x.shape) for x in tensors))
    explicit = ",".join(subs) + "->" + out
    return _einsum(*tensors, equation=explicit, subs=subs, out=out, sizes=sizes)
