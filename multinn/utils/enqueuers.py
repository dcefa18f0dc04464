"""Background loading of batches (Keras 2.3.1's enqueuers): worker threads or processes read
ahead from a `Sequence` (in order) or from a generator, into a bounded queue that `get()`
drains.

Processes receive their own copy of the Sequence or generator when the pool starts (a
generator needs the 'fork' start method); with processes, a Sequence's `on_epoch_end`
runs here and the pool restarts with the updated copy.
"""
from __future__ import annotations

import concurrent.futures
import multiprocessing
import queue
import random
import threading
import time
import warnings
from typing import Any, Iterator

# How long get() waits for one batch of an OrderedEnqueuer before computing it itself.
_WAIT_FOR_BATCH_S = 30.0

_worker_source: Any = None  # the Sequence or generator of this worker process
_NOTHING = object()


def _init_worker(source: Any, seed: "int | None") -> None:
    global _worker_source
    _worker_source = source
    if seed is not None:
        random.seed(seed + multiprocessing.current_process().pid)


def _worker_item(index: int) -> Any:
    return _worker_source[index]


def _worker_next(_: Any = None) -> Any:
    return next(_worker_source)


class SequenceEnqueuer:
    """Base class of the enqueuers: `start(workers, max_queue_size)`, `get()`, `stop()`.

    Args:
        sequence: a `Sequence` (or, for `GeneratorEnqueuer`, a generator).
        use_multiprocessing: processes instead of threads.

    Example:
        >>> from multinn.utils import OrderedEnqueuer, Sequence
        >>> class Squares(Sequence):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return i * i
        >>> enqueuer = OrderedEnqueuer(Squares())
        >>> enqueuer.start(workers=2, max_queue_size=3)
        >>> batches = enqueuer.get()
        >>> [next(batches) for _ in range(6)]
        [0, 1, 4, 9, 0, 1]
        >>> enqueuer.stop()
    """

    def __init__(self, sequence: Any, use_multiprocessing: bool = False):
        self.sequence = sequence
        self.use_multiprocessing = use_multiprocessing
        self.workers = 0
        self.queue: "queue.Queue | None" = None
        self.stop_signal: "threading.Event | None" = None
        self.run_thread: "threading.Thread | None" = None
        self._executor: Any = None

    def is_running(self) -> bool:
        """Whether the workers are producing."""
        return self.stop_signal is not None and not self.stop_signal.is_set()

    def start(self, workers: int = 1, max_queue_size: int = 10) -> None:
        """Starts `workers` workers that keep up to `max_queue_size` batches ready."""
        self.workers = max(int(workers), 1)
        self.queue = queue.Queue(max(int(max_queue_size), 1))
        self.stop_signal = threading.Event()
        self.run_thread = threading.Thread(target=self._run, daemon=True)
        self.run_thread.start()

    def _new_executor(self, initargs: tuple) -> Any:
        if self.use_multiprocessing:
            return multiprocessing.get_context().Pool(self.workers, initializer=_init_worker, initargs=initargs)
        return concurrent.futures.ThreadPoolExecutor(self.workers)

    def _submit(self, call: Any, *args: Any) -> Any:
        """A pending result with `.get(timeout)` on threads and processes alike."""
        if self.use_multiprocessing:
            return self._executor.apply_async(call, args)
        future = self._executor.submit(call, *args)
        future.get = future.result
        return future

    def _close_executor(self, wait: bool) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        if self.use_multiprocessing:
            executor.terminate()
            executor.join()
        else:
            executor.shutdown(wait=wait, cancel_futures=True)

    def _put(self, item: Any) -> bool:
        """Puts `item` in the queue unless stopped first; False when stopped."""
        while not self.stop_signal.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def stop(self, timeout: "float | None" = None) -> None:
        """Stops the workers, waiting up to `timeout` seconds for the producer thread."""
        if self.stop_signal is None:
            return
        self.stop_signal.set()
        while self.queue is not None and not self.queue.empty():
            try:
                self.queue.get_nowait()
            except queue.Empty:
                break
        if self.run_thread is not None and self.run_thread is not threading.current_thread():
            self.run_thread.join(timeout)
        self._close_executor(wait=False)
        self.run_thread = None

    def _run(self) -> None:
        raise NotImplementedError

    def get(self) -> Iterator[Any]:
        """The batches, as a generator."""
        raise NotImplementedError


class OrderedEnqueuer(SequenceEnqueuer):
    """Reads a `Sequence` ahead with several workers and yields its batches in order (or in
    a new random order each epoch with `shuffle=True`), epoch after epoch, calling
    `on_epoch_end` between epochs.

    Args:
        sequence: a `multinn.utils.Sequence`.
        use_multiprocessing: processes instead of threads.
        shuffle: shuffle the batch order at each epoch.

    Example:
        >>> from multinn.utils import OrderedEnqueuer, Sequence
        >>> class Tens(Sequence):
        ...     def __len__(self):
        ...         return 3
        ...     def __getitem__(self, i):
        ...         return 10 * i
        >>> enqueuer = OrderedEnqueuer(Tens())
        >>> enqueuer.start(workers=3)
        >>> batches = enqueuer.get()
        >>> [next(batches) for _ in range(3)]
        [0, 10, 20]
        >>> enqueuer.stop()
    """

    def __init__(self, sequence: Any, use_multiprocessing: bool = False, shuffle: bool = False):
        super().__init__(sequence, use_multiprocessing)
        self.shuffle = shuffle
        self._epoch_done = threading.Event()

    def _run(self) -> None:
        while not self.stop_signal.is_set():
            self._epoch_done.clear()
            self._executor = self._new_executor((self.sequence, None))
            indices = list(range(len(self.sequence)))
            if self.shuffle:
                random.shuffle(indices)
            pending = []
            for index in indices:
                result = self._submit(_worker_item if self.use_multiprocessing else self.sequence.__getitem__, index)
                pending.append(result)
                if not self._put((index, result)):
                    return
            for result in pending:  # every batch of the epoch computed before on_epoch_end
                while not self.stop_signal.is_set():
                    try:
                        result.get(timeout=0.1)
                        break
                    except (concurrent.futures.TimeoutError, multiprocessing.TimeoutError):
                        continue
                    except Exception:
                        break
            if self.stop_signal.is_set():
                return
            self._close_executor(wait=True)
            self.sequence.on_epoch_end()
            self._epoch_done.set()

    def join_end_of_epoch(self) -> None:
        """Waits until the current epoch's batches are all read and `on_epoch_end` has run."""
        while self.is_running() and not self._epoch_done.wait(0.1):
            continue

    def get(self) -> Iterator[Any]:
        while self.is_running():
            try:
                index, result = self.queue.get(timeout=0.1)
            except queue.Empty:
                continue
            try:
                batch = result.get(timeout=_WAIT_FOR_BATCH_S)
            except (concurrent.futures.TimeoutError, multiprocessing.TimeoutError):
                warnings.warn(f"The input {index} could not be retrieved. It could be because a worker has died.",
                              UserWarning)
                batch = self.sequence[index]
            except Exception:
                self.stop()
                raise
            yield batch


class GeneratorEnqueuer(SequenceEnqueuer):
    """Calls `next(generator)` from several workers and yields the results as they come
    (order not kept). With threads the generator must be thread-safe (guarded by a lock);
    with processes each worker advances its own copy.

    Args:
        generator: the generator.
        use_multiprocessing: processes instead of threads.
        wait_time: unused; kept for Keras 2's signature.
        random_seed: seeds each worker process's `random` module.

    Example:
        >>> import threading
        >>> from multinn.utils import GeneratorEnqueuer
        >>> class Numbers:  # a thread-safe iterator: next() under a lock
        ...     def __init__(self, n):
        ...         self.lock, self.items = threading.Lock(), iter(range(n))
        ...     def __iter__(self):
        ...         return self
        ...     def __next__(self):
        ...         with self.lock:
        ...             return next(self.items)
        >>> enqueuer = GeneratorEnqueuer(Numbers(5))
        >>> enqueuer.start(workers=2)
        >>> sorted(enqueuer.get())
        [0, 1, 2, 3, 4]
        >>> enqueuer.stop()
    """

    def __init__(self, generator: Any, use_multiprocessing: bool = False, wait_time: Any = None,
                 random_seed: "int | None" = None):
        super().__init__(generator, use_multiprocessing)
        self.wait_time = wait_time
        self.random_seed = random_seed
        self._finished = threading.Event()

    def _next_in_thread(self) -> Any:
        try:
            return next(self.sequence)
        except ValueError as exc:
            if "already executing" in str(exc):
                raise RuntimeError(
                    "Your generator is not thread-safe: several threads called next() on it at once. "
                    "Guard it with a lock, or use `use_multiprocessing=True` or `workers=1`."
                ) from exc
            raise

    def _run(self) -> None:
        self._finished.clear()
        self._executor = self._new_executor((self.sequence, self.random_seed))
        call = _worker_next if self.use_multiprocessing else self._next_in_thread
        pending: list = []
        exhausted = False
        try:
            while not self.stop_signal.is_set():
                while not exhausted and len(pending) < self.workers:
                    pending.append(self._submit(call))
                if not pending:
                    return
                result = pending.pop(0)
                while not self.stop_signal.is_set():
                    try:
                        value = result.get(timeout=0.1)
                        break
                    except (concurrent.futures.TimeoutError, multiprocessing.TimeoutError):
                        continue
                    except StopIteration:
                        # the values other workers already drew still go out
                        exhausted, value = True, _NOTHING
                        break
                else:
                    return
                if value is not _NOTHING and not self._put((True, value)):
                    return
        except Exception as exc:  # handed to get(), which raises it
            self._put((False, exc))
        finally:
            self._finished.set()

    def get(self) -> Iterator[Any]:
        while self.is_running():
            try:
                ok, value = self.queue.get(timeout=0.05)
            except queue.Empty:
                if self._finished.is_set() and self.queue.empty():
                    return
                continue
            if not ok:
                self.stop()
                raise value
            yield value
