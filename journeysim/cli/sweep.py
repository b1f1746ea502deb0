"""Sweeps: one tidy table from a Hydra multirun folder, and the callback that writes it.

A multirun folder (``hydra.sweep.dir``) holds one folder per job; a job's result is complete
when its ``run.json`` exists (:mod:`journeysim.outputs` writes it last). :func:`collect_sweep`
reads the complete jobs into one table, one row per job, replication and persona: the job
number and folder, the job's overrides (one typed column per key), seed, replication,
persona and every KPI of ``metrics_by_replication.csv``. It writes the table as
``sweep.parquet`` and ``sweep.csv`` next to the job folders and names, in a warning, the jobs
that did not finish and the jobs the sweep planned but never started.

:class:`CollectSweep` runs it at the end of every multirun (registered under
``hydra.callbacks`` in ``configs/config.yaml``); ``journeysim-collect PATH`` runs it by hand.
A re-run sweep (``output.resume=true``) skips every job whose folder already holds a complete
result of the same configuration (:mod:`journeysim.cli.resume`).

Hydra instantiates the callback for every run, so this module imports no plotting, no
launcher and nothing that ``journeysim`` itself does not already import.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hydra.experimental.callback import Callback

from journeysim.cli.resume import (
    EXPERIMENT_COMPARISON,
    EXPERIMENT_METRICS,
    JOB_METRICS,
    same_value,
)
from journeysim.config import read_yaml
from journeysim.config.durations import duration_days
from journeysim.errors import ConfigError
from journeysim.outputs import (
    COMPLETE_MARKER,
    HYDRA_PENDING,
    HYDRA_RECORD,
    INVALID_CONFIG_FILE,
    replacing,
    spreadsheet_safe,
)

TABLE_NAME = "sweep"
COMPARISON_TABLE_NAME = "sweep_comparison"
# Overrides that change only what a job writes, shows or where it runs, not its results:
# every output.* setting, and these run.* settings.
RUN_OUTPUT_ONLY = frozenset({"run.progress", "run.workers", "run.backend", "run.force"})


def output_only(key: str) -> bool:
    """Whether an override's key changes only what a job writes or where it runs."""
    key = key.lstrip("+~")
    return key.startswith("output.") or key in RUN_OUTPUT_ONLY
INVALID_PREFIX = "invalid configuration"
EXIT_INVALID_JOBS = 2  # as the command line's exit status for an invalid configuration
EXIT_COLLECT_FAILED = 1


class IncompleteSweepWarning(UserWarning):
    """Some jobs of a sweep have no complete result; the table leaves them out."""


@dataclass(frozen=True)
class SweepJob:
    """One job folder of a sweep."""

    number: int | None
    folder: Path
    overrides: tuple[str, ...]
    complete: bool
    problem: str = ""  # why the job is not in the table ("" when it is)


@dataclass(frozen=True)
class MissingJob:
    """A planned job that is not in the table, and why."""

    number: int | None
    overrides: tuple[str, ...]
    reason: str


@dataclass
class SweepCollection:
    folder: Path
    table: pd.DataFrame
    collected: list[SweepJob]
    missing: list[MissingJob] = field(default_factory=list)
    planned: int | None = None  # jobs the sweep's own config asks for, when it can be read
    files: list[Path] = field(default_factory=list)
    # Experiment sweeps: one row per job, KPI and persona of each job's comparison.csv.
    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def invalid(self) -> list[MissingJob]:
        """The jobs left out because their configuration is invalid."""
        return [job for job in self.missing if job.reason.startswith(INVALID_PREFIX)]

    def message(self) -> str:
        """The warning about missing jobs ("" when every job is in the table)."""
        if not self.missing:
            return ""
        planned = f" of {self.planned} planned" if self.planned is not None else ""
        lines = [f"{len(self.missing)} jobs of {self.folder} are not in the sweep table ({len(self.collected)}{planned} are):"]
        for job in self.missing:
            label = f"#{job.number}" if job.number is not None else "job"
            lines.append(f"  {label} ({' '.join(job.overrides) or 'no overrides'}): {job.reason}")
        return "\n".join(lines)


def collect_sweep(sweep_dir: str | Path, *, write: bool = True, warn: bool = True) -> SweepCollection:
    """Read the complete jobs of ``sweep_dir`` into one table; write ``sweep.parquet``/``sweep.csv``.

    Nothing is written when no job is complete. ``warn`` issues an :class:`IncompleteSweepWarning`
    naming the jobs left out (the callback and the command line print it instead).
    """
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise FileNotFoundError(f"no sweep folder {str(sweep_dir)!r}")
    plan = planned_jobs(sweep_dir)
    jobs = find_jobs(sweep_dir, plan)
    collected = [job for job in jobs if job.complete]
    missing = [MissingJob(job.number, job.overrides, job.problem) for job in jobs if not job.complete]
    if plan is not None:
        seen = {job.number for job in jobs}
        missing += [MissingJob(number, tuple(overrides), "not started") for number, overrides in enumerate(plan) if number not in seen]
    missing.sort(key=lambda job: (job.number is None, job.number or 0))
    collection = SweepCollection(sweep_dir, sweep_table(sweep_dir, collected), collected, missing, None if plan is None else len(plan))
    collection.comparison = sweep_comparison_table(sweep_dir, collected)
    if write and len(collection.table):
        collection.files = write_sweep_table(collection.table, sweep_dir)
        if len(collection.comparison):
            collection.files += write_sweep_table(collection.comparison, sweep_dir, COMPARISON_TABLE_NAME)
    if warn and collection.missing:
        warnings.warn(collection.message(), IncompleteSweepWarning, stacklevel=2)
    return collection


def find_jobs(sweep_dir: Path, plan: Sequence[Sequence[str]] | None = None) -> list[SweepJob]:
    """Every job folder under ``sweep_dir`` (one holding Hydra's record or ``run.json``), by number."""
    jobs = [_read_job(folder, plan) for folder in _job_folders(sweep_dir)]
    return sorted(jobs, key=lambda job: (job.number is None, job.number or 0, str(job.folder)))


def _job_folders(root: Path) -> Iterator[Path]:
    # Hidden folders are Hydra's, submitit's or a writer's staging area (.partial-*), never jobs.
    for child in sorted(root.iterdir()):
        if not child.is_dir() or child.name.startswith("."):
            continue
        if (child / HYDRA_RECORD).is_dir() or (child / HYDRA_PENDING).is_dir() or (child / COMPLETE_MARKER).is_file():
            yield child
        else:
            yield from _job_folders(child)


def _read_job(folder: Path, plan: Sequence[Sequence[str]] | None) -> SweepJob:
    # The record of the job whose result the folder holds; a job that never completed has
    # only the record of its attempt.
    record = folder / (HYDRA_RECORD if (folder / HYDRA_RECORD).is_dir() else HYDRA_PENDING)
    hydra_config = (_read_yaml(record / "hydra.yaml") or {}).get("hydra") or {}
    number = (hydra_config.get("job") or {}).get("num")
    if number is None and folder.name.isdigit():
        number = int(folder.name)
    planned = tuple(plan[number]) if plan is not None and number is not None and number < len(plan) else None
    recorded = _read_yaml(record / "overrides.yaml")
    overrides = tuple(recorded) if isinstance(recorded, list) else planned or ()
    problem = _result_problem(folder, _read_yaml(record / "config.yaml"))
    foreign = planned is None or (recorded is not None and _model_overrides(overrides) != _model_overrides(planned))
    # A result, or an invalid job's note, left by another sweep in the same folder is not this sweep's.
    if (not problem or problem.startswith(INVALID_PREFIX)) and plan is not None and number is not None and foreign:
        problem = "holds a job of another sweep (its overrides differ from this sweep's plan)"
    return SweepJob(number, folder, overrides, complete=not problem, problem=problem)


def _model_overrides(overrides: Sequence[str]) -> list[str]:
    """The overrides that decide a job's results, in a canonical order."""
    return sorted(o for o in overrides if not output_only(o.split("=", 1)[0]))


def _result_problem(folder: Path, job_config: Mapping[str, Any] | None) -> str:
    """Why ``folder`` holds no complete result of the job recorded in ``.hydra/`` ("" if it does)."""
    marker = folder / COMPLETE_MARKER
    if not marker.is_file():
        invalid = _invalid_config(folder)
        if invalid:
            return f"{INVALID_PREFIX}: {invalid}"
        return "no run.json (interrupted, failed or still running)"
    try:
        meta = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return f"unreadable run.json ({error})"
    if not (folder / JOB_METRICS).is_file() and not (folder / EXPERIMENT_METRICS).is_file():
        return f"complete, but without {JOB_METRICS} or {EXPERIMENT_METRICS} (not a journeysim job)"
    # .hydra/ changes only with the result it describes; a result that still disagrees with
    # it (a folder copied by hand, or written by a version that rewrote .hydra/ at job start)
    # is not this job's.
    run = (job_config or {}).get("run") or {}
    scenario = (job_config or {}).get("scenario") or {}
    recorded = {"seed": run.get("seed"), "replications": run.get("replications"), "horizon_days": _days(run.get("horizon_days")), "scenario": scenario.get("name")}
    if (job_config or {}).get("experiment") is not None:
        # An experiment's replications are its own (experiment.replications, or its precision rule).
        recorded.pop("replications")
        if not (folder / EXPERIMENT_METRICS).is_file():
            return f"complete, but without {EXPERIMENT_METRICS} (not an experiment job's result)"
    for key, value in recorded.items():
        if value is not None and key in meta and not same_value(value, meta[key]):
            return f"run.json holds {key}={meta[key]!r} but the job asks for {value!r} (an older result)"
    return ""


def _days(value: Any) -> Any:
    """A job's horizon in days, as run.json records it (``2w`` -> 14.0); one that is no
    duration stays as it is (the job was invalid and wrote no run.json)."""
    try:
        return None if value is None else duration_days(value)
    except ValueError:
        return value


def _invalid_config(folder: Path) -> str:
    """The problems an invalid job recorded, on one line ("" if it recorded none)."""
    try:
        lines = (folder / INVALID_CONFIG_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    return "; ".join(line.strip() for line in lines if line.strip())


def planned_jobs(sweep_dir: Path) -> list[list[str]] | None:
    """The overrides of every job the sweep asked for, by job number, from ``multirun.yaml``.

    Known for Hydra's basic sweeper and journeysim's design sweeper; ``None`` otherwise.
    """
    config = _read_yaml(sweep_dir / "multirun.yaml")
    if not config:
        return None
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    hydra_config = config.get("hydra") or {}
    sweeper = hydra_config.get("sweeper") or {}
    target = str(sweeper.get("_target_", ""))
    arguments = [f"{key}={value}" for key, value in (sweeper.get("params") or {}).items()]
    arguments += list((hydra_config.get("overrides") or {}).get("task") or [])
    try:
        grid = BasicSweeper.split_arguments(OverridesParser.create().parse_overrides(arguments), None)[0]
        if target.endswith(".BasicSweeper"):
            return grid
        if target.endswith(".DesignSweeper"):
            from hydra_plugins.journeysim_design_sweeper.design_sweeper import (
                DESIGN_COPY,
                design_job_overrides,
                read_design,
            )

            return design_job_overrides(read_design(sweep_dir / DESIGN_COPY), grid)
    except (HydraException, ValueError, TypeError, AttributeError, OSError):
        # e.g. glob(), which needs the config loader, or a design file removed since: the
        # plan is a check, and the table is built from the job folders without it.
        return None
    return None


def sweep_table(sweep_dir: Path, jobs: Sequence[SweepJob]) -> pd.DataFrame:
    """One row per job, replication and persona: job, job_dir, parameters, seed, then the KPIs.

    An experiment job contributes both states' rows, told apart by a ``state`` column
    (``current``/``future``) after the seed.
    """
    if not jobs:
        return pd.DataFrame(columns=["job", "job_dir", "seed", "replication", "persona"])
    head, keys, numbers = _job_heads(sweep_dir, jobs)
    frames = []
    for job, number in zip(jobs, numbers):
        main = job.folder / JOB_METRICS
        frames.append(pd.read_csv(main if main.is_file() else job.folder / EXPERIMENT_METRICS).assign(job=number))
    metrics = pd.concat(frames, ignore_index=True)
    table = head.merge(metrics, on="job", how="inner", validate="one_to_many", sort=False)
    front = ["job", "job_dir", *keys, "seed", *(["state"] if "state" in table else []), "replication", "persona"]
    table["persona"] = table["persona"].astype(str)
    return table[front + [c for c in table.columns if c not in front]]


def sweep_comparison_table(sweep_dir: Path, jobs: Sequence[SweepJob]) -> pd.DataFrame:
    """Experiment jobs' paired comparisons, one row per job, KPI and persona: job, job_dir,
    parameters, seed, then the columns of ``comparison.csv`` (current, future, difference and
    its interval...). Empty when no job is an experiment."""
    experiments = [job for job in jobs if (job.folder / EXPERIMENT_COMPARISON).is_file() and not (job.folder / JOB_METRICS).is_file()]
    if not experiments:
        return pd.DataFrame()
    head, keys, numbers = _job_heads(sweep_dir, experiments)
    rows = pd.concat([pd.read_csv(job.folder / EXPERIMENT_COMPARISON).assign(job=number) for job, number in zip(experiments, numbers)], ignore_index=True)
    table = head.merge(rows, on="job", how="inner", validate="one_to_many", sort=False)
    front = ["job", "job_dir", *keys, "seed", "kpi", "persona"]
    table["persona"] = table["persona"].astype(str)
    return table[front + [c for c in table.columns if c not in front]]


def _job_heads(sweep_dir: Path, jobs: Sequence[SweepJob]) -> tuple[pd.DataFrame, list[str], list[int]]:
    """Per job: number, folder, one typed column per swept parameter, and the seed."""
    parsed = [parameters_of(job.overrides) for job in jobs]
    keys = list(dict.fromkeys(key for values in parsed for key in values))
    numbers = [job.number if job.number is not None else index for index, job in enumerate(jobs)]
    head = pd.DataFrame({"job": pd.Series(numbers, dtype="int64"), "job_dir": [job.folder.relative_to(sweep_dir).as_posix() for job in jobs]})
    for key in keys:
        head[key] = typed_column([values.get(key) for values in parsed])
    head["seed"] = pd.Series([json.loads((job.folder / COMPLETE_MARKER).read_text(encoding="utf-8")).get("seed") for job in jobs], dtype="int64")
    return head, keys, numbers


@dataclass(frozen=True)
class _Value:
    value: Any  # typed as Hydra parses it: int, float, bool, str, None, list, dict
    text: str  # as written in the override


def parameters_of(overrides: Sequence[str]) -> dict[str, _Value]:
    """The model parameters a job's overrides set (key -> value), as Hydra types them."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    values: dict[str, _Value] = {}
    for override in OverridesParser.create().parse_overrides(list(overrides)):
        key = override.key_or_group + (f"@{override.package}" if override.package else "")
        if override.is_delete() or output_only(key) or key == "run.seed":  # the seed has its own column
            continue
        values[key] = _Value(override.value(), override.get_value_element_as_str())
    return values


def typed_column(values: Sequence[_Value | None]) -> pd.Series:
    """Numbers as int64/float64, booleans as boolean, anything else as text; missing as NA."""
    present = [v.value for v in values if v is not None and v.value is not None]
    plain = [None if v is None else v.value for v in values]
    if present and all(isinstance(v, bool) for v in present):
        return pd.Series(plain, dtype="boolean")
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        if len(present) == len(values) and all(isinstance(v, int) for v in present):
            return pd.Series(plain, dtype="int64")
        return pd.Series([np.nan if v is None else float(v) for v in plain], dtype="float64")
    return pd.Series([None if v is None or v.value is None else v.text for v in values], dtype="str")


def write_sweep_table(table: pd.DataFrame, sweep_dir: Path, name: str = TABLE_NAME) -> list[Path]:
    """Write ``NAME.parquet`` and ``NAME.csv``; each appears complete or not at all."""
    written = []
    for suffix in ("parquet", "csv"):
        target = sweep_dir / f"{name}.{suffix}"
        with replacing(target) as staged:
            if suffix == "parquet":
                table.to_parquet(staged, index=False)
            else:
                spreadsheet_safe(table).to_csv(staged, index=False)
        written.append(target)
    return written


class CollectSweep(Callback):
    """Hydra callback: at the end of a multirun, write the sweep table into the sweep folder."""

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:  # the composed config (a DictConfig)
        sweep_dir = Path(str(config.hydra.sweep.dir))
        if not sweep_dir.is_dir():
            return
        try:
            collection = collect_sweep(sweep_dir, warn=False)
        except Exception as error:  # Hydra would turn it into a warning and exit 0 without the table
            print(f"journeysim: the sweep ran, but its table could not be written ({type(error).__name__}: {error}); "
                  f"the job folders are intact: fix the cause and run journeysim-collect {sweep_dir}", file=sys.stderr)
            sys.exit(EXIT_COLLECT_FAILED)
        report(collection)
        if collection.invalid:
            # The other jobs ran and the table is written; the command still fails, as a
            # single run with an invalid configuration does.
            print(f"journeysim: {len(collection.invalid)} jobs of the sweep have an invalid configuration (listed above); fix them and re-run with output.resume=true", file=sys.stderr)
            sys.exit(EXIT_INVALID_JOBS)


def report(collection: SweepCollection) -> None:
    if collection.files:
        names = " and ".join(str(path) for path in collection.files if path.stem == TABLE_NAME)
        print(f"Sweep table: {len(collection.table):,} rows from {len(collection.collected)} jobs written to {names}")
        paired = " and ".join(str(path) for path in collection.files if path.stem == COMPARISON_TABLE_NAME)
        if paired:
            print(f"Comparison table (paired differences per job, KPI and persona): {len(collection.comparison):,} rows written to {paired}")
    else:
        print(f"Sweep table: no complete job in {collection.folder}; nothing written", file=sys.stderr)
    if collection.missing:
        print(f"warning: {collection.message()}", file=sys.stderr)


def collect_main(argv: Sequence[str] | None = None) -> int:
    """``journeysim-collect PATH``: rebuild the sweep table of a multirun folder."""
    parser = argparse.ArgumentParser(prog="journeysim-collect", description="Collect a journeysim multirun folder into sweep.parquet and sweep.csv.")
    parser.add_argument("path", type=Path, help="the sweep folder (hydra.sweep.dir)")
    args = parser.parse_args(argv)
    if not args.path.is_dir():
        print(f"journeysim-collect: no sweep folder {str(args.path)!r}", file=sys.stderr)
        return 2
    if not (args.path / "multirun.yaml").is_file():
        print(f"journeysim-collect: {str(args.path)!r} is not a sweep folder (no multirun.yaml): collect the folder "
              "a `journeysim -m ...` run named (hydra.sweep.dir), not single runs", file=sys.stderr)
        return 2
    try:
        collection = collect_sweep(args.path, warn=False)
    except Exception as error:
        print(f"journeysim-collect: cannot build the table of {str(args.path)!r} ({type(error).__name__}: {error})", file=sys.stderr)
        return EXIT_COLLECT_FAILED
    report(collection)
    return 0 if collection.files else 1


def _read_yaml(path: Path) -> Any:
    """A job file's data, or None when it is missing or unreadable (the job is then incomplete)."""
    try:
        return read_yaml(path)
    except ConfigError:
        return None


if __name__ == "__main__":
    sys.exit(collect_main())
