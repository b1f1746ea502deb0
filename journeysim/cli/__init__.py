"""Thin command-line entry points and the job folders they write.

``journeysim`` (:mod:`.main`, Hydra), ``journeysim-collect`` (:mod:`.sweep`),
``journeysim-design`` (:mod:`.design`), ``journeysim-attribution`` (:mod:`.attribution`) and
``journeysim-report`` (:mod:`.report`); :func:`run_job` and :func:`run_experiment_job` write a
run's or a study's folder atomically, with its ``report.html`` (:func:`write_run_report`,
:func:`write_study_report`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from journeysim._lazy import lazy_exports

# Public name -> the module that defines it (imported on first use).
EXPORTS = {
    "collect_sweep": "journeysim.cli.sweep",
    "JobResult": "journeysim.cli.job",
    "run_experiment_job": "journeysim.cli.experiment_job",
    "run_job": "journeysim.cli.job",
    "write_comparison": "journeysim.cli.experiment_job",
    "write_run_report": "journeysim.cli.report",
    "write_study_report": "journeysim.cli.report",
}

if TYPE_CHECKING:
    from journeysim.cli.experiment_job import run_experiment_job, write_comparison
    from journeysim.cli.job import JobResult, run_job
    from journeysim.cli.report import write_run_report, write_study_report
    from journeysim.cli.sweep import collect_sweep

__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
