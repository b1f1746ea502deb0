"""Running the states of a study side by side: paired replications, in batches.

A comparison runs two states (current and future), a study of several options runs the
current state and every option; :func:`run_states` runs them all for replications 0, 1, ...
with the same seed (common random numbers), a fixed number of them or as many as a
:class:`~journeysim.studies.precision.Precision` rule needs, and keeps only each batch's small
tables (:class:`~journeysim.studies.tallies.Tallies`), not its event logs. Batches run in this
process or through :func:`journeysim.simulation.processes.in_processes` (worker processes,
a Ray or Dask cluster) and are merged in replication order, so the tables, and the rule's
decisions, are the same wherever they run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from journeysim.model.compiled import compile_scenario
from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.simulation.engines import select_engine
from journeysim.simulation.processes import in_processes, portable, restore
from journeysim.simulation.replications import ReplicationRunner
from journeysim.studies.precision import Precision, next_batch, stopping_record
from journeysim.studies.tallies import Tallies, per_replication_table

# Replications one task runs: only their tallies come back, so memory stays small, and the
# tasks of a batch are few enough to start cheaply, many enough to share out among workers.
REPLICATIONS_PER_CHUNK = 4

# The headline of a study: from the per-replication table so far, per option, the values
# (current, option) per replication that the precision rule watches.
Headline = Callable[[pd.DataFrame], Sequence[tuple[np.ndarray, np.ndarray]]]


def state_engines(engine: str, scenarios: Mapping[str, Scenario]) -> dict[str, str]:
    """The engine each state runs on: ``engine``, or for ``auto`` per state the vectorised
    engine when it is exact for that state (no queues, referrals or finite market), else SimPy.

    States on different engines still share their random numbers: both engines draw the same
    numbers for the same customer, touch and purpose, and give the same tables for a scenario
    both can run (``tests/simulation/test_engine_vectorised.py``)."""
    if engine != "auto":
        return {state: engine for state in scenarios}
    return {state: select_engine("auto", compile_scenario(scenario)).name for state, scenario in scenarios.items()}


def run_states(
    runners: Mapping[str, ReplicationRunner],
    tallies: Mapping[str, Tallies],
    *,
    replications: int | None,
    precision: Precision | None,
    headline: Headline,
    confidence: float,
    settings: RunSettings,
    advance: Callable[[int], Any],
    planned: Callable[[int], Any] = lambda runs: None,
) -> dict[str, Any]:
    """Run every state of ``runners`` into its ``tallies`` for replications 0, 1, ...:
    ``replications`` of them, or (``precision``) its first stage and then its batches until
    the headline's interval at ``confidence`` is narrow enough or the maximum is reached.
    ``planned`` hears how many runs each batch adds before it starts, ``advance`` how many
    are done (a progress bar). Returns how it stopped
    (:func:`journeysim.studies.precision.stopping_record`)."""
    done, decision = 0, None
    limit = replications if precision is None else precision.max_replications
    while done < limit:
        size = next_batch(done, precision, limit)
        planned(size * len(runners))
        chunks = [range(start, min(start + REPLICATIONS_PER_CHUNK, done + size)) for start in range(done, done + size, REPLICATIONS_PER_CHUNK)]
        _run_chunks(runners, tallies, chunks, settings, advance)
        done += size
        if precision is not None:
            decision = precision.look(headline(per_replication_table(tallies)), confidence)
            if decision["reached"]:
                break
    return stopping_record(precision, done, decision)


def _run_chunks(runners: Mapping[str, ReplicationRunner], tallies: Mapping[str, Tallies], chunks: Sequence[range], settings: RunSettings, advance) -> None:
    """Run every state over ``chunks`` of replication numbers into ``tallies``.

    With ``settings.workers > 1`` (or a cluster backend) the (state, chunk) tasks run in
    worker processes; each returns its chunk's small tables (not its event log), merged in
    task order, so the result is the same table for any number of workers and any backend.
    """
    tasks = [(state, chunk) for chunk in chunks for state in runners]
    if settings.workers <= 1 and settings.backend == "local":
        for state, chunk in tasks:
            tallies[state].add_run(runners[state].run(chunk), runners[state].scenario)
            advance(len(chunk))
        return
    sources = {state: portable(runner.scenario) for state, runner in runners.items()}
    arguments = [(sources[state], runners[state].settings, chunk, tallies[state].empty_like()) for state, chunk in tasks]
    for (state, chunk), partial in zip(tasks, in_processes(_chunk_tallies, arguments, settings.workers, settings.backend)):
        tallies[state].extend(partial)
        advance(len(chunk))


def _chunk_tallies(source: Mapping[str, Any], settings: RunSettings, chunk: range, tallies: Tallies) -> Tallies:
    """One state's chunk in a worker process: its tallies (small tables), not its event log."""
    scenario = restore(source)
    tallies.add_run(ReplicationRunner(scenario, settings).run(chunk), scenario)
    return tallies


__all__ = ["REPLICATIONS_PER_CHUNK", "Headline", "run_states", "state_engines"]
