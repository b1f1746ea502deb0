"""The one replication runner: numbered replications of one scenario with one seed.

Every study runs its simulations through :class:`ReplicationRunner`: the comparison (each
state, each batch its precision rule asks for), incrementality (every channel or friction removed),
the budget optimiser (every split it tries, and its paired re-check), the per-channel budget
report and sensitivity analyses. It calls :func:`journeysim.simulation.runner.simulate`, so
replication *r* is the same whichever study, batch or process runs it, and summarises runs
with the one KPI table (:func:`journeysim.analysis.metrics.kpi_table`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

import pandas as pd

from journeysim.config import run_settings_from_dict
from journeysim.errors import ConfigError, Problem
from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.simulation.runner import SimulationResult, simulate


class ReplicationRunner:
    """Simulates given replication numbers of one scenario with one seed.

    ``settings`` gives the horizon, arrival window and engine (``seed`` overrides its seed);
    progress bars, worker processes and clusters are the caller's business, so runs here are
    silent and in this process (or the worker process a study sent them to). Replication *r* is exactly replication *r* of
    ``simulate(scenario, seed=seed, replications > r)``: adaptive batches continue the
    sequence a fixed run uses, and two scenarios run with the same seed share random numbers.
    """

    def __init__(self, scenario: Scenario, settings: RunSettings, seed: int | None = None) -> None:
        self.scenario = scenario
        self.seed = settings.seed if seed is None else int(seed)
        self.settings = run_settings_from_dict({**asdict(settings), "seed": self.seed, "progress": False, "workers": 1, "backend": "local"})

    def run(self, replications: range | int | None = None, *, keep_events: bool = True) -> SimulationResult:
        """The tables of ``replications`` (a run of consecutive numbers; an int n means 0..n-1;
        None the settings' replications)."""
        block = _block(self.settings.replications if replications is None else replications)
        return simulate(self.scenario, self.settings, replications=len(block), first_replication=block.start, keep_events=keep_events)

    def kpis(self, replications: range | int | None = None, *, by: Sequence[str] = ("replication",), keep_events: bool = True) -> pd.DataFrame:
        """The KPI table of :meth:`run` (media spend and staff costs included), by ``by``."""
        return self.run(replications, keep_events=keep_events).metrics(by=tuple(by))


def _block(replications: range | int) -> range:
    block = range(replications) if isinstance(replications, int) else replications
    if block.step != 1 or not len(block) or block.start < 0:
        raise ConfigError(Problem("replications", f"must be a non-empty run of consecutive numbers from 0 up, got {replications!r}"))
    return block
