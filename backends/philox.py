"""Philox4x32-10, the counter-based generator every backend shares.

Written once against an array module `xp` with 64-bit integer arithmetic only,
so NumPy and CuPy produce the same bits for the same (key, counter).
Reference: Salmon et al., "Parallel random numbers: as easy as 1, 2, 3" (SC'11).
"""
from __future__ import annotations

_M0 = 0xD2511F53
_M1 = 0xCD9E8D57
_W0 = 0x9E3779B9
_W1 = 0xBB67AE85
_MASK32 = 0xFFFFFFFF
ROUNDS = 10


def philox_blocks(xp, key: int, start: int, blocks: int, chunk: "int | None" = None):
    """Returns a (blocks, 4) uint64 array of 32-bit words for counters start..start+blocks-1.

    The 128-bit counter is (low 32 bits of n, high 32 bits of n, 0, 0) for block n;
    the 64-bit key is split into two 32-bit halves.
    """
    return philox_words(xp, key, start, blocks, chunk).astype(xp.uint64)


def philox_words(xp, key: int, start: int, blocks: int, chunk: "int | None" = None):
    """The (blocks, 4) uint32 words of counters start..start+blocks-1 (see `philox_blocks`).

    With `chunk`, the blocks are generated `chunk` at a time in buffers reused from chunk to
    chunk: ten rounds of ten passes then run over arrays that stay in the CPU's cache instead
    of streaming the whole counter range through memory a hundred times. The words do not
    depend on `chunk`; a GPU backend passes None (one pass, fewer launches).
    """
    step = blocks if not chunk else max(1, min(int(chunk), blocks))
    out = xp.empty((blocks, 4), dtype=xp.uint32)
    if blocks == 0:
        return out
    keys = (key & _MASK32, (key >> 32) & _MASK32)
    mask = xp.uint64(_MASK32)
    base = xp.arange(step, dtype=xp.uint64)
    words = [xp.empty(step, dtype=xp.uint64) for _ in range(6)]
    for first in range(0, blocks, step):
        size = min(step, blocks - first)
        c0, c1, c2, c3, p0, p1 = (w[:size] for w in words)
        xp.add(base[:size], xp.uint64(start + first), out=c0)
        xp.right_shift(c0, xp.uint64(32), out=c1)
        c0 &= mask
        c2[...] = 0
        c3[...] = 0
        _rounds_in_place(xp, c0, c1, c2, c3, p0, p1, keys)
        for j, c in enumerate((c0, c1, c2, c3)):
            out[first:first + size, j] = c
    return out


def philox_rounds(xp, counter: tuple, key: tuple):
    """Philox4x32-10 of a full 128-bit counter (four uint64 arrays of 32-bit words) and key (two ints).

    Returns a (n, 4) uint64 array; exposed so the known-answer vectors can be checked.
    """
    c0, c1, c2, c3 = (xp.array(c, dtype=xp.uint64, copy=True) for c in counter)
    _rounds_in_place(xp, c0, c1, c2, c3, xp.empty_like(c0), xp.empty_like(c0), key)
    return xp.stack([c0, c1, c2, c3], axis=1)


def _rounds_in_place(xp, c0, c1, c2, c3, p0, p1, key: tuple) -> None:
    """The ten rounds on four uint64 word buffers, with two product buffers as scratch.

    In place: fresh temporaries per operation cost several times the arithmetic on large
    arrays (page faults).
    """
    k0, k1 = int(key[0]) & _MASK32, int(key[1]) & _MASK32
    mask = xp.uint64(_MASK32)
    m0 = xp.uint64(_M0)
    m1 = xp.uint64(_M1)
    shift = xp.uint64(32)
    for _ in range(ROUNDS):
        xp.multiply(c0, m0, out=p0)
        xp.multiply(c2, m1, out=p1)
        # (c0, c1, c2, c3) <- (hi(p1) ^ c1 ^ k0, lo(p1), hi(p0) ^ c3 ^ k1, lo(p0)); the old c1
        # and c3 are read before they are overwritten
        xp.right_shift(p1, shift, out=c0)
        c0 ^= c1
        c0 ^= xp.uint64(k0)
        xp.bitwise_and(p1, mask, out=c1)
        xp.right_shift(p0, shift, out=c2)
        c2 ^= c3
        c2 ^= xp.uint64(k1)
        xp.bitwise_and(p0, mask, out=c3)
        k0 = (k0 + _W0) & _MASK32
        k1 = (k1 + _W1) & _MASK32


def random_words(xp, key: int, start: int, count: int, chunk: "int | None" = None):
    """Returns `count` uint32 words from the stream `key`, starting at block `start`."""
    blocks = (count + 3) // 4
    return philox_words(xp, key, start, blocks, chunk).reshape(-1)[:count]


def blocks_for(count: int) -> int:
    """How many counter blocks `count` words consume (for advancing a stream)."""
    return (count + 3) // 4


def uniform01(xp, key: int, start: int, count: int, dtype, chunk: "int | None" = None):
    """Uniform draws in [0, 1): as many random bits as the dtype's significand holds
    (11 for float16, 24 for float32, 53 for float64), so no draw rounds up to 1."""
    dtype = xp.dtype(dtype)
    if dtype.itemsize >= 8:
        words = random_words(xp, key, start, 2 * count, chunk).astype(xp.uint64).reshape(count, 2)
        hi = words[:, 0] >> xp.uint64(5)
        lo = words[:, 1] >> xp.uint64(6)
        bits = hi * xp.uint64(1 << 26) + lo
        return bits.astype(xp.float64) * (1.0 / (1 << 53))
    keep = min(int(xp.finfo(dtype).nmant) + 1, 24)
    words = random_words(xp, key, start, count, chunk)
    bits = (words >> xp.uint32(32 - keep)).astype(xp.float32)
    return (bits * xp.float32(1.0 / (1 << keep))).astype(dtype)


def words_for_uniform(count: int, dtype_itemsize: int) -> int:
    return 2 * count if dtype_itemsize >= 8 else count


def standard_normal(xp, key: int, start: int, count: int, chunk: "int | None" = None):
    """Box-Muller normals in float64 from 2*count 53-bit uniforms."""
    u = uniform01(xp, key, start, 2 * count, "float64", chunk).reshape(2, count)
    u1 = 1.0 - u[0]  # (0, 1]: log is finite
    radius = xp.sqrt(-2.0 * xp.log(u1))
    return radius * xp.cos(2.0 * 3.141592653589793 * u[1])
