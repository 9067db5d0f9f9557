"""A local pool of warm worker processes for sweeps, sharing the road network.

Why not :class:`concurrent.futures.ProcessPoolExecutor`: with the ``spawn``
start method every worker re-imports the caller's main module, so a script
without an ``if __name__ == "__main__":`` guard, or code piped into ``python
-``, starts the sweep again inside each worker, which dies, while the parent
blocks for ever writing the network into its pipe. And its workers outlive a
parent killed with ``kill -9``.

These workers are fresh interpreters (``python -c``) that import idrt only,
never the caller's main module, so a sweep works from any script, notebook
or stdin. Each worker

- reads the road network from one file per network, written once by the
  parent and memory-mapped by every worker (pickle protocol 5 with its
  arrays out of band: the pages are shared, nothing is sent down a pipe);
- stays up between runs, sweeps and fleet-size candidates (a pool is kept
  warm in this process and reused; an idle worker exits after ``idle_s``
  and is replaced when needed), so its imports, Numba kernels and
  travel-time tables are paid once;
- exits within a second when its parent dies, however it died;
- sends back, with each run's row, the warnings the run raised, so the
  parent can show each distinct warning once per experiment.
"""

from __future__ import annotations

import atexit
import mmap
import os
import pickle
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_ready
from pathlib import Path
from typing import Any

import numba

__all__ = ["TaskFailed", "WorkerDied", "WorkerPool", "read_shared", "shutdown_pool", "write_shared"]

IDLE_EXIT = 75
"""Exit code of a worker that left because it had no work for ``idle_s``."""

_ALIGN = 64


# ------------------------------------------------------------ shared objects
def write_shared(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``obj`` so that :func:`read_shared` maps its arrays without copying.

    Layout: an 8-byte length, the pickle stream (protocol 5), then every
    out-of-band buffer (numpy array data) at a 64-byte aligned offset.
    """
    buffers: list[pickle.PickleBuffer] = []
    stream = pickle.dumps(obj, protocol=5, buffer_callback=buffers.append)
    raws = [b.raw() for b in buffers]
    header = pickle.dumps([len(stream), [r.nbytes for r in raws]], protocol=5)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        f.write(stream)
        for raw in raws:
            f.write(b"\0" * (-f.tell() % _ALIGN))
            f.write(raw)
    os.replace(tmp, path)
    return path


def read_shared(path: str | os.PathLike[str]) -> Any:
    """Load an object written by :func:`write_shared`, its arrays memory-mapped.

    The mapping is copy-on-write: the arrays are writable, a write stays
    private to this process, and unwritten pages are shared by every process
    that maps the file.
    """
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
    view = memoryview(mm)
    (n_header,) = struct.unpack("<Q", view[:8])
    pos = 8 + n_header
    n_stream, sizes = pickle.loads(view[8:pos])
    stream = view[pos : pos + n_stream]
    pos += n_stream
    buffers = []
    for size in sizes:
        pos += -pos % _ALIGN
        buffers.append(view[pos : pos + size])
        pos += size
    return pickle.loads(stream, buffers=buffers)


# ------------------------------------------------------------------ results
class TaskFailed(Exception):
    """A task raised in a worker; ``error`` is the exception (or a stand-in)."""

    def __init__(self, task_id: Any, error: BaseException, remote_traceback: str) -> None:
        super().__init__(str(error))
        self.task_id = task_id
        self.error = error
        self.remote_traceback = remote_traceback


class WorkerDied(Exception):
    """A worker process ended while it held a task (crash, out of memory, killed)."""


@dataclass
class _Worker:
    proc: subprocess.Popen
    to_worker: Connection
    from_worker: Connection
    networks: set[str]
    task: Any = None  # the task id it holds, None when idle


# --------------------------------------------------------------------- pool
class WorkerPool:
    """Warm worker processes that run ``function(task, network)`` calls.

    Parameters
    ----------
    n_workers
        Processes (started on first use, restarted when one leaves idle).
    threads
        Numba threads per worker.
    idle_s
        A worker with no task for this long exits (and is replaced on demand).
    """

    def __init__(self, n_workers: int, threads: int = 1, idle_s: float = 300.0) -> None:
        self.n_workers = int(n_workers)
        self.threads = int(threads)
        self.idle_s = float(idle_s)
        self._workers: list[_Worker] = []
        self._dir = Path(tempfile.mkdtemp(prefix="idrt_pool_"))
        self._shared: dict[str, Path] = {}
        self._objs: dict[str, Any] = {}
        self._count = 0
        self.lock = threading.Lock()
        self.closed = False

    def __repr__(self) -> str:
        return f"WorkerPool(n_workers={self.n_workers}, alive={len(self._alive())})"

    # ------------------------------------------------------------ networks
    def share(self, key: str, obj: Any) -> None:
        """Make ``obj`` available to workers under ``key`` (written once, mapped by each)."""
        if key in self._shared and self._objs.get(key) is obj:
            return
        self._count += 1
        path = self._dir / f"{key}.{self._count}.shared"
        write_shared(obj, path)
        self._shared[key] = path
        self._objs[key] = obj  # held: an identity check needs the object alive
        for w in self._workers:
            w.networks.discard(key)

    # ------------------------------------------------------------- workers
    def _alive(self) -> list[_Worker]:
        return [w for w in self._workers if w.proc.poll() is None]

    def _spawn(self) -> _Worker:
        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, env.get("PYTHONPATH", "")) if p
        )
        code = "from idrt.experiments.pool import worker_main; worker_main()"
        args = [str(task_r), str(result_w), str(os.getpid()), str(self.threads), str(self.idle_s)]
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", code, *args],
                pass_fds=(task_r, result_w),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        finally:
            os.close(task_r)
            os.close(result_w)
        worker = _Worker(
            proc=proc,
            to_worker=Connection(task_w, readable=False),
            from_worker=Connection(result_r, writable=False),
            networks=set(),
        )
        self._workers.append(worker)
        return worker

    def _drop(self, worker: _Worker, kill: bool = False) -> None:
        if kill and worker.proc.poll() is None:
            worker.proc.kill()
        for conn in (worker.to_worker, worker.from_worker):
            try:
                conn.close()
            except OSError:
                pass
        try:
            worker.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            worker.proc.kill()
            worker.proc.wait()
        if worker in self._workers:
            self._workers.remove(worker)

    def _idle_worker(self) -> _Worker | None:
        for w in list(self._workers):
            if w.task is None:
                if w.proc.poll() is not None:
                    self._drop(w)
                    continue
                return w
        if len(self._workers) < self.n_workers:
            return self._spawn()
        return None

    def _send(self, worker: _Worker, task_id: Any, function: Callable, task: Any, key: str):
        if key not in worker.networks:
            worker.to_worker.send(("load", key, str(self._shared[key])))
            worker.networks.add(key)
        worker.to_worker.send(("run", task_id, function, task, key))
        worker.task = task_id

    # ---------------------------------------------------------------- run
    def run(
        self, function: Callable, tasks: Sequence[tuple[Any, Any, str]]
    ) -> Iterator[tuple[Any, Any, list]]:
        """Run ``function(task, shared[key])`` for each ``(task_id, task, key)``.

        Yields ``(task_id, value, warnings)`` as tasks finish (any order).
        Raises :class:`TaskFailed` for a task that raised, :class:`WorkerDied`
        for a worker that ended while running one. On any exception, or when
        the caller stops iterating, the workers still busy are killed (they
        hold unfinished work) and the idle ones stay warm.
        """
        queue = list(reversed(tasks))
        by_id = {task_id: (task, key) for task_id, task, key in tasks}
        busy: dict[Connection, _Worker] = {}
        try:
            while queue or busy:
                while queue:
                    worker = self._idle_worker()
                    if worker is None:
                        break
                    task_id, task, key = queue.pop()
                    try:
                        self._send(worker, task_id, function, task, key)
                    except OSError:  # it left (idle) before we wrote: another one
                        self._drop(worker)
                        queue.append((task_id, task, key))
                        continue
                    busy[worker.from_worker] = worker
                for conn in wait_ready(list(busy)):
                    worker = busy.pop(conn)
                    task_id = worker.task
                    try:
                        message = conn.recv()
                    except (EOFError, OSError):
                        code = worker.proc.wait()
                        self._drop(worker)
                        if code == IDLE_EXIT:  # left idle as the task arrived: resend
                            queue.append((task_id, *by_id[task_id]))
                            continue
                        msg = f"a worker process ended with exit code {code} while running"
                        if code is not None and code < 0:
                            msg += f" (killed by signal {-code}; out of memory?)"
                        raise WorkerDied(msg) from None
                    worker.task = None
                    kind, _, value, caught = message
                    if kind == "ok":
                        yield task_id, value, caught
                    else:
                        error, remote_tb = value
                        raise TaskFailed(task_id, error, remote_tb)
        finally:
            for worker in busy.values():
                self._drop(worker, kill=True)

    def close(self) -> None:
        """Stop every worker and remove the shared files."""
        self.closed = True
        for worker in list(self._workers):
            try:
                worker.to_worker.send(None)
            except OSError:
                pass
            self._drop(worker, kill=worker.task is not None)
        shutil.rmtree(self._dir, ignore_errors=True)


_POOL: WorkerPool | None = None
_POOL_LOCK = threading.Lock()


def shared_pool(n_workers: int, threads: int, idle_s: float = 300.0) -> WorkerPool:
    """The warm pool of this process (made, or remade for another size, on demand)."""
    global _POOL
    with _POOL_LOCK:
        if (
            _POOL is not None
            and (
                _POOL.closed
                or (_POOL.n_workers, _POOL.threads, _POOL.idle_s) != (n_workers, threads, idle_s)
            )
            and _POOL.lock.acquire(blocking=False)
        ):
            _POOL.close()
            _POOL = None
        if _POOL is None:
            _POOL = WorkerPool(n_workers, threads, idle_s)
        return _POOL


def shutdown_pool() -> None:
    """Stop this process's warm sweep workers now (they also leave when idle)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None:
            _POOL.close()
            _POOL = None


atexit.register(shutdown_pool)


# ------------------------------------------------------------------ worker
def _watch_parent(parent: int) -> None:
    """Exit this worker as soon as its parent is gone (kill -9 included)."""
    while True:
        if os.getppid() != parent:
            os._exit(1)
        time.sleep(0.25)


def worker_main() -> None:
    """Entry point of a worker process (``python -c``; see :class:`WorkerPool`)."""
    task_fd, result_fd, parent, threads, idle_s = sys.argv[1:6]
    # Ctrl-C in a terminal reaches the whole process group: the parent handles it
    # (it stops the workers holding unfinished runs); a worker must not die noisily
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(int(parent),), daemon=True).start()
    tasks = Connection(int(task_fd), writable=False)
    results = Connection(int(result_fd), readable=False)
    try:
        numba.set_num_threads(min(int(threads), numba.config.NUMBA_NUM_THREADS))
    except Exception:
        pass
    shared: dict[str, Any] = {}
    while True:
        try:
            if not tasks.poll(float(idle_s)):
                sys.exit(IDLE_EXIT)
            message = tasks.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        if message[0] == "load":
            _, key, path = message
            shared[key] = read_shared(path)
            continue
        _, task_id, function, task, key = message
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = function(task, shared[key])
                reply = ("ok", task_id, value)
            except BaseException as exc:  # sent to the parent
                reply = ("error", task_id, (_picklable(exc), traceback.format_exc()))
        records = [(w.category, str(w.message), w.filename, w.lineno) for w in caught]
        try:
            results.send((*reply, records))
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            results.send(("error", task_id, (_picklable(exc), traceback.format_exc()), records))


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
