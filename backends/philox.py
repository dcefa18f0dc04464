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


def philox_blocks(xp, key: int, start: int, blocks: int):
    """Returns a (blocks, 4) uint64 array of 32-bit words for counters start..start+blocks-1.

    The 128-bit counter is (low 32 bits of n, high 32 bits of n, 0, 0) for block n;
    the 64-bit key is split into two 32-bit halves.
    """
    mask = xp.uint64(_MASK32)
    n = xp.arange(blocks, dtype=xp.uint64) + xp.uint64(start)
    c0 = n & mask
    c1 = n >> xp.uint64(32)
    c2 = xp.zeros_like(c0)
    c3 = xp.zeros_like(c0)
    return philox_rounds(xp, (c0, c1, c2, c3), (key & _MASK32, (key >> 32) & _MASK32))


def philox_rounds(xp, counter: tuple, key: tuple):
    """Philox4x32-10 of a full 128-bit counter (four uint64 arrays of 32-bit words) and key (two ints).

    Returns a (n, 4) uint64 array; exposed so the known-answer vectors can be checked.
    Works in place on four word buffers and two product buffers: fresh temporaries per
    operation cost several times the arithmetic on large arrays (page faults).
    """
    c0, c1, c2, c3 = (xp.array(c, dtype=xp.uint64, copy=True) for c in counter)
    k0, k1 = int(key[0]) & _MASK32, int(key[1]) & _MASK32
    mask = xp.uint64(_MASK32)
    m0 = xp.uint64(_M0)
    m1 = xp.uint64(_M1)
    shift = xp.uint64(32)
    p0 = xp.empty_like(c0)
    p1 = xp.empty_like(c0)
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
    return xp.stack([c0, c1, c2, c3], axis=1)


def random_words(xp, key: int, start: int, count: int):
    """Returns `count` uint32 words from the stream `key`, starting at block `start`."""
    blocks = (count + 3) // 4
    words = philox_blocks(xp, key, start, blocks).reshape(-1)[:count]
    return words.astype(xp.uint32)


def blocks_for(count: int) -> int:
    """How many counter blocks `count` words consume (for advancing a stream)."""
    return (count + 3) // 4


def uniform01(xp, key: int, start: int, count: int, dtype):
    """Uniform draws in [0, 1): as many random bits as the dtype's significand holds
    (11 for float16, 24 for float32, 53 for float64), so no draw rounds up to 1."""
    dtype = xp.dtype(dtype)
    if dtype.itemsize >= 8:
        words = random_words(xp, key, start, 2 * count).astype(xp.uint64).reshape(count, 2)
        hi = words[:, 0] >> xp.uint64(5)
        lo = words[:, 1] >> xp.uint64(6)
        bits = hi * xp.uint64(1 << 26) + lo
        return bits.astype(xp.float64) * (1.0 / (1 << 53))
    keep = min(int(xp.finfo(dtype).nmant) + 1, 24)
    words = random_words(xp, key, start, count)
    bits = (words >> xp.uint32(32 - keep)).astype(xp.float32)
    return (bits * xp.float32(1.0 / (1 << keep))).astype(dtype)


def words_for_uniform(count: int, dtype_itemsize: int) -> int:
    return 2 * count if dtype_itemsize >= 8 else count


def standard_normal(xp, key: int, start: int, count: int):
    """Box-Muller normals in float64 from 2*count 53-bit uniforms."""
    u = uniform01(xp, key, start, 2 * count, "float64").reshape(2, count)
    u1 = 1.0 - u[0]  # (0, 1]: log is finite
    radius = xp.sqrt(-2.0 * xp.log(u1))
    return radius * xp.cos(2.0 * 3.141592653589793 * u[1])
