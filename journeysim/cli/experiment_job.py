"""The experiment job: ``journeysim experiment=NAME`` runs the study and writes its folder.

:func:`run_experiment_job` runs :func:`journeysim.studies.experiment.run_experiment` and
writes the comparison's tables, figures and summary atomically (:mod:`journeysim.outputs`);
a study of several options (``experiment.futures``) writes the same files with an ``option``
column (:func:`write_options`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from journeysim.cli.report import write_study_report
from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.outputs import AtomicOutput
from journeysim.reporting.comparison_summary import comparison_text
from journeysim.reporting.figures import save
from journeysim.studies.budget.by_channel import channel_comparison
from journeysim.studies.comparison import Comparison
from journeysim.studies.experiment import Experiment, run_experiment
from journeysim.studies.options import OptionsComparison


@dataclass
class ExperimentJobResult:
    """A finished experiment job: its folder, the study, and what the command prints (the
    summary, then the time the study took)."""

    folder: Path
    comparison: Comparison | OptionsComparison
    summary: str


def timing_line(study: Comparison | OptionsComparison) -> str:
    """How many replications a study ran, in how long, and why it stopped there (printed,
    not written: a folder's files do not depend on the machine's speed)."""
    stopping = study.stopping
    why = "a fixed number" if stopping.get("mode") != "precision" else stopping["stopped_because"]
    return f"Took {study.elapsed_seconds:.1f} s for {study.replications} paired replications ({why})."


def run_experiment_job(current: Scenario, settings: RunSettings, experiment: Experiment, folder: str | Path, *, figures: bool = True,
                       report: bool = True) -> ExperimentJobResult:
    """Run the comparison and write its tables, figures, summary (and ``report.html``) into ``folder`` atomically."""
    study = run_experiment(current, settings, experiment)
    if isinstance(study, OptionsComparison):
        summary = study.summary()
        write_options(study, folder, summary=summary, figures=figures, report=report)
    else:
        summary = comparison_text(study)
        write_comparison(study, folder, summary=summary, figures=figures, report=report)
    return ExperimentJobResult(Path(folder), study, f"{summary}\n{timing_line(study)}")


def write_comparison(comparison: Comparison, folder: str | Path, *, summary: str | None = None, figures: bool = True, report: bool = True) -> None:
    """Write a comparison's tables, figures, summary and ``report.html`` (``report``) into ``folder`` atomically; ``run.json`` last."""
    with AtomicOutput(folder) as out:
        out.write_csv(comparison.table, "comparison.csv")
        out.write_csv(comparison.per_replication, "comparison_by_replication.csv")
        out.write_csv(comparison.dropoff, "dropoff_difference.csv")
        out.write_csv(comparison.channel_mix, "channel_mix.csv")
        out.write_csv(comparison.funnels, "funnels.csv")
        out.write_csv(comparison.emotion, "emotion_lane.csv")
        if comparison.current.budget or comparison.future.budget:
            # Per paid channel: prospects, customers, revenue, CPA and return on spend, paired.
            out.write_csv(channel_comparison(comparison), "budget_by_channel.csv")
        if figures:
            for name, figure in comparison.figures().items():
                save(figure, out.path(name))
        if report:
            write_study_report(out, comparison)
        out.write_text(summary if summary is not None else comparison_text(comparison), "summary.txt")
        out.finish(comparison.metadata())


def write_options(study: OptionsComparison, folder: str | Path, *, summary: str | None = None, figures: bool = True, report: bool = True) -> None:
    """Write a study of several options into ``folder`` atomically; ``run.json`` last.
    ``comparison.csv`` is the tidy table (one row per option x KPI x persona, adjusted
    intervals and tests); the detail tables are every option's, with an ``option`` column."""
    with AtomicOutput(folder) as out:
        out.write_csv(study.table, "comparison.csv")
        out.write_csv(study.per_replication, "comparison_by_replication.csv")
        for name, file in (("dropoff", "dropoff_difference.csv"), ("channel_mix", "channel_mix.csv"), ("funnels", "funnels.csv"), ("emotion", "emotion_lane.csv")):
            tables = [getattr(comparison, name).assign(option=option) for option, comparison in study.options.items()]
            table = pd.concat(tables, ignore_index=True)
            out.write_csv(table[["option", *[c for c in table.columns if c != "option"]]], file)
        if any(comparison.future.budget for comparison in study.options.values()) or study.current.budget:
            table = pd.concat([channel_comparison(c).assign(option=option) for option, c in study.options.items()], ignore_index=True)
            out.write_csv(table[["option", *[c for c in table.columns if c != "option"]]], "budget_by_channel.csv")
        if figures:
            for name, figure in study.figures().items():
                save(figure, out.path(name))
        if report:
            write_study_report(out, study)
        out.write_text(summary if summary is not None else study.summary(), "summary.txt")
        out.finish(study.metadata())
