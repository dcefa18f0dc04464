"""A small pool of worker threads for the NumPy backend's batch-chunked kernels.

NumPy runs one elementwise pass or strided copy on one core, while OpenBLAS spreads each
product over all of them. A convolution on a batch is mostly such passes (patch copies,
activation masks, scatter-adds) between products, so the NumPy backend splits the batch
into chunks and hands them to these workers: every pass then runs on every core, and each
chunk's arrays stay in cache between the passes. While the workers run, OpenBLAS runs on one
thread, so the workers' own products and BLAS never oversubscribe; when the last chunk is
done the count goes back, for the caller's big products. NumPy's OpenBLAS is built on
pthreads, where even `openblas_set_num_threads_local` changes the count of the whole
process, so the count is set around each map, never left to the worker threads.

There are as many workers as OpenBLAS has threads (`OPENBLAS_NUM_THREADS`), so a process
limited to one BLAS thread gets no workers and runs the chunks in the calling thread, as
does one whose OpenBLAS lacks the thread-count setting, or where `MULTINN_CHUNK_THREADS=0`
(the NumPy backend then gives the pool no thread control). The pool starts on first use and
is rebuilt in a forked child (threads do not survive a fork).
"""
from __future__ import annotations

import os
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable

from .numpy_blas import SERIAL_STRETCH, ThreadLimit


class ChunkPool:
    """Runs `fn(item)` for many items on the workers (or inline when there are none).

    Example:
        >>> from multinn.backends.numpy_threads import ChunkPool
        >>> ChunkPool(None).map(lambda i: i * i, range(4))
        [0, 1, 4, 9]
    """

    def __init__(self, limit: "ThreadLimit | None", on_start: "Callable[[], Any] | None" = None):
        self._limit = limit
        self._on_start = on_start  # run once, before the workers first start
        self._lock = threading.Lock()
        self._executor: "ThreadPoolExecutor | None" = None
        self._workers: "int | None" = None
        self._local = threading.local()
        me = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: me() is not None and me()._forget())

    def _forget(self) -> None:
        self._executor, self._workers = None, None
        self._lock = threading.Lock()

    @property
    def workers(self) -> int:
        """How many chunks run at once: OpenBLAS's thread count, 1 without its thread-count control."""
        if self._workers is None:
            if self._limit is None:
                self._workers = 1
            else:
                count = self._limit.single()
                self._limit.restore(count)
                self._workers = max(1, int(count))
        return self._workers

    def _start_worker(self) -> None:
        self._local.worker = True

    def map(self, fn: Callable[[Any], Any], items: Iterable) -> list:
        """[fn(item) for item in items], the items shared among the workers; exceptions propagate."""
        items = list(items)
        if self.workers == 1 or len(items) < 2 or getattr(self._local, "worker", False):
            return [fn(item) for item in items]
        with self._lock:
            if self._executor is None:
                if self._on_start is not None:
                    self._on_start()
                    self._on_start = None
                self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="multinn-chunks",
                                                    initializer=self._start_worker)
            executor = self._executor
        # Maps from several caller threads, and the workers' own serial loops, share the
        # process's one serial stretch: the first in saves the count, the last out restores it.
        SERIAL_STRETCH.enter(self._limit.single, self._limit.restore)
        try:
            return list(executor.map(fn, items))
        finally:
            SERIAL_STRETCH.leave()


class Scratch:
    """Per-thread scratch buffers reused between calls (a chunk's patches stay allocated and cached).

    Example:
        >>> import numpy
        >>> from multinn.backends.numpy_threads import Scratch
        >>> Scratch().take("cols", (2, 3), numpy.dtype("float32")).shape
        (2, 3)
    """

    # Larger buffers are not kept: a few huge patch matrices must not stay allocated for good.
    keep_bytes = 64 << 20

    def __init__(self):
        self._local = threading.local()

    def take(self, name: str, shape: tuple, dtype: Any):
        """An uninitialised array of `shape` and `dtype`, this thread's buffer `name` (grown as needed)."""
        import numpy

        count = 1
        for d in shape:
            count *= int(d)
        nbytes = count * numpy.dtype(dtype).itemsize
        if nbytes > self.keep_bytes:
            return numpy.empty(shape, dtype=dtype)
        buffers = self._local.__dict__.setdefault("buffers", {})
        raw = buffers.get(name)
        if raw is None or raw.size < nbytes:
            raw = buffers[name] = numpy.empty(max(nbytes, 64), dtype=numpy.uint8)
        return raw[:nbytes].view(dtype).reshape(shape)
