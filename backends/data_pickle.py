"""Reads the data inside pickle streams without Python's `pickle` module, so no file can run
code: the data sets Keras 2 downloads (imdb.npz and reuters.npz object arrays, CIFAR
batches) hold only ints, floats, strings, bytes, lists, tuples, dicts and NumPy arrays, and
that is all this reader builds. Any other object a stream names is refused with an error.

Array sizes are checked against the bytes the stream holds before anything is allocated.
"""
from __future__ import annotations

import struct
from typing import Any

import numpy


class DataPickleError(ValueError):
    """A pickle stream that holds something other than plain data and arrays, or is damaged.

    Example:
        >>> isinstance(DataPickleError("x"), ValueError)
        True
    """


_RECONSTRUCT = ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")
_NDARRAY = ("numpy", "ndarray")
_DTYPE = ("numpy", "dtype")
_ENCODE = ("_codecs", "encode")
# protocol 5 spells an array as _frombuffer(bytes, dtype, shape, order)
_FROMBUFFER = ("numpy._core.numeric", "_frombuffer"), ("numpy.core.numeric", "_frombuffer")
_ALLOWED = set(_RECONSTRUCT) | set(_FROMBUFFER) | {_NDARRAY, _DTYPE, _ENCODE}


class _Mark:
    pass


class _Global:
    def __init__(self, key: tuple):
        self.key = key


class _ArraySpec:
    """An ndarray under construction: `_reconstruct(ndarray, (0,), b'b')`, then BUILD."""


class _DtypeSpec:
    def __init__(self, name: str):
        self.name = name
        self.byteorder = "|"


_MARK = _Mark()


def _dtype(spec: Any) -> Any:
    if not isinstance(spec, _DtypeSpec):
        raise DataPickleError(f"an array's dtype must be a numpy.dtype, not {type(spec).__name__}")
    try:
        dtype = numpy.dtype(spec.name)
    except TypeError as exc:
        raise DataPickleError(f"unknown dtype {spec.name!r}") from exc
    if dtype.fields is not None or dtype.subdtype is not None:
        raise DataPickleError(f"structured dtype {spec.name!r} is not plain data")
    if spec.byteorder in ("<", ">") and dtype.itemsize > 1:
        dtype = dtype.newbyteorder(spec.byteorder)
    return dtype


def _build_array(state: Any) -> Any:
    if not isinstance(state, tuple) or len(state) != 5:
        raise DataPickleError("an array's state should be (version, shape, dtype, fortran, data)")
    _, shape, dtype_spec, fortran, data = state
    if not isinstance(shape, tuple) or not all(isinstance(s, int) and s >= 0 for s in shape):
        raise DataPickleError(f"bad array shape {shape!r}")
    dtype = _dtype(dtype_spec)
    count = 1
    for s in shape:
        count *= s
    order = "F" if fortran else "C"
    if dtype.hasobject:
        if not isinstance(data, list) or len(data) != count:
            raise DataPickleError(f"an object array of shape {shape} needs {count} items")
        array = numpy.empty(count, dtype=object)
        for i, item in enumerate(data):
            array[i] = item
        return array.reshape(shape, order=order)
    if isinstance(data, str):
        data = data.encode("latin1")  # Python 2 str data read as text
    if not isinstance(data, (bytes, bytearray)) or len(data) != count * dtype.itemsize:
        raise DataPickleError(f"array of shape {shape} and dtype {dtype} needs {count * dtype.itemsize} bytes")
    return numpy.frombuffer(bytes(data), dtype=dtype).reshape(shape, order=order).copy()


def _call(func: Any, args: Any) -> Any:
    if not isinstance(func, _Global) or not isinstance(args, tuple):
        raise DataPickleError("the stream calls something that is not an allowed global")
    if func.key in _RECONSTRUCT:
        return _ArraySpec()
    if func.key in _FROMBUFFER:
        if len(args) != 4:
            raise DataPickleError("_frombuffer needs (data, dtype, shape, order)")
        data, dtype, shape, order = args
        return _build_array((1, tuple(shape) if isinstance(shape, (list, tuple)) else shape, dtype, order == "F", data))
    if func.key == _DTYPE:
        if not args or not isinstance(args[0], str):
            raise DataPickleError("numpy.dtype needs a type name")
        return _DtypeSpec(args[0])
    if func.key == _ENCODE:  # Python 3's spelling of bytes in protocol 2: _codecs.encode(text, 'latin1')
        if len(args) != 2 or not isinstance(args[0], str) or args[1] != "latin1":
            raise DataPickleError("_codecs.encode is allowed only for latin1 bytes")
        return args[0].encode("latin1")
    raise DataPickleError(f"calling {'.'.join(func.key)} is not allowed")


def _build(obj: Any, state: Any) -> Any:
    if isinstance(obj, _ArraySpec):
        return _build_array(state)
    if isinstance(obj, _DtypeSpec):
        if isinstance(state, tuple) and len(state) >= 2 and isinstance(state[1], str):
            obj.byteorder = state[1]
        if isinstance(state, tuple) and any(part is not None for part in state[2:5]):
            raise DataPickleError("a structured or sub-array dtype is not plain data")
        return obj
    raise DataPickleError(f"setting the state of a {type(obj).__name__} is not allowed")


class _Reader:
    def __init__(self, data: bytes, encoding: str):
        self.data = memoryview(data)
        self.pos = 0
        self.encoding = encoding
        self.stack: list = []
        self.memo: dict = {}

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise DataPickleError("truncated pickle stream")
        out = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return out

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def raw_line(self) -> bytes:
        end = bytes(self.data[self.pos:]).find(b"\n")
        if end < 0:
            raise DataPickleError("truncated pickle stream")
        return self.take(end + 1)[:-1]

    def line(self) -> str:
        return self.raw_line().decode("utf8")

    def pop_mark(self) -> list:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i] is _MARK:
                items = self.stack[i + 1:]
                del self.stack[i:]
                return items
        raise DataPickleError("no MARK on the stack")

    def pop(self) -> Any:
        if not self.stack:
            raise DataPickleError("pickle stack underflow")
        return self.stack.pop()

    def top(self) -> Any:
        if not self.stack:
            raise DataPickleError("pickle stack underflow")
        return self.stack[-1]

    def text(self, raw: bytes) -> Any:
        # Python 2 str: bytes with encoding='bytes', text otherwise (as pickle.load does)
        return raw if self.encoding == "bytes" else raw.decode(self.encoding)

    def global_(self, module: str, name: str) -> _Global:
        key = (module, name)
        if key not in _ALLOWED:
            raise DataPickleError(f"the stream names {module}.{name}; only plain data and NumPy arrays are read")
        return _Global(key)

    def run(self) -> Any:  # noqa: C901  (one branch per opcode)
        while True:
            op = self.take(1)
            s = self.stack
            if op == b".":
                return self.pop()
            if op == b"\x80":
                self.take(1)
            elif op == b"\x95":
                self.take(8)
            elif op == b"(":
                s.append(_MARK)
            elif op == b"}":
                s.append({})
            elif op == b"]":
                s.append([])
            elif op == b")":
                s.append(())
            elif op == b"t":
                s.append(tuple(self.pop_mark()))
            elif op in (b"\x85", b"\x86", b"\x87"):
                n = op[0] - 0x84
                if len(s) < n:
                    raise DataPickleError("pickle stack underflow")
                items = tuple(s[len(s) - n:])
                del s[len(s) - n:]
                s.append(items)
            elif op == b"l":
                s.append(self.pop_mark())
            elif op == b"d":
                items = self.pop_mark()
                s.append(dict(zip(items[::2], items[1::2])))
            elif op == b"a":
                value = self.pop()
                target = self.top()
                if not isinstance(target, list):
                    raise DataPickleError("APPEND to a non-list")
                target.append(value)
            elif op == b"e":
                items = self.pop_mark()
                target = self.top()
                if not isinstance(target, list):
                    raise DataPickleError("APPENDS to a non-list")
                target.extend(items)
            elif op == b"s":
                value, key = self.pop(), self.pop()
                target = self.top()
                if not isinstance(target, dict):
                    raise DataPickleError("SETITEM on a non-dict")
                target[key] = value
            elif op == b"u":
                items = self.pop_mark()
                target = self.top()
                if not isinstance(target, dict):
                    raise DataPickleError("SETITEMS on a non-dict")
                target.update(zip(items[::2], items[1::2]))
            elif op == b"J":
                s.append(self.unpack("<i"))
            elif op == b"K":
                s.append(self.unpack("<B"))
            elif op == b"M":
                s.append(self.unpack("<H"))
            elif op == b"\x8a":
                s.append(int.from_bytes(self.take(self.unpack("<B")), "little", signed=True))
            elif op == b"\x8b":
                s.append(int.from_bytes(self.take(self.unpack("<i")), "little", signed=True))
            elif op == b"I":
                text = self.line()
                s.append(True if text == "01" else False if text == "00" else int(text))
            elif op == b"L":
                s.append(int(self.line().rstrip("L")))
            elif op == b"F":
                s.append(float(self.line()))
            elif op == b"G":
                s.append(self.unpack(">d"))
            elif op == b"N":
                s.append(None)
            elif op == b"\x88":
                s.append(True)
            elif op == b"\x89":
                s.append(False)
            elif op == b"T":
                s.append(self.text(self.take(self.unpack("<i"))))
            elif op == b"U":
                s.append(self.text(self.take(self.unpack("<B"))))
            elif op == b"V":
                s.append(self.raw_line().decode("raw_unicode_escape"))
            elif op == b"S":
                import codecs

                quoted = self.raw_line()
                if len(quoted) < 2 or quoted[:1] != quoted[-1:] or quoted[:1] not in (b"'", b'"'):
                    raise DataPickleError("bad STRING opcode")
                s.append(self.text(codecs.escape_decode(quoted[1:-1])[0]))
            elif op == b"X":
                s.append(self.take(self.unpack("<I")).decode("utf8", "surrogatepass"))
            elif op == b"\x8c":
                s.append(self.take(self.unpack("<B")).decode("utf8", "surrogatepass"))
            elif op == b"\x8d":
                s.append(self.take(self.unpack("<Q")).decode("utf8", "surrogatepass"))
            elif op == b"B":
                s.append(self.take(self.unpack("<I")))
            elif op == b"C":
                s.append(self.take(self.unpack("<B")))
            elif op == b"\x8e":
                s.append(self.take(self.unpack("<Q")))
            elif op == b"\x96":
                s.append(bytearray(self.take(self.unpack("<Q"))))
            elif op == b"q":
                self.memo[self.unpack("<B")] = self.top()
            elif op == b"r":
                self.memo[self.unpack("<I")] = self.top()
            elif op == b"p":
                self.memo[int(self.line())] = self.top()
            elif op == b"\x94":
                self.memo[len(self.memo)] = self.top()
            elif op in (b"h", b"j", b"g"):
                key = self.unpack("<B") if op == b"h" else self.unpack("<I") if op == b"j" else int(self.line())
                if key not in self.memo:
                    raise DataPickleError(f"memo key {key} read before it was written")
                s.append(self.memo[key])
            elif op == b"c":
                module = self.line()
                s.append(self.global_(module, self.line()))
            elif op == b"\x93":
                name, module = self.pop(), self.pop()
                if not isinstance(module, str) or not isinstance(name, str):
                    raise DataPickleError("STACK_GLOBAL needs two strings")
                s.append(self.global_(module, name))
            elif op == b"R":
                args, func = self.pop(), self.pop()
                s.append(_call(func, args))
            elif op == b"b":
                state = self.pop()
                s.append(_build(self.pop(), state))
            elif op == b"0":
                self.pop()
            elif op == b"1":
                self.pop_mark()
            elif op == b"2":
                s.append(self.top())
            else:
                raise DataPickleError(f"pickle opcode {op!r} is not read (not plain data)")


def loads_data(data: bytes, encoding: str = "ASCII") -> Any:
    """The plain data and NumPy arrays a pickle stream holds, read without running code.

    Args:
        data: the stream's bytes.
        encoding: how Python 2 strings are read ('bytes' keeps them as bytes, as
            `pickle.load(..., encoding='bytes')` does).

    Raises:
        DataPickleError: the stream names anything else, or is damaged.

    Example:
        >>> import pickle, numpy
        >>> loads_data(pickle.dumps({"x": [1, 2.5, "a"], "y": numpy.arange(3)}))["y"].tolist()
        [0, 1, 2]
        >>> loads_data(pickle.dumps(print))
        Traceback (most recent call last):
        ...
        multinn.backends.data_pickle.DataPickleError: the stream names builtins.print; only plain data and NumPy arrays are read
    """
    reader = _Reader(bytes(data), encoding)
    try:
        result = reader.run()
    except (UnicodeDecodeError, ValueError, struct.error, OverflowError, MemoryError) as exc:
        if isinstance(exc, DataPickleError):
            raise
        raise DataPickleError(f"damaged pickle stream ({exc})") from exc
    if isinstance(result, (_Global, _ArraySpec, _DtypeSpec, _Mark)):
        raise DataPickleError("the stream holds an unfinished object")
    return result


def read_npy_member(raw: bytes) -> Any:
    """An array from the bytes of one `.npy` file, object arrays included (their pickled
    part read by `loads_data`).

    Example:
        >>> import io, numpy
        >>> buffer = io.BytesIO()
        >>> numpy.save(buffer, numpy.array([[1, 2], [3]], dtype=object))
        >>> [list(x) for x in read_npy_member(buffer.getvalue())]
        [[1, 2], [3]]
    """
    import io

    from numpy.lib import format as npy

    stream = io.BytesIO(raw)
    version = npy.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = npy.read_array_header_1_0(stream)
    else:
        shape, fortran, dtype = npy.read_array_header_2_0(stream)
    if not dtype.hasobject:
        stream.seek(0)
        return npy.read_array(stream, allow_pickle=False)
    array = loads_data(stream.read(), encoding="latin1")
    if not isinstance(array, numpy.ndarray) or array.shape != tuple(shape):
        raise DataPickleError(f"the object array's data does not have the header's shape {tuple(shape)}")
    return array
