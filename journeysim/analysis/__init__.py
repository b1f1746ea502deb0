"""Pure functions of tables and exact answers: nothing here runs a simulation.

KPIs (:mod:`.metrics`), the exact absorbing-chain solver (:mod:`.exact`), closed forms
(:mod:`.queueing`, :mod:`.diffusion`), paired statistics (:mod:`.paired`), per-channel tables
(:mod:`.channels`), capacity tables (:mod:`.queues`), attribution models and their scores
(:mod:`.attribution` with :mod:`.attribution_rules`, :mod:`.attribution_markov` and
:mod:`.attribution_shapley`; :mod:`.attribution_scores`), path tables and their files
(:mod:`.paths`, :mod:`.path_files`) and sweep summaries (:mod:`.sweeps`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from journeysim._lazy import lazy_exports

# Public name -> the module that defines it (imported on first use).
EXPORTS = {
    "ALL": "journeysim.analysis.metrics",
    "attribute_all": "journeysim.analysis.attribution",
    "first_touch": "journeysim.analysis.attribution_rules",
    "last_touch": "journeysim.analysis.attribution_rules",
    "last_non_direct": "journeysim.analysis.attribution_rules",
    "linear": "journeysim.analysis.attribution_rules",
    "time_decay": "journeysim.analysis.attribution_rules",
    "position_based": "journeysim.analysis.attribution_rules",
    "markov": "journeysim.analysis.attribution_markov",
    "markov_removal_effects": "journeysim.analysis.attribution_markov",
    "shapley": "journeysim.analysis.attribution_shapley",
    "channel_table": "journeysim.analysis.channels",
    "comparison_table": "journeysim.analysis.paired",
    "cost_per_acquisition": "journeysim.analysis.metrics",
    "dropoff_by_stage": "journeysim.analysis.metrics",
    "ExactSolution": "journeysim.analysis.exact",
    "funnel": "journeysim.analysis.metrics",
    "t_half_width": "journeysim.analysis.intervals",
    "KPI_DESCRIPTIONS": "journeysim.analysis.metrics",
    "kpi_table": "journeysim.analysis.metrics",
    "loyalty_timeline": "journeysim.analysis.metrics",
    "MODEL_NAMES": "journeysim.analysis.attribution",
    "paired_statistics": "journeysim.analysis.paired",
    "paths_from_events": "journeysim.analysis.paths",
    "profit": "journeysim.analysis.metrics",
    "queue_table": "journeysim.analysis.queues",
    "read_path_table": "journeysim.analysis.path_files",
    "read_touch_log": "journeysim.analysis.path_files",
    "replication_summary": "journeysim.analysis.metrics",
    "response_summary": "journeysim.analysis.sweeps",
    "return_on_spend": "journeysim.analysis.metrics",
    "solve": "journeysim.analysis.exact",
    "total_cost": "journeysim.analysis.metrics",
    "touchpoint_table": "journeysim.analysis.metrics",
    "write_path_table": "journeysim.analysis.path_files",
}

if TYPE_CHECKING:
    from journeysim.analysis.attribution import MODEL_NAMES, attribute_all
    from journeysim.analysis.attribution_markov import markov, markov_removal_effects
    from journeysim.analysis.attribution_rules import (
        first_touch,
        last_non_direct,
        last_touch,
        linear,
        position_based,
        time_decay,
    )
    from journeysim.analysis.attribution_shapley import shapley
    from journeysim.analysis.channels import channel_table
    from journeysim.analysis.exact import ExactSolution, solve
    from journeysim.analysis.intervals import t_half_width
    from journeysim.analysis.metrics import (
        ALL,
        KPI_DESCRIPTIONS,
        cost_per_acquisition,
        dropoff_by_stage,
        funnel,
        kpi_table,
        loyalty_timeline,
        profit,
        replication_summary,
        return_on_spend,
        total_cost,
        touchpoint_table,
    )
    from journeysim.analysis.paired import comparison_table, paired_statistics
    from journeysim.analysis.path_files import (
        read_path_table,
        read_touch_log,
        write_path_table,
    )
    from journeysim.analysis.paths import paths_from_events
    from journeysim.analysis.queues import queue_table
    from journeysim.analysis.sweeps import response_summary

__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
