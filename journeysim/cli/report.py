"""``report.html`` in run and study folders, and the command that draws it again: ``journeysim-report``.

The main job and the experiment job call :func:`write_run_report` / :func:`write_study_report`
inside their :class:`~journeysim.outputs.AtomicOutput` block (``output.report=true``, the
default): the report's own tables are written first (``journey_map.csv``,
``pain_points.csv``, ``day_in_the_life.csv``, ``blueprint.csv``, ``scenario.json``), then the
page is drawn from the folder's tables as written, so ``journeysim-report FOLDER`` draws the
same page from the same folder later, without running anything. A folder that is missing or
holds no journeysim result is one line and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from journeysim.analysis.blueprint import blueprint_table
from journeysim.analysis.journey_maps import day_in_the_life, journey_map_table
from journeysim.config import plain_data
from journeysim.errors import ConfigError
from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.outputs import AtomicOutput, write_text_atomically
from journeysim.reporting.report_data import (
    REPORT_FILE,
    SCENARIO_FILE,
    experiment_report_data,
    run_report_data,
)
from journeysim.reporting.report_html import (
    render_experiment_report,
    render_folder,
    render_run_report,
)
from journeysim.simulation.runner import SimulationResult
from journeysim.studies.comparison import Comparison
from journeysim.studies.options import OptionsComparison
from journeysim.studies.pain_points import pain_point_table

EXIT_INVALID = 2


def write_run_report(out: AtomicOutput, scenario: Scenario, settings: RunSettings, result: SimulationResult, facts: Mapping[str, Any]) -> None:
    """The report's tables and ``report.html`` into a run folder being written. Call it once
    the job's tables (``metrics.csv``, ``funnel.csv``, ``queues.csv``, ...) are in ``out``;
    ``facts`` are what ``run.json`` will say."""
    customers, events = result.customers, result.events
    out.write_text(json.dumps(plain_data(dict(scenario.source)), indent=1), SCENARIO_FILE)
    out.write_csv(journey_map_table(scenario, customers, events), "journey_map.csv")
    out.write_csv(pain_point_table(scenario, settings, result), "pain_points.csv")
    # Its own generator, from the run's seed: the same run samples the same customers.
    out.write_csv(day_in_the_life(customers, events, scenario.persona_names, np.random.default_rng(settings.seed)), "day_in_the_life.csv")
    if any(channel.has_queue for channel in scenario.channels.values()):
        out.write_csv(blueprint_table(scenario, result.queues, events, settings.horizon_days, settings.replications), "blueprint.csv")
    assert out.staging is not None
    out.write_text(render_run_report(run_report_data(out.staging, facts=facts)), REPORT_FILE)


def write_study_report(out: AtomicOutput, study: Comparison | OptionsComparison) -> None:
    """``scenario.json`` (the current state) and ``report.html`` into a study folder being
    written (one future state, or several options), once the study's tables are in ``out``."""
    out.write_text(json.dumps(plain_data(dict(study.current.source)), indent=1), SCENARIO_FILE)
    assert out.staging is not None
    out.write_text(render_experiment_report(experiment_report_data(out.staging, facts=study.metadata())), REPORT_FILE)


def main(argv: Sequence[str] | None = None) -> int:
    """``journeysim-report FOLDER``: draw ``FOLDER/report.html`` again from the folder's tables."""
    parser = argparse.ArgumentParser(
        prog="journeysim-report",
        description="Draw report.html again from a journeysim run or experiment folder's tables (nothing is re-run).",
    )
    parser.add_argument("folder", help="a folder written by journeysim (a run, or experiment=NAME)")
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    try:
        page = render_folder(folder)
    except ConfigError as error:
        print(f"journeysim-report: {error.render()}", file=sys.stderr)
        return EXIT_INVALID
    write_text_atomically(folder / REPORT_FILE, page)
    print(f"Report written to {folder / REPORT_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
