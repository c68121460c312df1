"""Run a batch of pairs on Dask's distributed scheduler: a LocalCluster of worker processes on
this machine by default, or an existing cluster (``scheduler="tcp://host:8786"``).

Workers score; the client writes. Each finished pair's JSON is written into the output folder
(atomically) as soon as its result arrives, and the result is then released on the worker,
so a worker holds one pair at a time whatever the batch's length, and nothing written is lost
when a worker or the client dies. A pair whose result is already there, made from the same
files and settings (the score cache key), is not scored again. A worker killed while scoring
surfaces as ``KilledWorker`` (on our LocalCluster at once: its scheduler allows no silent
retries) and the pair is submitted again, up to ``retries`` more times. Scoring errors are
the task's to return, never to raise: one bad pair never stops the others.
"""
from __future__ import annotations

import json
import logging
import os
import resource
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from vqinspect.app.batch.manifest import PairSpec
from vqinspect.app.scoring.results import write_atomic
from vqinspect.app.shared.errors import InputError

TOPIC = "vqinspect-batch-progress"
PROGRESS_INTERVAL = 0.25          # s between a pair's progress events
DEFAULT_RETRIES = 2

PairTask = Callable[..., dict]
"""``task(spec, known_key, threads, report, *args) -> dict`` runs on a worker: it scores one pair
(``report(done, total)`` as frames are scored) and returns ``{"status": "scored", "key",
"json"}``, ``{"status": "unchanged", "key"}`` when ``known_key`` is still the pair's key, or
``{"status": "failed", "error", ["json"]}``; it never raises for a bad pair."""


@dataclass(frozen=True)
class PairProgress:
    """Frames scored of one pair, from the worker process ``pid``."""

    name: str
    done: int
    total: int
    pid: int


@dataclass
class PairOutcome:
    """How one pair of the batch ended."""

    spec: PairSpec
    status: str                       # "scored" or "failed"
    error: str = ""
    json_name: str = ""               # its result file in the output folder, if any
    pooled: dict = field(default_factory=dict)
    attempts: int = 1
    reused: bool = False              # the result already there was still valid
    peak_rss_kib: int = 0             # the worker process's peak resident memory so far
    verdict: str = ""                 # PASS or FAIL with a QC profile (``vqinspect batch --profile``)


def result_path(out_dir: Path, spec: PairSpec) -> Path:
    return Path(out_dir) / f"{spec.name}.json"


def known_key(path: Path) -> str | None:
    """The key of a complete result already in the folder, else None (score it)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("status") == "complete":
            return str(data["batch"]["key"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


@contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None) -> Iterator:
    """A Client of an existing cluster, or of a LocalCluster of ``workers`` single-threaded
    processes (default: one per core) whose scheduler reports a killed worker's task at once."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise InputError(None, f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
        try:
            yield client
        finally:
            client.close()
        return
    n = workers or os.cpu_count() or 1
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                               silence_logs=logging.CRITICAL)
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


def run_batch(specs: list[PairSpec], task: PairTask, out_dir: str | os.PathLike, client, *,
              task_args: tuple = (), threads: int | None = None, retries: int = DEFAULT_RETRIES,
              on_progress: Callable[[PairProgress], None] | None = None,
              on_outcome: Callable[[PairOutcome], None] | None = None) -> list[PairOutcome]:
    """Score every pair of ``specs`` on ``client``'s cluster; outcomes in the manifest's order.

    ``threads``: kernel threads per pair (None: the worker's cores over its Dask threads).
    ``on_progress`` is called from the client's event-loop thread, ``on_outcome`` from this one.
    """
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if on_progress is not None:
        client.subscribe_topic(TOPIC, lambda event: on_progress(_progress(event[1])))
    pending: dict[str, tuple[int, int]] = {}            # future key -> (spec index, attempt)

    def submit(index: int, attempt: int):
        spec = specs[index]
        future = client.submit(_on_worker, task, spec, known_key(result_path(out_dir, spec)), threads,
                               *task_args, key=f"vqinspect-{spec.name}-{attempt}", pure=False, retries=0)
        pending[future.key] = (index, attempt)
        return future

    outcomes: list[PairOutcome | None] = [None] * len(specs)
    queue = as_completed([submit(i, 1) for i in range(len(specs))])
    try:
        for future in queue:
            index, attempt = pending.pop(future.key)
            spec = specs[index]
            try:
                answer = future.result()
            except KilledWorker as exc:
                if attempt <= retries:
                    queue.add(submit(index, attempt + 1))
                    continue
                answer = {"status": "failed", "error": f"the worker scoring it died {attempt} times ({exc})"}
            except Exception as exc:            # the cluster's failure, not the pair's
                answer = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
            finally:
                future.release()
            outcome = _record(spec, answer, out_dir, attempt)
            outcomes[index] = outcome
            if on_outcome is not None:
                on_outcome(outcome)
    finally:
        if on_progress is not None:
            client.unsubscribe_topic(TOPIC)
    return [o for o in outcomes if o is not None]


def _progress(message: dict) -> PairProgress:
    """A progress event as the scheduler relays it (it adds the worker's address)."""
    return PairProgress(message["name"], message["done"], message["total"], message["pid"])


def _on_worker(task: PairTask, spec: PairSpec, key: str | None, threads: int | None, *args) -> dict:
    """The task as it runs on a worker: progress events, kernel threads, peak memory."""
    from distributed import get_worker

    worker = get_worker()
    pid, last = os.getpid(), [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if done in (0, total) or now - last[0] >= PROGRESS_INTERVAL:
            last[0] = now
            worker.log_event(TOPIC, {"name": spec.name, "done": int(done), "total": int(total), "pid": pid})

    if threads is None:
        threads = max(1, (os.cpu_count() or 1) // max(1, worker.state.nthreads))
    answer = task(spec, key, threads, report, *args)
    answer["peak_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return answer


def _record(spec: PairSpec, answer: dict, out_dir: Path, attempts: int) -> PairOutcome:
    """Write what a worker sent back (or keep what is already there) and say how it ended."""
    path = result_path(out_dir, spec)
    outcome = PairOutcome(spec, "failed" if answer["status"] == "failed" else "scored", answer.get("error", ""),
                          attempts=attempts, reused=answer["status"] == "unchanged",
                          peak_rss_kib=int(answer.get("peak_rss_kib", 0)))
    text = answer.get("json")
    if text:
        write_atomic(path, text)
    if text or outcome.reused:
        outcome.json_name = path.name
        try:
            outcome.pooled = json.loads(text or path.read_text(encoding="utf-8")).get("pooled", {})
        except (OSError, ValueError) as exc:
            outcome.status, outcome.error = "failed", f"{path}: unreadable result ({exc})"
    return outcome
