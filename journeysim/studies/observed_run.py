"""A run's ``observed/`` folder, whole: the exports of what a brand would see, and the truth of
what its media really did.

:func:`write_observed_folder` is what ``journeysim output.observed=true`` runs after the
simulation: the exports of :class:`journeysim.simulation.observed_exports.ObservedExport`
(paths, event log, sessions, GA4-like rows, the media-mix panel) and ``mmm_truth.csv``, each
paid channel's incremental conversions and revenue from runs with its spend at zero
(:func:`journeysim.studies.media_truth.media_incrementality`). docs/observation.md describes every file.
"""

from __future__ import annotations

from typing import Any, Callable

import pandas as pd

from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.outputs import AtomicOutput
from journeysim.simulation.observed_exports import OBSERVED_FOLDER, ObservedExport
from journeysim.simulation.runner import SimulationResult
from journeysim.studies.media_truth import MEDIA_TRUTH_COLUMNS, media_incrementality


def write_observed_folder(
    out: AtomicOutput,
    scenario: Scenario,
    settings: RunSettings,
    result: SimulationResult,
    kpis: pd.DataFrame,
    *,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Write ``observed/`` of a run (``result``, simulated with ``settings``; ``kpis`` its KPI
    table) into ``out``; returns what ``run.json`` records of it. Each paid channel costs one
    more run of the scenario (its spend set to zero) for ``mmm_truth.csv``."""
    export = ObservedExport(scenario, settings, out.path)
    export.add_run(result.events, result.customers)
    record = export.finish(kpis)
    truth = media_incrementality(scenario, settings, full=result, log=log) if scenario.budget else pd.DataFrame(columns=list(MEDIA_TRUTH_COLUMNS))
    out.write_csv(truth, f"{OBSERVED_FOLDER}/mmm_truth.csv")
    return {**record, "mmm_truth_channels": list(truth["channel"])}
