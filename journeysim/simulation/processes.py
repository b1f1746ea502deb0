"""Worker processes: the one way replications leave this process.

``simulate``'s replications (``run.workers``) and a comparison's batches both go through
:func:`in_processes`; a scenario travels as its validated plain data (:func:`portable`) and
is rebuilt in the worker (:func:`restore`). Results do not depend on the number of workers,
nor on where they run: replication *r* draws from its own random streams wherever it runs.

Where they run is ``run.backend`` (:data:`journeysim.model.settings.BACKENDS`): ``local``
processes on this machine (joblib's loky backend), or the workers of a Ray or Dask cluster
through joblib's backends for them (``ray.util.joblib``, ``distributed``). A cluster
backend connects to the cluster its package finds (``RAY_ADDRESS``; a running Dask
``Client`` or ``DASK_SCHEDULER_ADDRESS``), or starts one on this machine.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from journeysim.config import plain_data, scenario_from_dict
from journeysim.errors import ConfigError, Problem
from journeysim.model.scenario import Scenario

# The package each cluster backend needs, and the extra of journeysim that installs it.
BACKEND_PACKAGES = {"ray": ("ray", "cluster"), "dask": ("distributed", "cluster")}


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


def in_processes(task: Callable[..., Any], arguments: Iterable[tuple[Any, ...]], workers: int, backend: str = "local") -> Iterator[Any]:
    """``task(*a)`` for each ``a`` of ``arguments``, in order, yielded as they come so the
    caller can count progress; the results are the same however they run.

    ``backend="local"``: in this process when only one worker process would run, else in
    :func:`worker_processes` processes (joblib's loky backend). ``"ray"`` or ``"dask"``: as
    tasks on that cluster, ``workers`` of them at a time (1, the default: as many as the
    cluster has cores), all yielded once the last is done; a backend whose package is
    missing is a :class:`ConfigError` naming the extra that installs it."""
    arguments = list(arguments)
    if backend != "local":
        from joblib import Parallel, delayed

        with cluster_backend(backend):
            # A list: Ray's joblib backend cannot return results as they come.
            yield from Parallel(n_jobs=min(workers, len(arguments)) if workers > 1 else -1)(delayed(task)(*each) for each in arguments)
        return
    if worker_processes(workers, len(arguments)) <= 1:
        for each in arguments:
            yield task(*each)
        return
    from joblib import Parallel, delayed

    owner = os.getpid()
    yield from Parallel(n_jobs=worker_processes(workers, len(arguments)), backend="loky", return_as="generator")(
        delayed(_watched)(owner, task, *each) for each in arguments
    )


def cluster_backend(backend: str) -> AbstractContextManager[Any]:
    """joblib's configuration for ``backend`` ("ray" or "dask"), connected to its cluster.

    Ray: ``ray.util.joblib``'s backend, which joins the cluster at ``RAY_ADDRESS`` or starts a
    local Ray instance. Dask: the running ``distributed.Client``, else a new one (the
    scheduler at ``DASK_SCHEDULER_ADDRESS``, or a local cluster), kept for the process."""
    package, extra = BACKEND_PACKAGES[backend]
    try:
        if backend == "ray":
            from ray.util.joblib import register_ray

            register_ray()
        else:
            from distributed import Client, get_client

            try:
                get_client()
            except ValueError:  # no client yet: the scheduler the Dask config names, or a local one
                Client()
    except ImportError:
        raise ConfigError(
            Problem("run.backend", f"{backend} needs the {package!r} package, which is not installed: pip install \"journeysim[{extra}]\"")
        ) from None
    from joblib import parallel_config

    return parallel_config(backend=backend)


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
