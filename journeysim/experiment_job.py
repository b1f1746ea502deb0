"""The experiment job: a named current-vs-future study, run and written as a report.

A named experiment (``configs/experiment/NAME.yaml``) sets an ``experiment`` node: ``name``,
``question`` (the business question), ``changes`` (a partial scenario deep-merged onto the
current one), optional ``assumptions`` (a partial scenario merged onto BOTH states first:
what the study takes as given but does not test, such as staff costs), ``replications`` and
optional ``adaptive`` settings. :func:`run_experiment_job`
is what ``journeysim experiment=NAME`` calls; :func:`load_experiment` reads the same file for
notebooks and scripts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from journeysim.compare import (
    CURRENT,
    FUTURE,
    Adaptive,
    Comparison,
    compare,
    future_state,
    is_constant,
    plain_data,
)
from journeysim.compare_plots import SECONDARY_KPIS
from journeysim.config import config_dir, run_settings_from_dict
from journeysim.errors import ConfigError, Problem
from journeysim.metrics import ALL
from journeysim.outputs import AtomicOutput
from journeysim.plots import save
from journeysim.scenario import Scenario
from journeysim.settings import RunSettings


@dataclass(frozen=True)
class Experiment:
    """A future state defined as changes to the current one, and how to measure it."""

    name: str
    question: str = ""
    changes: Mapping[str, Any] = field(default_factory=dict)
    assumptions: Mapping[str, Any] = field(default_factory=dict)
    replications: int = 20
    adaptive: Adaptive | None = None
    independent: bool = False
    confidence: float = 0.95


def experiment_from_dict(data: Mapping[str, Any], path: str = "experiment") -> Experiment:
    """Validate the ``experiment`` node (plain data); every problem names its path."""
    if not isinstance(data, Mapping):
        raise ConfigError(Problem(path, f"must be a mapping of experiment fields, got {data!r}"))
    known = set(Experiment.__dataclass_fields__)
    problems = [Problem(f"{path}.{key}", f"unknown field {key!r} (known fields: {', '.join(Experiment.__dataclass_fields__)})") for key in data if key not in known]
    name = data.get("name")
    if not isinstance(name, str) or not name:
        problems.append(Problem(f"{path}.name", f"is required text, got {name!r}"))
    if not isinstance(data.get("question", ""), str):
        problems.append(Problem(f"{path}.question", f"must be text, got {data.get('question')!r}"))
    changes = data.get("changes") or {}
    if not isinstance(changes, Mapping):
        problems.append(Problem(f"{path}.changes", f"must map scenario fields to new values, got {changes!r}"))
    assumptions = data.get("assumptions") or {}
    if not isinstance(assumptions, Mapping):
        problems.append(Problem(f"{path}.assumptions", f"must map scenario fields to values for both states, got {assumptions!r}"))
    replications = data.get("replications", 20)
    if not isinstance(replications, int) or isinstance(replications, bool) or replications < 2:
        problems.append(Problem(f"{path}.replications", f"must be a whole number >= 2, got {replications!r}"))
    confidence = data.get("confidence", 0.95)
    if not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        problems.append(Problem(f"{path}.confidence", f"must be a number in (0, 1), got {confidence!r}"))
    if not isinstance(data.get("independent", False), bool):
        problems.append(Problem(f"{path}.independent", f"must be true or false, got {data.get('independent')!r}"))
    adaptive = None
    if data.get("adaptive") is not None:
        if not isinstance(data["adaptive"], Mapping):
            problems.append(Problem(f"{path}.adaptive", f"must be a mapping of adaptive settings, got {data['adaptive']!r}"))
        else:
            try:
                adaptive = Adaptive.from_dict(data["adaptive"], path=f"{path}.adaptive")
                adaptive.check(f"{path}.adaptive")
            except (ConfigError, TypeError) as error:
                problems += error.problems if isinstance(error, ConfigError) else [Problem(f"{path}.adaptive", str(error))]
    if problems:
        raise ConfigError(problems)
    return Experiment(
        name=name,
        question=data.get("question", ""),
        changes=dict(changes),
        assumptions=dict(assumptions),
        replications=replications,
        adaptive=adaptive,
        independent=bool(data.get("independent", False)),
        confidence=float(confidence),
    )


def experiment_names() -> list[str]:
    """The shipped experiments (``configs/experiment/*.yaml``)."""
    return sorted(p.stem for p in (config_dir() / "experiment").glob("*.yaml"))


def load_experiment(name_or_path: str | Path, run: Mapping[str, Any] | None = None) -> tuple[Experiment, RunSettings]:
    """Read a named experiment (or a YAML path): the experiment and the run settings the CLI
    would use (``configs/config.yaml``'s ``run`` node, the experiment's ``run`` overrides,
    then ``run``).

    The files are plain YAML (Hydra's ``# @package _global_`` header is a comment), read
    without composing so that scripts and notebooks run the same study as the CLI.
    """
    candidate = Path(name_or_path)
    if candidate.suffix not in (".yaml", ".yml"):
        candidate = config_dir() / "experiment" / f"{name_or_path}.yaml"
    if not candidate.is_file():
        raise ConfigError(Problem("experiment", f"no experiment file {str(candidate)!r}; named experiments: {', '.join(experiment_names())}"))
    data = _read_yaml(candidate)
    unknown = sorted(set(data) - {"experiment", "run"})
    if unknown:
        raise ConfigError(Problem(str(candidate), f"an experiment file sets only 'experiment' and 'run', got {', '.join(unknown)}"))
    defaults = _read_yaml(config_dir() / "config.yaml").get("run") or {}
    settings = run_settings_from_dict({**defaults, **(data.get("run") or {}), **dict(run or {})})
    return experiment_from_dict(data.get("experiment") or {}), settings


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ConfigError(Problem(str(path), f"cannot read: {error}")) from None
    if not isinstance(data, dict):
        raise ConfigError(Problem(str(path), f"must hold a mapping, got {type(data).__name__}"))
    return data


def run_experiment(current: Scenario, settings: RunSettings, experiment: Experiment, *, progress: bool | None = None) -> Comparison:
    """Apply the assumptions to ``current``, validate the future state (problems named
    ``experiment.assumptions.*`` or ``experiment.changes.*``) and compare."""
    current, future = prepare_states(current, experiment)
    if experiment.adaptive is not None:
        experiment.adaptive.check("experiment.adaptive", scenario=current)
    comparison = compare(
        current,
        future,
        replications=experiment.replications,
        settings=settings,
        independent=experiment.independent,
        adaptive=experiment.adaptive,
        confidence=experiment.confidence,
        name=experiment.name,
        question=experiment.question,
        progress=settings.progress if progress is None else progress,
    )
    comparison.changes = plain_data(experiment.changes)
    comparison.assumptions = plain_data(experiment.assumptions)
    comparison.request = experiment_request(experiment)
    return comparison


def experiment_request(experiment: Experiment) -> dict[str, Any]:
    """What an experiment asks for besides its scenarios (recorded in ``run.json``)."""
    return plain_data(
        {
            "name": experiment.name,
            "replications": experiment.replications,
            "adaptive": None if experiment.adaptive is None else asdict(experiment.adaptive),
            "independent": experiment.independent,
            "confidence": experiment.confidence,
        }
    )


def prepare_states(current: Scenario, experiment: Experiment) -> tuple[Scenario, Scenario]:
    """Both validated states of an experiment: ``current`` with the assumptions, and the future
    state (problems named ``experiment.assumptions.*`` or ``experiment.changes.*``)."""
    if experiment.assumptions:
        current = future_state(current, experiment.assumptions, path="experiment.assumptions")
    return current, future_state(current, experiment.changes, path="experiment.changes")


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
    with AtomicOutput(folder) as out:
        out.write_csv(comparison.table, "comparison.csv")
        out.write_csv(comparison.per_replication, "comparison_by_replication.csv")
        out.write_csv(comparison.dropoff, "dropoff_difference.csv")
        out.write_csv(comparison.channel_mix, "channel_mix.csv")
        out.write_csv(comparison.funnels, "funnels.csv")
        out.write_csv(comparison.emotion, "emotion_lane.csv")
        if comparison.current.budget or comparison.future.budget:
            # Per paid channel: prospects, customers, revenue, CPA and return on spend, paired.
            from journeysim.budget import channel_comparison

            out.write_csv(channel_comparison(comparison), "budget_by_channel.csv")
        if figures:
            for name, figure in comparison.figures().items():
                save(figure, out.path(name))
        out.write_text(summary if summary is not None else comparison_text(comparison), "summary.txt")
        out.finish(comparison.metadata())


# -- the terminal report ------------------------------------------------------------------

MARKER = "*"


def _is_share(kpi: str) -> bool:
    return kpi.endswith(("_rate", "_share", "_probability"))


def format_value(kpi: str, value: float) -> str:
    if pd.isna(value):
        return "-"
    if _is_share(kpi):
        return f"{value:.2%}"
    if kpi == "satisfaction":
        return f"{value:+.3f}"
    if kpi == "return_on_spend":
        return f"{value:.3f}x"
    return f"{value:,.2f}" if abs(value) < 1e5 else f"{value:,.0f}"


def format_difference(kpi: str, value: float) -> str:
    if pd.isna(value):
        return "-"
    if _is_share(kpi):
        return f"{100 * value:+.2f} pp"
    if kpi == "satisfaction":
        return f"{value:+.3f}"
    return f"{value:+,.3f}" if abs(value) < 10 else f"{value:+,.1f}"


def _table_text(table: pd.DataFrame, label: str, key: str) -> str:
    lines = []
    for row in table.itertuples():
        kpi = row.kpi
        name = getattr(row, key).replace("_", " ")
        interval = f"[{format_difference(kpi, row.ci_low)}, {format_difference(kpi, row.ci_high)}]"
        change = "-" if pd.isna(row.relative_change) else f"{row.relative_change:+.1%}"
        lines.append((name, format_value(kpi, row.current), format_value(kpi, row.future), format_difference(kpi, row.difference),
                      interval, MARKER if row.excludes_zero else "", change))
    header = (label, CURRENT, FUTURE, "difference", "95% interval", "", "change")
    widths = [max(len(str(line[i])) for line in lines + [header]) for i in range(len(header))]
    render = lambda line: "  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(line, widths)))
    return "\n".join([render(header)] + [render(line) for line in lines])


def comparison_text(comparison: Comparison) -> str:
    """The report printed in the terminal and written to ``summary.txt``."""
    table = comparison.table
    title = f"journeysim experiment - {comparison.title}"
    settings = comparison.settings
    parts = [title, "=" * max(40, len(title))]
    if comparison.question:
        parts.append(f"Question: {comparison.question}")
    parts.append("Changes (current -> future):")
    parts += [f"  {line}" for line in change_lines(comparison.current, comparison.changes)] or ["  (none)"]
    if comparison.assumptions:
        parts.append("Assumed in both states:")
        parts += [f"  {path}: {value}" for path, value in _leaves(comparison.assumptions)]
    pairing = "independent streams (offset seed)" if comparison.independent else "common random numbers"
    parts.append(
        f"{comparison.replications} paired replications ({pairing}), seed {settings.seed}, horizon {settings.horizon_days:g} days"
        + (f", arrivals over the first {settings.arrival_days:g} days" if settings.arrival_days is not None else "")
        + f"; scenario {comparison.current.name!r}."
    )
    if comparison.stopping.get("mode") == "adaptive":
        s = comparison.stopping
        parts.append(
            f"Adaptive: {s['stopped_because']} after {s['replications']} replications "
            f"(half-width of {s['kpi']} [{s['persona']}] = {format_difference(s['kpi'], s['half_width']).lstrip('+')}, "
            f"target {format_difference(s['kpi'], s['target_half_width']).lstrip('+')})."
        )
    pooled = table.loc[table["persona"] == ALL]
    constant = pooled.loc[is_constant(pooled), "kpi"].tolist()
    shown = [k for k in comparison.kpis if k not in SECONDARY_KPIS and k not in constant]
    main = pooled.loc[pooled["kpi"].isin(shown)].copy()
    main["label"] = main["kpi"].str.replace("_days", " (days)")
    parts += ["", f"KPIs, all personas (means over replications; {MARKER} = the {comparison.confidence:.0%} interval of the paired difference excludes zero)",
              _table_text(main, "KPI", "label")]
    if constant:
        parts.append(f"(the same in every replication of both states, not shown: {', '.join(constant)})")
    conversion = table.loc[(table["kpi"] == "conversion_rate")]
    if not conversion.empty:
        parts += ["", _table_text(conversion, "conversion by persona", "persona")]
    if not comparison.dropoff.empty:
        drop = comparison.dropoff.loc[comparison.dropoff["persona"] == ALL].copy()
        drop = drop.reindex(drop["lost_per_arrival_difference"].abs().sort_values(ascending=False).index).head(5)
        drop = drop.loc[drop["lost_per_arrival_difference"].abs() > 0]
        if not drop.empty:
            parts += ["", "Largest changes in drop-off (lost customers per 100 arrivals, all personas):"]
            stage_width, channel_width = drop["stage"].str.len().max(), drop["channel"].str.len().max()
            parts += [f"  {r.stage:<{stage_width}}  {r.channel:<{channel_width}}  {100 * r.current_lost_per_arrival:6.2f} -> {100 * r.future_lost_per_arrival:6.2f}  ({100 * r.lost_per_arrival_difference:+.2f})"
                      for r in drop.itertuples()]
        mix = comparison.channel_mix
        mix = mix.loc[(mix["persona"] == ALL) & (mix["share_difference"].abs() >= 0.005)]
        if not mix.empty:
            parts += ["", "Channel mix shifts of at least 0.5 pp (all personas):"]
            channel_width = mix["channel"].str.len().max()
            parts += [f"  {r.measure:<9}  {r.channel:<{channel_width}}  {r.current_share:6.1%} -> {r.future_share:6.1%}  ({100 * r.share_difference:+.1f} pp)"
                      for r in mix.sort_values(["measure", "share_difference"], ascending=[False, False]).itertuples()]
    return "\n".join(parts) + "\n"


def change_lines(current: Scenario, changes: Mapping[str, Any]) -> list[str]:
    """``path: old -> new`` for each changed value."""
    lines = []
    for path, value in _leaves(changes):
        node: Any = current.source
        for key in path.split("."):
            node = node.get(key) if isinstance(node, Mapping) else None
        old = "(none)" if node is None else node
        lines.append(f"{path}: {old} -> {value}")
    return lines


def _leaves(changes: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for key, value in changes.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and "dist" not in value:
            out += _leaves(value, path + ".")
        else:
            out.append((path, value))
    return out
