"""Worker processes: the one way replications leave this process.

``simulate``'s replications (``run.workers``) and a comparison's batches both go through
:func:`in_processes`; a scenario travels as its validated plain data (:func:`portable`) and
is rebuilt in the worker (:func:`restore`). Results do not depend on the number of workers:
replication *r* draws from its own random streams wherever it runs.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from journeysim.config import plain_data, scenario_from_dict
from journeysim.model.scenario import Scenario


def portable(scenario: Scenario) -> dict[str, Any]:
    """What a worker process receives for a scenario: its validated plain data (the frozen
    scenario holds read-only mappings, which do not pickle)."""
    return plain_data(scenario.source)


def restore(source: dict[str, Any]) -> Scenario:
    """The scenario again, in a worker: validated from its plain data."""
    return scenario_from_dict(source)


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, which a cluster's scheduler sets)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return max(os.cpu_count() or 1, 1)


def worker_processes(workers: int, tasks: int) -> int:
    """Processes actually started for ``tasks`` tasks when ``workers`` are asked for: never
    more than the tasks or the usable cores (more would only cost memory, ~150 MiB each:
    64 workers on 2 cores are 2 workers). At least 1."""
    return max(1, min(workers, tasks, usable_cores()))


def in_processes(task: Callable[..., Any], arguments: Iterable[tuple[Any, ...]], workers: int) -> Iterator[Any]:
    """``task(*a)`` for each ``a`` of ``arguments``, in order: in this process when
    only one worker process would run, else in :func:`worker_processes` processes (joblib's
    loky backend), yielded as they come so the caller can count progress. The results are
    the same either way."""
    arguments = list(arguments)
    if worker_processes(workers, len(arguments)) <= 1:
        for each in arguments:
            yield task(*each)
        return
    from joblib import Parallel, delayed

    owner = os.getpid()
    yield from Parallel(n_jobs=worker_processes(workers, len(arguments)), backend="loky", return_as="generator")(
        delayed(_watched)(owner, task, *each) for each in arguments
    )


# A worker outlives a hard-killed owner (SIGKILL runs no clean-up), and loky keeps idle workers
# for minutes: each worker watches its owner and leaves as soon as the owner is gone.
_WATCHED_OWNER: int | None = None
OWNER_POLL_SECONDS = 0.5
EXIT_ORPHANED = 3


def _watched(owner: int, task: Callable[..., Any], *arguments: Any) -> Any:
    _watch(owner)
    return task(*arguments)


def _watch(owner: int) -> None:
    global _WATCHED_OWNER
    if _WATCHED_OWNER == owner or owner == os.getpid():
        return
    _WATCHED_OWNER = owner

    def check() -> None:
        while True:
            time.sleep(OWNER_POLL_SECONDS)
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                os._exit(EXIT_ORPHANED)
            except PermissionError:  # alive, under another user: pid reused, so gone too
                os._exit(EXIT_ORPHANED)

    threading.Thread(target=check, name="journeysim-owner-watch", daemon=True).start()
