"""What an HTML report is made of: a folder's tables, read back as they were written.

A run folder and an experiment folder hold every table their report draws (the job writes
them before the report). :func:`run_report_data` and :func:`experiment_report_data` read
them, so the report a job writes and the one ``journeysim-report FOLDER`` rebuilds later are
drawn from the same tables. ``scenario.json`` (the scenario's validated plain data) gives
the names, labels, descriptions and order of stages, channels and personas.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from journeysim.errors import DataError
from journeysim.outputs import COMPLETE_MARKER, safe_cell

SCENARIO_FILE = "scenario.json"
REPORT_FILE = "report.html"
# Tables a run's report needs (the job writes them with the report), and those it draws when present.
RUN_TABLES = {"metrics": "metrics.csv", "funnel": "funnel.csv", "journey_map": "journey_map.csv",
              "pain_points": "pain_points.csv", "day_in_the_life": "day_in_the_life.csv"}
RUN_OPTIONAL_TABLES = {"intervals": "metrics_intervals.csv", "queues": "queues.csv", "blueprint": "blueprint.csv"}
EXPERIMENT_TABLES = {"table": "comparison.csv", "dropoff": "dropoff_difference.csv", "channel_mix": "channel_mix.csv",
                     "funnels": "funnels.csv", "emotion": "emotion_lane.csv"}
NAME_COLUMNS = ("persona", "stage", "channel")
COMPARISON_FIGURES = ("forest.png", "funnels.png", "dropoff_difference.png", "emotion_lane.png")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MISSING = "missing: the folder was written without its report (output.report=false, or by an older journeysim); run it again with output.report=true"


@dataclass(frozen=True)
class Outline:
    """The names a report shows, in scenario order: stages, channels (with their labels and
    capacity), personas (with their descriptions)."""

    name: str
    description: str
    stages: tuple[str, ...]
    journey_stages: tuple[str, ...]
    channels: Mapping[str, str]  # name -> label shown
    capacity_channels: tuple[str, ...]
    personas: Mapping[str, str]  # name -> description

    @classmethod
    def from_source(cls, data: Mapping[str, Any]) -> Outline:
        """From a scenario's validated plain data (``Scenario.source``, ``scenario.json``)."""
        stages = tuple(str(s) for s in data["stages"])
        purchase = str(data.get("purchase_stage") or stages[-1])
        channels = dict(data.get("channels") or {})
        return cls(
            name=str(data.get("name", "")),
            description=str(data.get("description") or ""),
            stages=stages,
            journey_stages=stages[: stages.index(purchase) + 1] if purchase in stages else stages,
            channels={str(name): str((spec or {}).get("label") or str(name).replace("_", " ")) for name, spec in channels.items()},
            capacity_channels=tuple(str(name) for name, spec in channels.items() if (spec or {}).get("capacity") is not None),
            personas={str(name): str((spec or {}).get("description") or "") for name, spec in (data.get("personas") or {}).items()},
        )

    def label(self, channel: str) -> str:
        return self.channels.get(channel, channel.replace("_", " "))


@dataclass(frozen=True)
class RunReportData:
    """A run folder's facts (``run.json``), outline and tables (None: not written)."""

    facts: Mapping[str, Any]
    outline: Outline
    metrics: pd.DataFrame
    funnel: pd.DataFrame
    journey_map: pd.DataFrame
    pain_points: pd.DataFrame
    day_in_the_life: pd.DataFrame
    intervals: pd.DataFrame | None = None
    queues: pd.DataFrame | None = None
    blueprint: pd.DataFrame | None = None


@dataclass(frozen=True)
class OptionData:
    """One future state of a study against the current one: its title, changes and the
    comparison's tables (``comparison.csv``, drop-off, channel mix, funnels, emotion)."""

    title: str
    changes: Mapping[str, Any]
    table: pd.DataFrame
    dropoff: pd.DataFrame
    channel_mix: pd.DataFrame
    funnels: pd.DataFrame
    emotion: pd.DataFrame
    figures: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class ExperimentReportData:
    """An experiment folder's facts (``run.json``), the current state's outline, and one
    :class:`OptionData` per future state: one for a current-vs-future study, several for a
    study of several options against one current state; each is drawn in turn."""

    facts: Mapping[str, Any]
    outline: Outline
    options: Sequence[OptionData] = field(default_factory=tuple)


def folder_kind(folder: str | Path) -> str:
    """``run`` or ``experiment``: what the folder holds, judged by its ``run.json``. A folder
    that is missing, or holds no journeysim result, is a :class:`DataError` naming it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(str(folder), "no such folder")
    facts = _facts(folder)
    if "experiment" in facts and (folder / EXPERIMENT_TABLES["table"]).is_file():
        return "experiment"
    if "scenario" in facts and (folder / RUN_TABLES["metrics"]).is_file():
        return "run"
    raise DataError(str(folder), f"is not a journeysim run or experiment folder ({COMPLETE_MARKER} names neither)")


def run_report_data(folder: str | Path, facts: Mapping[str, Any] | None = None) -> RunReportData:
    """A run folder's report data. ``facts`` replaces ``run.json`` (a job writing its folder
    has not written it yet). A missing table is a :class:`DataError` naming it."""
    folder = Path(folder)
    facts = dict(facts) if facts is not None else _facts(folder)
    outline = _outline(folder)
    names = _names(outline)
    tables = {key: _read(folder / name, names) for key, name in RUN_TABLES.items()}
    optional = {key: _read(folder / name, names) if (folder / name).is_file() else None for key, name in RUN_OPTIONAL_TABLES.items()}
    return RunReportData(facts=facts, outline=outline, **tables, **optional)


def experiment_report_data(folder: str | Path, facts: Mapping[str, Any] | None = None) -> ExperimentReportData:
    """A study folder's report data: its future state as one option, or, for a study of
    several options (tables with an ``option`` column, ``run.json`` listing ``options``), one
    per option in the order the study lists them."""
    folder = Path(folder)
    facts = dict(facts) if facts is not None else _facts(folder)
    outline = _outline(folder)
    names = _names(outline)
    tables = {key: _read(folder / name, names) for key, name in EXPERIMENT_TABLES.items()}
    if "option" not in tables["table"]:
        title = str(facts.get("title") or facts.get("experiment") or "future state")
        option = OptionData(title=title, changes=dict(facts.get("changes") or {}), figures=folder_figures(folder), **tables)
        return ExperimentReportData(facts=facts, outline=outline, options=(option,))
    listed = dict(facts.get("options") or {})
    order = [*listed, *[o for o in dict.fromkeys(tables["table"]["option"].astype(str)) if o not in listed]]
    options = []
    for option in order:
        parts = {key: table.loc[table["option"].astype(str) == option].drop(columns="option").reset_index(drop=True) for key, table in tables.items()}
        for column in ("current_sd", "future_sd"):  # the options' tidy table keeps intervals and tests, not the spreads
            parts["table"][column] = parts["table"].get(column, float("nan"))
        options.append(OptionData(title=option.replace("_", " "), changes=dict(listed.get(option) or {}), **parts))
    return ExperimentReportData(facts=facts, outline=outline, options=tuple(options))


def folder_figures(folder: Path) -> dict[str, bytes]:
    """The comparison figures a one-option study folder holds (``funnels.png``, ``forest.png``,
    ``dropoff_difference.png``, ``emotion_lane.png``), as PNG bytes: the page shows the same
    pictures as the files, drawn once. A file that is missing or not a PNG is left out (the
    page draws that figure from the tables)."""
    figures = {}
    for name in COMPARISON_FIGURES:
        path = folder / name
        if path.is_file():
            with path.open("rb") as file:
                head = file.read(len(PNG_SIGNATURE))
                if head == PNG_SIGNATURE:
                    figures[name] = head + file.read()
    return figures


def _facts(folder: Path) -> dict[str, Any]:
    path = folder / COMPLETE_MARKER
    if not path.is_file():
        raise DataError(str(folder), f"is not a journeysim run or experiment folder (no {COMPLETE_MARKER})")
    try:
        facts = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise DataError(str(path), f"cannot be read as JSON: {error}") from None
    if not isinstance(facts, dict):
        raise DataError(str(path), "must hold a JSON object")
    return facts


def _outline(folder: Path) -> Outline:
    path = folder / SCENARIO_FILE
    if not path.is_file():
        raise DataError(str(path), MISSING)
    try:
        return Outline.from_source(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DataError(str(path), f"is not a scenario's plain data: {error}") from None


def _names(outline: Outline) -> dict[str, str]:
    """How each stage, channel and persona name reads in a CSV file (a name a spreadsheet
    would take for a formula is written with a leading apostrophe) -> the name."""
    names = [*outline.stages, *outline.channels, *outline.personas, "all", "converted"]
    return {safe_cell(name): name for name in names}


def _read(path: Path, names: Mapping[str, str]) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(str(path), MISSING)
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    for column in NAME_COLUMNS:
        if column in frame:
            frame[column] = frame[column].fillna("").astype(str).map(lambda v: names.get(v, v))
    return frame
