"""Every default docs/ quotes is the code's: the tables of docs/configuration.md against the
schemas and configs/config.yaml, and the defaults other pages mention in prose."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from journeysim.config import config_dir, read_yaml
from journeysim.config.schemas import (
    DetractionSchema,
    EmotionCarryoverSchema,
    ExperienceSchema,
    ExperimentSchema,
    ObservationSchema,
    OutputSchema,
    PrecisionSchema,
    RunSchema,
    SurveyResponseSchema,
    SurveysSchema,
)

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def documented_tables(page: str) -> dict[str, list[list[str]]]:
    """Markdown tables of a page by the heading above them: rows of cells, header included."""
    tables: dict[str, list[list[str]]] = {}
    heading = ""
    for line in (DOCS / page).read_text().splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.startswith("|") and not set(line) <= set("|-: "):
            tables.setdefault(heading, []).append([cell.strip() for cell in line.strip("|").split("|")])
        elif line.startswith("`experiment.precision`"):
            heading = "experiment.precision"
    return tables


def as_written(value: Any) -> str:
    """A default as the docs write it (YAML spelling)."""
    if value is dataclasses.MISSING or value == "???":
        return "(required)"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if value == "":
        return '""'
    if value == {}:
        return "{}"
    if isinstance(value, list):
        return f"[{', '.join(as_written(item) for item in value)}]"
    if dataclasses.is_dataclass(value):  # a nested node: its own table follows
        return "(below)"
    return str(value)


def schema_defaults(schema: type) -> dict[str, str]:
    out = {}
    for field in dataclasses.fields(schema):
        if field.default is not dataclasses.MISSING:
            out[field.name] = as_written(field.default)
        elif field.default_factory is not dataclasses.MISSING:
            out[field.name] = as_written(field.default_factory())
        else:
            out[field.name] = "(required)"
    return out


def rows(table: list[list[str]]) -> dict[str, list[str]]:
    return {row[0].strip("`"): row[1:] for row in table[1:]}


TABLES = documented_tables("configuration.md")


@pytest.mark.parametrize(
    "heading, schema",
    [
        ("Run settings (`run.*`)", RunSchema),
        ("Output switches (`output.*`)", OutputSchema),
        ("Experiments (`experiment.*`, `configs/experiment/NAME.yaml`)", ExperimentSchema),
        ("experiment.precision", PrecisionSchema),
        ("Experience (`scenario.experience`, `channels.X.experience`, personas)", ExperienceSchema),
        ("Emotion carry-over (`scenario.personas.X.emotion_carryover`)", EmotionCarryoverSchema),
        ("Detraction (`scenario.personas.X.detraction`)", DetractionSchema),
        ("Surveys (`scenario.surveys`)", SurveysSchema),
        ("Response probability (`scenario.surveys.response_probability`)", SurveyResponseSchema),
        ("Observation (`scenario.observation`)", ObservationSchema),
    ],
)
def test_configuration_tables_give_the_schema_defaults(heading, schema):
    documented = rows(TABLES[heading])
    expected = schema_defaults(schema)
    assert set(documented) == set(expected), f"{heading}: the table lists {sorted(documented)}, the schema has {sorted(expected)}"
    for name, default in expected.items():
        assert documented[name][0] == default, f"{heading} {name}: docs say {documented[name][0]!r}, the code {default!r}"


@pytest.mark.parametrize("node", ["run", "output"])
def test_command_line_defaults_are_those_of_config_yaml(node):
    config = read_yaml(config_dir() / "config.yaml")[node]
    table = rows(TABLES["Run settings (`run.*`)" if node == "run" else "Output switches (`output.*`)"])
    column = 1 if node == "run" else 0  # the run table has a Python and a `journeysim` column
    assert set(config) == set(table), f"configs/config.yaml {node}: {sorted(config)} vs docs {sorted(table)}"
    for name, value in config.items():
        assert table[name][column] == as_written(value), f"{node}.{name}: docs say {table[name][column]!r}, config.yaml {value!r}"


def test_the_checker_reads_a_wrong_default_as_wrong(tmp_path, monkeypatch):
    page = tmp_path / "configuration.md"
    page.write_text("## Output switches (`output.*`)\n\n| field | default | meaning |\n|---|---|---|\n| `events` | false | x |\n")
    monkeypatch.setattr(f"{__name__}.DOCS", tmp_path)
    assert rows(documented_tables("configuration.md")["Output switches (`output.*`)"])["events"][0] != schema_defaults(OutputSchema)["events"]


def quoted(page: str, pattern: str) -> str:
    match = re.search(pattern, (DOCS / page).read_text(), re.S)
    assert match, f"docs/{page} no longer says {pattern!r}: update this test with the page"
    return match.group(1)


def test_defaults_quoted_in_prose():
    from journeysim.analysis.paths import MAX_LINE_CHARS
    from journeysim.cli.design import parser
    from journeysim.studies.incrementality import DEFAULT_ARRIVAL_SHARE

    assert int(quoted("attribution.md", r"`max_line_chars` \(([\d ]+) by default").replace(" ", "")) == MAX_LINE_CHARS
    assert quoted("attribution.md", r"`arrival_days` \(default (two thirds) of the horizon\)") and DEFAULT_ARRIVAL_SHARE == 2 / 3
    from journeysim.studies.precision import Precision

    assert quoted("experiments.md", r"\(of `persona`, default `(\w+)`\)") == Precision().persona
    sensitivity = parser().parse_args(["sensitivity", "--param", "scenario.arrival_rate_per_day=1:2"])
    assert quoted("sweeps.md", r"`--method (\w+)` \(default\)") == sensitivity.method
