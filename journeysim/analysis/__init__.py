"""Pure functions of tables and exact answers: nothing here runs a simulation.

KPIs (:mod:`.metrics`), the exact absorbing-chain solver (:mod:`.exact`), closed forms
(:mod:`.queueing`, :mod:`.diffusion`), paired statistics (:mod:`.paired`), per-channel tables
(:mod:`.channels`), capacity tables (:mod:`.queues`), satisfaction as it runs and the survey
KPIs (:mod:`.experience`, :mod:`.survey_metrics`), attribution models and their scores
(:mod:`.attribution` with :mod:`.attribution_rules`, :mod:`.attribution_markov` and
:mod:`.attribution_shapley`; :mod:`.attribution_scores`), path tables and their files
(:mod:`.paths`, :mod:`.path_files`), sweep summaries (:mod:`.sweeps`), and calibration: the
data-file reader (:mod:`.data_tables`), repeat buying (:mod:`.bgnbd`, :mod:`.fit_transactions`)
and the media response (:mod:`.fit_media`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from journeysim._lazy import lazy_exports

# Public name -> the module that defines it (imported on first use).
EXPORTS = {
    "MediaMixFit": "journeysim.analysis.media_mix",
    "fit_media_mix": "journeysim.analysis.media_mix",
    "media_panel_table": "journeysim.analysis.media_panel",
    "session_summary": "journeysim.analysis.sessions",
    "web_sessions": "journeysim.analysis.sessions",
    "ga4_events_table": "journeysim.analysis.event_logs",
    "event_log_table": "journeysim.analysis.event_logs",
    "ALL": "journeysim.analysis.metrics",
    "attribute_all": "journeysim.analysis.attribution",
    "blueprint_table": "journeysim.analysis.blueprint",
    "day_in_the_life": "journeysim.analysis.journey_maps",
    "journey_map_table": "journeysim.analysis.journey_maps",
    "budget_fields": "journeysim.analysis.fit_media",
    "channel_table": "journeysim.analysis.channels",
    "comparison_table": "journeysim.analysis.paired",
    "cost_per_acquisition": "journeysim.analysis.metrics",
    "dropoff_by_stage": "journeysim.analysis.metrics",
    "ExactSolution": "journeysim.analysis.exact",
    "NotApplicable": "journeysim.analysis.exact",
    "first_touch": "journeysim.analysis.attribution_rules",
    "fit_bgnbd": "journeysim.analysis.bgnbd",
    "fit_distribution": "journeysim.analysis.fit_distributions",
    "fit_media_response": "journeysim.analysis.fit_media",
    "fit_repeat_buying": "journeysim.analysis.fit_transactions",
    "fit_touch_log": "journeysim.analysis.fit_touches",
    "funnel": "journeysim.analysis.metrics",
    "KPI_DESCRIPTIONS": "journeysim.analysis.metrics",
    "kpi_table": "journeysim.analysis.metrics",
    "last_non_direct": "journeysim.analysis.attribution_rules",
    "last_touch": "journeysim.analysis.attribution_rules",
    "linear": "journeysim.analysis.attribution_rules",
    "loyalty_fields": "journeysim.analysis.fit_transactions",
    "loyalty_timeline": "journeysim.analysis.metrics",
    "markov": "journeysim.analysis.attribution_markov",
    "markov_removal_effects": "journeysim.analysis.attribution_markov",
    "MODEL_NAMES": "journeysim.analysis.attribution",
    "paired_statistics": "journeysim.analysis.paired",
    "paths_from_events": "journeysim.analysis.paths",
    "position_based": "journeysim.analysis.attribution_rules",
    "profit": "journeysim.analysis.metrics",
    "queue_table": "journeysim.analysis.queues",
    "read_path_table": "journeysim.analysis.path_files",
    "read_table": "journeysim.analysis.data_tables",
    "read_touch_log": "journeysim.analysis.path_files",
    "replication_summary": "journeysim.analysis.metrics",
    "response_summary": "journeysim.analysis.sweeps",
    "return_on_spend": "journeysim.analysis.metrics",
    "running_satisfaction": "journeysim.analysis.experience",
    "shapley": "journeysim.analysis.attribution_shapley",
    "solve": "journeysim.analysis.exact",
    "t_half_width": "journeysim.analysis.intervals",
    "time_decay": "journeysim.analysis.attribution_rules",
    "total_cost": "journeysim.analysis.metrics",
    "JourneyLog": "journeysim.analysis.touch_logs",
    "read_journey_log": "journeysim.analysis.touch_logs",
    "TouchLogFit": "journeysim.analysis.fit_touches",
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
    from journeysim.analysis.bgnbd import fit_bgnbd
    from journeysim.analysis.blueprint import blueprint_table
    from journeysim.analysis.channels import channel_table
    from journeysim.analysis.data_tables import read_table
    from journeysim.analysis.event_logs import event_log_table, ga4_events_table
    from journeysim.analysis.exact import ExactSolution, NotApplicable, solve
    from journeysim.analysis.experience import running_satisfaction
    from journeysim.analysis.fit_distributions import fit_distribution
    from journeysim.analysis.fit_media import budget_fields, fit_media_response
    from journeysim.analysis.fit_touches import TouchLogFit, fit_touch_log
    from journeysim.analysis.fit_transactions import fit_repeat_buying, loyalty_fields
    from journeysim.analysis.intervals import t_half_width
    from journeysim.analysis.journey_maps import day_in_the_life, journey_map_table
    from journeysim.analysis.media_mix import MediaMixFit, fit_media_mix
    from journeysim.analysis.media_panel import media_panel_table
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
    from journeysim.analysis.sessions import session_summary, web_sessions
    from journeysim.analysis.sweeps import response_summary
    from journeysim.analysis.touch_logs import JourneyLog, read_journey_log

__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
