"""A Hydra sweeper that runs a list of design points instead of a grid: ``hydra/sweeper=design``.

Hydra's basic sweeper runs every combination of comma-separated values. Space-filling
designs (random, Latin hypercube, Sobol; see ``journeysim-design``) and joint changes (two
persona shares that must still sum to 1) need a list of points instead. The design is a CSV
file: a header of override keys and one row of override values per point::

    scenario.personas.digital_native.share,scenario.personas.store_loyal.share
    0.45,0.30
    0.60,0.15

    journeysim -m hydra/sweeper=design hydra.sweeper.design=shares.csv run.seed=1,2,3

runs every design row crossed with the grid given on the command line (here 2 x 3 jobs; the
row changes slowest), through whichever launcher is configured. The design is copied into
the sweep folder as ``design.csv`` so the sweep folder describes itself.

Hydra imports this module when it scans for plugins, in every Hydra application of the
environment, so it imports nothing beyond Hydra and the standard library.
"""

import csv
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.types import Override
from hydra.errors import HydraException
from omegaconf import MISSING

DESIGN_COPY = "design.csv"


@dataclass
class DesignSweeperConf:
    _target_: str = "hydra_plugins.journeysim_design_sweeper.design_sweeper.DesignSweeper"
    design: str = MISSING  # CSV file: override keys in the header, one design point per row
    max_batch_size: int | None = None
    params: dict[str, str] | None = None


ConfigStore.instance().store(group="hydra/sweeper", name="design", node=DesignSweeperConf, provider="journeysim")


def read_design(path: str | Path) -> list[list[str]]:
    """The override lists of a design file, one per row; an empty cell leaves that key unset."""
    path = Path(path)
    if not path.is_file():
        raise HydraException(f"hydra.sweeper.design: no design file {str(path)!r}")
    with path.open(newline="", encoding="utf-8") as handle:
        lines = [line for line in csv.reader(handle) if line and any(cell.strip() for cell in line)]
    if len(lines) < 2:
        raise HydraException(f"{path}: a design needs a header of override keys and at least one row")
    keys = [key.strip() for key in lines[0]]
    if any(not key or "=" in key for key in keys) or len(set(keys)) != len(keys):
        raise HydraException(f"{path}: the header must hold distinct override keys, got {lines[0]}")
    points = []
    for number, line in enumerate(lines[1:], start=2):
        if len(line) != len(keys):
            raise HydraException(f"{path}, line {number}: {len(line)} values for {len(keys)} keys")
        points.append([f"{key}={value.strip()}" for key, value in zip(keys, line) if value.strip()])
    return points


def design_job_overrides(points: Sequence[Sequence[str]], grid: Sequence[Sequence[str]]) -> list[list[str]]:
    """Every design point crossed with every grid job (points change slowest)."""
    jobs = []
    for point in points:
        point_keys = {_key(item) for item in point}
        for job in grid:
            clash = point_keys & {_key(item) for item in job}
            if clash:
                raise HydraException(f"{', '.join(sorted(clash))}: set both by the design and on the command line")
            jobs.append([*point, *job])
    return jobs


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


class DesignSweeper(BasicSweeper):
    """The basic sweeper with a design file: design rows x the command line's grid."""

    def __init__(self, design: str, max_batch_size: int | None = None, params: dict[str, str] | None = None) -> None:
        super().__init__(max_batch_size=max_batch_size, params=params)
        self.design = design
        self.points: list[list[str]] = []

    def sweep(self, arguments: list[str]) -> Any:
        assert self.config is not None
        source = Path(self.design).expanduser().resolve()
        self.points = read_design(source)
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        if source != (sweep_dir / DESIGN_COPY).resolve():
            shutil.copyfile(source, sweep_dir / DESIGN_COPY)
        return super().sweep(arguments)

    # BasicSweeper.sweep calls self.split_arguments(...): this instance method takes its place.
    def split_arguments(self, overrides: list[Override], max_batch_size: int | None) -> list[list[list[str]]]:  # type: ignore[override]
        grid = BasicSweeper.split_arguments(overrides, None)[0]
        jobs = design_job_overrides(self.points, grid)
        return list(BasicSweeper.split_overrides_to_chunks(jobs, max_batch_size))
