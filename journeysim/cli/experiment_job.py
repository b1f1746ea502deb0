"""The experiment job: ``journeysim experiment=NAME`` runs the study and writes its folder.

:func:`run_experiment_job` runs :func:`journeysim.studies.experiment.run_experiment` and
writes the comparison's tables, figures and summary atomically (:mod:`journeysim.outputs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from journeysim.model.scenario import Scenario
from journeysim.model.settings import RunSettings
from journeysim.outputs import AtomicOutput
from journeysim.reporting.comparison_summary import comparison_text
from journeysim.reporting.figures import save
from journeysim.studies.budget.by_channel import channel_comparison
from journeysim.studies.comparison import Comparison
from journeysim.studies.experiment import Experiment, run_experiment


@dataclass
class ExperimentJobResult:
    folder: Path
    comparison: Comparison
    summary: str


def run_experiment_job(current: Scenario, settings: RunSettings, experiment: Experiment, folder: str | Path, *, figures: bool = True) -> ExperimentJobResult:
    """Run the comparison and write its tables, figures and summary into ``folder`` atomically."""
    comparison = run_experiment(current, settings, experiment)
    summary = comparison_text(comparison)
    write_comparison(comparison, folder, summary=summary, figures=figures)
    return ExperimentJobResult(Path(folder), comparison, summary)


def write_comparison(comparison: Comparison, folder: str | Path, *, summary: str | None = None, figures: bool = True) -> None:
    """Write a comparison's tables, figures and summary into ``folder`` atomically; ``run.json`` last."""
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
        out.write_text(summary if summary is not None else comparison_text(comparison), "summary.txt")
        out.finish(comparison.metadata())
