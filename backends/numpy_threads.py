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
from typing import Any, Callable, Iterable

from .numpy_blas import SERIAL_STRETCH, ThreadLimit


def split_evenly(n: int, parts: int) -> list:
    """(lo, hi) bounds of `parts` contiguous ranges covering range(n), as even as can be.

    Example:
        >>> from multinn.backends.numpy_threads import split_evenly
        >>> split_evenly(10, 3)
        [(0, 3), (3, 6), (6, 10)]
    """
    bounds = [n * k // parts for k in range(parts + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


class _Job:
    """One map's items, claimed one at a time by whichever thread is free."""

    def __init__(self, fn: Callable[[Any], Any], items: list):
        self.fn, self.items = fn, items
        self.results: list = [None] * len(items)
        self.errors: dict = {}
        self._lock = threading.Lock()
        self._next = self._finished = 0
        self.done = threading.Event()

    def run(self) -> None:
        """Runs unclaimed items until none is left."""
        n = len(self.items)
        while True:
            with self._lock:
                i = self._next
                self._next += 1
            if i >= n:
                return
            try:
                self.results[i] = self.fn(self.items[i])
            except BaseException as error:  # re-raised in the caller, as ThreadPoolExecutor.map does
                self.errors[i] = error
            with self._lock:
                self._finished += 1
                if self._finished == n:
                    self.done.set()


class ChunkPool:
    """Runs `fn(item)` for many items on the workers (or inline when there are none).

    A map hands its items to `workers - 1` background threads and the calling thread, which
    claim them one at a time: no Future per item (a ThreadPoolExecutor's came to some 35 µs of
    the caller's time each, 7% of a small CNN's step).

    Example:
        >>> from multinn.backends.numpy_threads import ChunkPool
        >>> ChunkPool(None).map(lambda i: i * i, range(4))
        [0, 1, 4, 9]
    """

    def __init__(self, limit: "ThreadLimit | None", on_start: "Callable[[], Any] | None" = None):
        self._limit = limit
        self._on_start = on_start  # run once, before the workers first start
        self._workers: "int | None" = None
        self._local = threading.local()
        self._forget()
        me = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: me() is not None and me()._forget())

    def _forget(self) -> None:
        """No threads (none survive a fork; they start again on the next map)."""
        self._threads: "list | None" = None
        self._map_lock = threading.Lock()  # one map at a time on the workers
        self._wake = threading.Condition()
        self._job: "_Job | None" = None
        self._generation = 0

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

    def _start(self) -> None:
        if self._on_start is not None:
            self._on_start()
            self._on_start = None
        self._threads = []
        for k in range(self.workers - 1):
            thread = threading.Thread(target=self._serve, name=f"multinn-chunks-{k}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self) -> None:
        self._local.worker = True
        seen = 0
        while True:
            with self._wake:
                while self._generation == seen:
                    self._wake.wait()
                seen, job = self._generation, self._job
            if job is not None:
                job.run()

    def map(self, fn: Callable[[Any], Any], items: Iterable) -> list:
        """[fn(item) for item in items], the items shared among the workers; exceptions propagate."""
        items = list(items)
        if self.workers == 1 or len(items) < 2 or getattr(self._local, "worker", False):
            return [fn(item) for item in items]
        if not self._map_lock.acquire(blocking=False):
            # Another caller's map has the workers: this one runs in its own thread meanwhile
            # (waiting could deadlock, were one map's items to wait on the other's).
            return [fn(item) for item in items]
        job = _Job(fn, items)
        try:
            if self._threads is None:
                self._start()
            # Maps from several caller threads, and the workers' own serial loops, share the
            # process's one serial stretch: the first in saves the count, the last out restores it.
            SERIAL_STRETCH.enter(self._limit.single, self._limit.restore)
            try:
                with self._wake:
                    self._job = job
                    self._generation += 1
                    self._wake.notify_all()
                self._local.worker = True  # the caller takes items too; a map inside one runs inline
                try:
                    job.run()
                finally:
                    self._local.worker = False
                job.done.wait()
            finally:
                with self._wake:
                    self._job = None
                SERIAL_STRETCH.leave()
        finally:
            self._map_lock.release()
        if job.errors:
            raise job.errors[min(job.errors)]
        return job.results


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
