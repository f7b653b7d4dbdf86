"""Running many independent solves on an existing engine: a process pool, Dask, or in process.

Owns the executors (``"process"``: a local `concurrent.futures.ProcessPoolExecutor`, the
default; ``"dask"``: a `dask.distributed` client — a `LocalCluster` when no address is given,
the same code on a real cluster; ``"serial"``: this process, for tests and tiny jobs), how
tasks are cut into chunks, the per-worker cache that builds a job's state (e.g. a CP-SAT
model) once per worker process however many tasks reuse it, the progress bar (rich, on a
terminal only) and gathering the results in task order.

Does not own what a task computes: a task names a job (a pickled payload plus a ``build``
function that turns it into worker state) and a ``run`` function called as
``run(state, item) -> dict``. `robust` (score samples, flip margins) and `equity` (ε-constraint
points) define their tasks; the ``planner sweep`` command gathers sample runs into one table.

Payloads are pickled here with support for `types.MappingProxyType` (the planner's frozen
`Scenario` holds mapping proxies), so a scenario built in Python — not only one read from a
file — can be shipped to another process or machine.
"""
from __future__ import annotations

import contextlib
import copyreg
import hashlib
import importlib
import io
import logging
import math
import multiprocessing
import os
import pickle
import socket
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Iterable, Sequence

from planner.errors import InputError, PlannerError, Problem
from planner.lang import say

log = logging.getLogger(__name__)

EXECUTORS = ("process", "dask", "serial")
CHUNKS_PER_WORKER = 8       # enough chunks for an even finish and a moving progress bar
MAX_CHUNK = 50
MAX_STATES = 4              # built states a worker process keeps (each holds a model)

# Worker-side cache: job key → state built from the job's payload (one per worker process).
_STATES: dict[str, Any] = {}
_PAYLOADS: dict[str, bytes] = {}


# --- jobs and tasks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """State shared by many tasks, built once per worker process.

    Attributes
    ----------
    key : str
        sha256 of the payload (and the build function): the worker cache key.
    payload : bytes
        The pickled argument of ``build``.
    build : str
        ``"module:function"`` turning the unpickled payload into worker state.
    """

    key: str
    payload: bytes = b""
    build: str = ""

    def __repr__(self) -> str:
        return f"Job({self.build}, {len(self.payload)} bytes, key={self.key[:10]})"


@dataclass(frozen=True)
class Task:
    """One unit of work: ``run(state_of(job), item)`` must return a dict of results."""

    job: Job
    run: str          # "module:function"
    item: Any


def make_job(build: Callable[[Any], Any] | str, payload: Any) -> Job:
    """A job whose workers call ``build(payload)`` once and reuse the result.

    Parameters
    ----------
    build : callable or "module:function"
        A module-level function (workers import it by name).
    payload : any picklable value
        Scenario objects (with mapping proxies) are fine.
    """
    name = build if isinstance(build, str) else _qualname(build)
    blob = dumps(payload)
    key = hashlib.sha256(name.encode() + b"\0" + blob).hexdigest()
    return Job(key=key, payload=blob, build=name)


def dumps(value: Any) -> bytes:
    """Pickle `value`, mapping proxies included (rebuilt as proxies of plain dicts)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    pickler.dispatch_table[MappingProxyType] = _reduce_proxy
    pickler.dump(value)
    return buffer.getvalue()


def _reduce_proxy(proxy: MappingProxyType) -> tuple:
    return _proxy, (dict(proxy),)


def _proxy(mapping: dict) -> MappingProxyType:
    """Rebuild a mapping proxy (the class itself is not importable by name, so not picklable)."""
    return MappingProxyType(mapping)


def _qualname(func: Callable) -> str:
    module, name = func.__module__, func.__qualname__
    if "<" in name or module == "__main__":
        raise PlannerError(f"{module}.{name} is not importable by a worker: use a module-level function")
    return f"{module}:{name}"


def _resolve(name: str) -> Callable:
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)


# --- worker side --------------------------------------------------------------------------------


def state_of(job: Job, payload: bytes | None = None) -> Any:
    """The worker state of `job`, built on first use in this process and cached."""
    state = _STATES.get(job.key)
    if state is None:
        blob = payload if payload is not None else (job.payload or _PAYLOADS.get(job.key))
        if blob is None:
            raise PlannerError(f"worker has no payload for job {job.key[:10]}")
        start = time.perf_counter()
        state = _resolve(job.build)(pickle.loads(blob))
        while len(_STATES) >= MAX_STATES:          # a long-lived process keeps the newest few
            _STATES.pop(next(iter(_STATES)))
        _STATES[job.key] = state
        log.debug("built state of %s in %.2f s", job, time.perf_counter() - start)
    return state


def run_chunk(job: Job, run: str, items: Sequence[Any], payload: bytes | None = None) -> list[dict]:
    """Run `items` of one job in this process; each result gets the ``worker`` that made it."""
    state = state_of(job, payload)
    func = _resolve(run)
    worker = f"{socket.gethostname()}:{os.getpid()}"
    out = []
    for item in items:
        record = dict(func(state, item))
        record["worker"] = worker
        out.append(record)
    return out


def _install(payloads: dict[str, bytes]) -> None:
    """Process-pool initializer: every job's payload, sent once per worker at start-up."""
    _PAYLOADS.update(payloads)


def _light(job: Job) -> Job:
    """The job without its payload (sent once per worker instead of once per chunk)."""
    return Job(key=job.key, payload=b"", build=job.build)


# --- the executors ------------------------------------------------------------------------------


def run_tasks(tasks: Sequence[Task], *, executor: str = "process", workers: int | None = None,
              address: str | None = None, client: Any = None, chunk_size: int | None = None,
              progress: bool | None = None, description: str = "solves", bar: "Progress | None" = None,
              verbose: bool = False) -> list[dict]:
    """Run every task and return their result dicts in task order.

    Parameters
    ----------
    tasks : sequence of Task
    executor : {"process", "dask", "serial"}
        ``"process"``: a local process pool (forked where that is safe, else spawned:
        `start_method`); ``"dask"``: `dask.distributed` — `client` if given,
        else a `Client` of `address`, else a `LocalCluster` of `workers` single-threaded
        worker processes; ``"serial"``: here, one task after another.
    workers : int, optional
        Processes for the local pool or LocalCluster (default: the machine's cores).
    address : str, optional
        Scheduler address of an existing Dask cluster (``tcp://host:8786``).
    client : distributed.Client, optional
        An existing client (a notebook's, or a test fixture's); not closed here.
    chunk_size : int, optional
        Tasks per chunk (default: about 8 chunks per worker, at most 50 tasks each).
    progress : bool, optional
        Show a progress bar on stderr; default: only when stderr is a terminal.
    description : str
        What the bar counts.
    bar : Progress, optional
        An open bar to advance (its total made room for the tasks) instead of a new one.
    verbose : bool
        Let Dask's own log lines (scheduler, workers) through to the terminal; by default only
        its errors reach it.

    Raises
    ------
    InputError
        Unknown executor, or workers < 1.
    """
    if executor not in EXECUTORS:
        raise InputError([Problem("sweep", say(f'执行方式 "{executor}"', f'executor "{executor}"'), say("以下之一：" + "、".join(EXECUTORS), "one of " + ", ".join(EXECUTORS)))])
    n_workers = workers or os.cpu_count() or 1
    if n_workers < 1:
        raise InputError([Problem("sweep", f"workers = {workers}", say("至少 1 个工作进程", "at least 1 worker"))])
    if not tasks:
        return []
    chunks = _chunks(tasks, chunk_size or _default_chunk(len(tasks), n_workers))
    results: list[list[dict] | None] = [None] * len(chunks)
    start = time.perf_counter()
    own = bar is None
    if own:
        bar = Progress(len(tasks), description, progress)
    else:
        bar.expect(len(tasks))
    with bar if own else contextlib.nullcontext(bar):
        if executor == "serial":
            for i, (job, run, items, _) in enumerate(chunks):
                results[i] = run_chunk(job, run, items)
                bar.advance(len(items))
        elif executor == "process":
            _run_process(chunks, results, n_workers, bar)
        else:
            _run_dask(chunks, results, n_workers, address, client, bar, verbose)
    log.info("%d %s on %s (%d workers) in %.2f s", len(tasks), description, executor, n_workers,
             time.perf_counter() - start)
    return [record for chunk in results for record in chunk]      # type: ignore[union-attr]


def _default_chunk(n_tasks: int, n_workers: int) -> int:
    return max(1, min(MAX_CHUNK, math.ceil(n_tasks / (n_workers * CHUNKS_PER_WORKER))))


def _chunks(tasks: Sequence[Task], size: int) -> list[tuple[Job, str, list, int]]:
    """Consecutive tasks of one job and run function, cut into chunks of at most `size`."""
    chunks: list[tuple[Job, str, list, int]] = []
    for i, task in enumerate(tasks):
        last = chunks[-1] if chunks else None
        if last is not None and last[0].key == task.job.key and last[1] == task.run and len(last[2]) < size:
            last[2].append(task.item)
        else:
            chunks.append((task.job, task.run, [task.item], i))
    return chunks


def _payloads(chunks: Iterable[tuple[Job, str, list, int]]) -> dict[str, bytes]:
    return {job.key: job.payload for job, _, _, _ in chunks}


def start_method(threads: Sequence[threading.Thread] | None = None) -> str:
    """How the local pool starts its processes: ``fork`` where that is safe, else ``spawn``.

    A forked worker starts in milliseconds with everything this process has imported (pandas,
    OR-Tools, the planner: about a second of imports a spawned worker repeats), which is most
    of a sweep's serial part. Forking is safe on Linux when no other thread runs in this
    process at that moment (CP-SAT's and the solver's threads end with each solve); otherwise
    — or with ``PLANNER_START_METHOD=spawn`` — workers are spawned fresh.
    """
    forced = os.environ.get("PLANNER_START_METHOD", "")
    if forced in ("fork", "spawn", "forkserver"):
        return forced
    others = [t for t in (threading.enumerate() if threads is None else threads) if t is not threading.main_thread()
              and type(t).__name__ != "_RefreshThread"]          # rich's progress bar: workers never print
    if sys.platform.startswith("linux") and not others and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


def _run_process(chunks, results, n_workers: int, bar: Progress) -> None:
    context = multiprocessing.get_context(start_method())
    payloads = _payloads(chunks)
    with ProcessPoolExecutor(max_workers=min(n_workers, len(chunks)), mp_context=context,
                             initializer=_install, initargs=(payloads,)) as pool:
        pending = {pool.submit(run_chunk, _light(job), run, items): (i, len(items))
                   for i, (job, run, items, _) in enumerate(chunks)}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    i, n = pending.pop(future)
                    results[i] = future.result()
                    bar.advance(n)
        except BaseException:
            for future in pending:
                future.cancel()
            raise


def _run_dask(chunks, results, n_workers: int, address: str | None, client: Any, bar: Progress,
              verbose: bool = False) -> None:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:      # pragma: no cover - dask is a declared extra
        raise PlannerError(say("dask 执行方式需要 dask[distributed]：pip install 'planner[distributed]'",
                               "the dask executor needs dask[distributed]: pip install 'planner[distributed]'")) from exc
    own_cluster = own_client = None
    quiet = contextlib.nullcontext() if verbose else _quiet_dask()
    try:
        quiet.__enter__()
        if client is None:
            if address:
                own_client = client = Client(address)
            else:
                own_cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                           dashboard_address=None,
                                           silence_logs=logging.INFO if verbose else logging.ERROR)
                own_client = client = Client(own_cluster)
        payloads = {key: client.scatter(blob, broadcast=True, hash=False)
                    for key, blob in _payloads(chunks).items()}
        futures = {}
        for i, (job, run, items, _) in enumerate(chunks):
            future = client.submit(run_chunk, _light(job), run, items, payloads[job.key], pure=False)
            futures[future] = (i, len(items))
        try:
            for future in as_completed(list(futures)):
                i, n = futures[future]
                results[i] = future.result()
                bar.advance(n)
        except BaseException:
            client.cancel(list(futures))
            raise
    finally:
        try:
            if own_client is not None:
                own_client.close()
            if own_cluster is not None:
                own_cluster.close()
        finally:
            quiet.__exit__(None, None, None)


@contextlib.contextmanager
def _quiet_dask():
    """Dask's loggers (scheduler, workers, client, nannies) at ERROR while a sweep runs here."""
    loggers = [logging.getLogger(name) for name in ("distributed", "dask", "tornado", "bokeh")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


# --- progress -----------------------------------------------------------------------------------


class Progress:
    """A rich progress bar on stderr when it is a terminal (or when asked); silent otherwise.

    Opened by an analysis before its first solve, so that a person sees it from the first
    second; `run_tasks` advances it (``bar=``) instead of opening its own. ``grow`` adds work
    whose size becomes known later, ``describe`` says what is being done now (plain words).
    The estimate of the time left is rich's, from the pace so far.
    """

    def __init__(self, total: float | None, description: str, enabled: bool | None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.total, self.description = total, description
        self.done = 0.0
        self._bar = None
        self._task = None

    def __enter__(self) -> "Progress":
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress as RichProgress,
                TextColumn,
                ProgressColumn,
                TimeElapsedColumn,
            )
            from rich.text import Text

            class TimeLeft(ProgressColumn):
                """Time left at the pace so far (elapsed ÷ done × left), from the first finished step."""

                def render(self, task) -> Text:
                    if not task.completed or not task.total or task.elapsed is None:
                        return Text("剩余 估算中", style="progress.remaining")
                    left = task.elapsed * max(0.0, task.total - task.completed) / task.completed
                    minutes, seconds = divmod(int(round(left)), 60)
                    return Text(f"剩余约 {minutes}:{seconds:02d}", style="progress.remaining")

            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), TimeLeft(), console=Console(stderr=True),
                                     transient=False, refresh_per_second=4)
            self._bar.__enter__()
            self._task = self._bar.add_task(self.description, total=self.total)
        return self

    def advance(self, n: float = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.advance(self._task, n)

    def grow(self, n: float) -> None:
        """Add `n` to the total (work that became known after the bar opened)."""
        self.total = (self.total or 0) + n
        if self._bar is not None:
            self._bar.update(self._task, total=self.total)

    def expect(self, n: float) -> None:
        """Make room for `n` more steps (the total becomes at least what is done plus `n`)."""
        if self.total is None or self.total < self.done + n:
            self.grow(self.done + n - (self.total or 0))

    def describe(self, description: str) -> None:
        self.description = description
        if self._bar is not None:
            self._bar.update(self._task, description=description)

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
