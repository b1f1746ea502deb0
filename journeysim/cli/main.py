"""Command-line entry point ``journeysim``: a thin Hydra wrapper around the jobs.

``journeysim`` runs :func:`journeysim.cli.job.run_job`; ``journeysim experiment=NAME`` runs the
current-vs-future comparison :func:`journeysim.cli.experiment_job.run_experiment_job`.
Invalid configurations print one message per problem (naming the config path and value)
and exit with status 2, without a traceback: those the job finds, and those Hydra meets while
composing it (an override it cannot read, an unknown key or config group option, a value of
the wrong type), with the close name or the valid ones. In a multirun an invalid job does
not stop the sweep: it records its problems in ``invalid_config.txt`` in its folder and the
other jobs run; the sweep callback then names it and exits with status 2 once the table is
written.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode

from journeysim.config import (
    composition_error,
    config_dir,
    named_configs,
    register_resolvers,
    register_schemas,
    unsafe_config_files,
)
from journeysim.errors import ConfigError
from journeysim.outputs import (
    INVALID_CONFIG_FILE,
    package_version,
    write_text_atomically,
)

EXIT_INVALID_CONFIG = 2


def report_config_error(error: ConfigError) -> None:
    print(f"journeysim: invalid configuration\n{error.render()}", file=sys.stderr)


# The schemas in Hydra's ConfigStore (journeysim_schema/{scenario,run,output,experiment}), so a
# config of one's own (--config-path) can type its nodes with them; ours are checked by load_job.
register_schemas()
register_resolvers()


@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="config")
def _main(cfg: Any) -> None:  # a composed DictConfig; the config room reads it
    with _inside_the_job():
        _job(cfg)


def _job(cfg: Any) -> None:
    from journeysim.cli.resume import load_job, skip_completed_job

    hydra_config = HydraConfig.get()
    folder = hydra_config.runtime.output_dir
    invalid_note = Path(folder) / INVALID_CONFIG_FILE
    invalid_note.unlink(missing_ok=True)  # left by an earlier run of this job, since fixed or not
    try:
        loaded = load_job(cfg)  # validated once, for resume and for the run
        if skip_completed_job(cfg, folder, loaded):  # output.resume=true and the folder holds this job's complete result
            return
        output = loaded.output
        if loaded.experiment is None:  # each kind of job imports only its own path (a study skips observed exports)
            from journeysim.cli.job import run_job

            job = run_job(loaded.scenario, loaded.settings, folder, write_events=output.events, figures=output.figures, observed=output.observed,
                          report=output.report)
        else:
            from journeysim.cli.experiment_job import run_experiment_job

            job = run_experiment_job(loaded.scenario, loaded.settings, loaded.experiment, folder, figures=output.figures, report=output.report)
    except ConfigError as error:
        if hydra_config.mode != RunMode.MULTIRUN:
            report_config_error(error)
            sys.exit(EXIT_INVALID_CONFIG)
        # SystemExit here would end the whole sweep (and kill a joblib worker): record the
        # problems instead; CollectSweep reports them and sets the exit status at the end.
        print(f"journeysim: job {hydra_config.job.num} has an invalid configuration; the sweep goes on\n{error.render()}", file=sys.stderr)
        write_text_atomically(invalid_note, error.render() + "\n")
        return
    print(job.summary)
    print(f"Results written to {job.folder}")


# Hydra reports every error of a command through one function, hydra._internal.utils.
# run_and_report: it prints the error (several lines ending "Set the environment variable
# HYDRA_FULL_ERROR=1") and exits with status 1, so a bad override and a bug look alike. That
# function is where the exception still exists, so the command passes its own in for the
# length of the command (Hydra's module functions look the name up at each call): an error
# that is the user's mistake in the configuration is reported as one and exits 2; every other
# error goes on to Hydra's, unchanged. Which is which is told by where the error was raised,
# not by its text: one raised inside the task function is the job's (marked there; the mark
# is pickled with it from a worker process) and always Hydra's to report, even an OmegaConf
# error (a bug); one raised around it, while Hydra composes the job, is a configuration
# mistake when journeysim.config.composition_error recognises it. HYDRA_FULL_ERROR=1 still
# gets Hydra's full traceback. Were run_and_report renamed, nothing would be replaced and
# Hydra's report (status 1) would stand; the command-line tests would say so.
_RAISED_IN_THE_JOB = "_journeysim_raised_in_the_job"


@contextmanager
def _inside_the_job() -> Iterator[None]:
    try:
        yield
    except Exception as error:
        setattr(error, _RAISED_IN_THE_JOB, True)
        raise


@contextmanager
def configuration_mistakes_exit_2() -> Iterator[None]:
    """For the length of the block, an error Hydra meets while composing a job that is a
    mistake in the configuration prints one message and exits with status 2."""
    from hydra._internal import utils as hydra_utils

    hydra_report = getattr(hydra_utils, "run_and_report", None)
    if hydra_report is None:
        yield
        return

    def run_and_report(func: Callable[[], Any]) -> Any:
        def composing() -> Any:
            try:
                return func()
            except Exception as error:
                full_error = os.environ.get("HYDRA_FULL_ERROR") == "1"
                mistake = None if full_error or getattr(error, _RAISED_IN_THE_JOB, False) else composition_error(error)
                if mistake is None:
                    raise
                report_config_error(mistake)
                raise SystemExit(EXIT_INVALID_CONFIG) from None

        return hydra_report(composing)

    hydra_utils.run_and_report = run_and_report
    try:
        yield
    finally:
        hydra_utils.run_and_report = hydra_report


EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # the shell's 128 + SIGINT / SIGTERM


def _terminated(signum: int, frame: Any) -> None:
    # Raised where the run is: every `with` block unwinds, so a result being written loses
    # only its staging folder, and an earlier result stays as it was.
    raise SystemExit(EXIT_TERMINATED)


def config_roots(argv: list[str]) -> list[Path]:
    """The folders Hydra composes from: the primary one (``--config-path``/``-cp``, or ours),
    ``--config-dir``/``-cd`` and ``hydra.searchpath=[...]`` file paths."""
    roots, primary = [], config_dir()
    for i, arg in enumerate(argv):
        flag, _, value = arg.partition("=")
        if flag in ("--config-path", "-cp", "--config-dir", "-cd"):
            value = value or (argv[i + 1] if i + 1 < len(argv) else "")
            if flag in ("--config-path", "-cp"):
                primary = Path(value)
            else:
                roots.append(Path(value))
        elif arg.lstrip("+").startswith("hydra.searchpath="):
            roots += [Path(p.strip(" '\"").removeprefix("file://")) for p in value.strip("[]").split(",") if p.strip() and not p.strip().startswith("pkg://")]
    return [primary, *roots]


USAGE = """\
usage: journeysim [KEY=VALUE ...]                 simulate a scenario, write its folder
       journeysim experiment=NAME [KEY=VALUE ...]  current vs future state, paired
       journeysim -m KEY=A,B [KEY=C,D ...]         a sweep: every combination, one table

Examples:
  journeysim run.seed=7 run.horizon_days=30 run.replications=5
  journeysim scenario.touchpoints.purchase.website.friction=0
  journeysim experiment=one_click_checkout run.workers=2
  journeysim -m run.seed=1,2,3 scenario.arrival_rate_per_day=100,200

Keys: run.* (seed, horizon_days, replications, engine, workers, force), output.* (events,
figures, resume, name, observed, report), scenario.* (any field of the scenario), experiment.* (a study).
Named: scenario=NAME ({scenarios}); experiment=NAME ({experiments}).
Results go to outputs/DATE/TIME-xxxxxx (hydra.run.dir=DIR to choose); an invalid value stops
the run with status 2, naming the key and the value.

Other commands: journeysim-collect, journeysim-design, journeysim-attribution, journeysim-report.
Docs: README.md and docs/ (configuration.md lists every key and default).
Hydra's own options: journeysim --hydra-help.
"""


def selected_configs(argv: list[str]) -> dict[str, set[str] | None]:
    """The scenario and experiment names the command line composes (``scenario=a,b``); None
    where a sweep expression (``choice(...)``, ``glob(...)``) could pick any."""
    selected: dict[str, set[str] | None] = {"scenario": {"retail_omnichannel"}, "experiment": set()}
    for arg in argv:
        key, _, value = arg.lstrip("+~").partition("=")
        if key in selected and value:
            names = None if "(" in value else {v.strip() for v in value.split(",") if v.strip() and v.strip() != "null"}
            current = selected[key]
            selected[key] = None if names is None or current is None else ({*names} if key == "scenario" else current | names)
    return selected


def main() -> None:
    """``journeysim``: a Hydra job; Ctrl-C and SIGTERM end it with one line and no traceback.

    Before Hydra composes anything, scenario and experiment files on the search path are
    checked to be data: one that sets ``hydra.*`` (callbacks Hydra would instantiate) or a
    ``defaults`` list stops the command with status 2, naming the file."""
    arguments = sys.argv[1:]
    if arguments and arguments[0] in ("--help", "-h"):
        print(USAGE.format(scenarios=", ".join(named_configs("scenario")), experiments=", ".join(named_configs("experiment"))), end="")
        return
    if arguments and arguments[0] in ("--version", "-V"):
        print(f"journeysim {package_version()}")
        return
    unsafe = unsafe_config_files(config_roots(arguments), selected_configs(arguments))
    if unsafe:
        report_config_error(ConfigError(unsafe))
        sys.exit(EXIT_INVALID_CONFIG)
    signal.signal(signal.SIGTERM, _terminated)
    try:
        with configuration_mistakes_exit_2():
            _main()
    except KeyboardInterrupt:
        print("journeysim: interrupted; results being written were discarded, earlier ones kept", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except SystemExit as stop:
        if stop.code == EXIT_TERMINATED:
            print("journeysim: terminated; results being written were discarded, earlier ones kept", file=sys.stderr)
        raise


if __name__ == "__main__":
    main()
