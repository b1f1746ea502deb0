"""Benchmark: what ``report.html`` costs the default run, in size and time.

``python -m benchmarks.report`` runs the main job on the default scenario with the command
line's default settings (``journeysim``: seed 42, 180 days, one replication) and times, in
the same run, the whole job and the part that writes the report (its tables, the pain
points' exact screen and paired confirmation, the page). It prints the report's size and
the time it adds, as seconds and as a ratio of the job's time without it, against the
targets (under 3 MB, under 3 s). ``--horizon-days`` and ``--seed`` change the run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from journeysim.cli import job, report
from journeysim.config import load_scenario
from journeysim.model.settings import RunSettings

SIZE_TARGET_MB, TIME_TARGET_S = 3.0, 3.0


def _timed(function: Callable[..., Any], spent: dict[str, float], name: str) -> Callable[..., Any]:
    """``function``, adding its wall time to ``spent[name]`` and its CPU time to ``spent[name + " cpu"]``."""

    def timed(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - wall
            spent[f"{name} cpu"] = spent.get(f"{name} cpu", 0.0) + time.process_time() - cpu

    return timed


def measure(settings: RunSettings, folder: Path) -> dict[str, float]:
    """Run the job into ``folder``, timing it and, inside it, the report's parts."""
    spent: dict[str, float] = {}
    originals = (job.write_run_report, report.pain_point_table, report.render_run_report)
    job.write_run_report = _timed(report.write_run_report, spent, "report")
    report.pain_point_table = _timed(report.pain_point_table, spent, "pain_points")
    report.render_run_report = _timed(report.render_run_report, spent, "page")
    try:
        _timed(job.run_job, spent, "job")(load_scenario(), settings, folder)
    finally:
        job.write_run_report, report.pain_point_table, report.render_run_report = originals
    spent["size_mb"] = (folder / "report.html").stat().st_size / 1e6
    return spent


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon-days", type=float, default=180.0)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    settings = RunSettings(seed=args.seed, horizon_days=args.horizon_days, progress=False)
    with tempfile.TemporaryDirectory() as tmp:
        spent = measure(settings, Path(tmp) / "run")
    print(f"default scenario, seed {args.seed}, {args.horizon_days:g} days, 1 replication; seconds of wall time (of CPU time)")
    for clock in ("", " cpu"):
        spent[f"without{clock}"] = spent[f"job{clock}"] - spent[f"report{clock}"]
        spent[f"tables{clock}"] = spent[f"report{clock}"] - spent[f"pain_points{clock}"] - spent[f"page{clock}"]
    rows = [("job without the report", "without", ""),
            ("report", "report", f"{spent['report'] / spent['without']:.2f}x the job without it (CPU {spent['report cpu'] / spent['without cpu']:.2f}x); target < {TIME_TARGET_S:g} s"),
            ("  pain points", "pain_points", "exact screen and paired confirmation"), ("  page", "page", "figures and HTML"),
            ("  other tables", "tables", "journey map, blueprint, a day in the life")]
    for label, key, note in rows:
        print(f"{label:24s} {spent[key]:6.2f} s ({spent[key + ' cpu']:5.2f} s)  {note}")
    print(f"{'report.html':24s} {spent['size_mb']:6.2f} MB  target < {SIZE_TARGET_MB:g} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
