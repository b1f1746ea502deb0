"""How many paired replications a study runs: as many as its headline interval needs.

A study (an experiment, the budget optimiser's re-check) runs ``min_replications`` paired
replications, then ``batch`` more at a time, and stops as soon as the confidence interval of
its headline KPI's paired difference (future - current; for several options, every option's,
at the confidence adjusted for their number) has a half-width of at most ``half_width``, or at
``max_replications``. This is sequential fixed-width stopping in the manner of Chow & Robbins
(1965): the t quantile of the replications so far, a minimum first stage so that the first
estimate of the spread is not a guess, and looks only after whole batches. The rule looks at
nothing but the tables of the replications already run, in replication order, so the same
seed gives the same number of replications and the same tables, with any number of workers.

Stopping when the interval happens to be narrow selects replications whose spread looks
small, so the 95 % interval reported at the stop covers the true difference somewhat less
often than 95 %: about 92-95 % for normally distributed differences with the defaults (95 %
when the minimum already suffices or the target needs many batches, least in between), as
:func:`coverage_of_the_rule` measures and ``tests/studies/test_precision.py`` checks against
known answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from journeysim.analysis import metrics as m
from journeysim.analysis.intervals import t_half_width
from journeysim.analysis.metrics import ALL
from journeysim.config.schemas import PrecisionSchema
from journeysim.errors import ConfigError, Problem
from journeysim.model.scenario import Scenario


@dataclass(frozen=True)
class Precision:
    """Run paired replications until the interval of ``kpi``'s difference (of ``persona``) has
    a half-width of at most ``half_width`` (a share of the current state's mean ``|kpi|``
    when ``relative``): first ``min_replications``, then ``batch`` more at a time, at most
    ``max_replications``. See the module's docstring for the rule and its coverage."""

    kpi: str = PrecisionSchema.kpi
    persona: str = PrecisionSchema.persona
    half_width: float = PrecisionSchema.half_width
    relative: bool = PrecisionSchema.relative
    min_replications: int = PrecisionSchema.min_replications
    batch: int = PrecisionSchema.batch
    max_replications: int = PrecisionSchema.max_replications

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str = "precision", kpis: Sequence[str] | None = None) -> Precision:
        """The rule from plain data (missing fields take their defaults); unknown fields and
        bad values (``kpis`` as in :meth:`check`) are one :class:`ConfigError`, every problem
        naming ``path``."""
        if not isinstance(data, Mapping):
            raise ConfigError(Problem(path, f"must be a mapping of precision settings, got {data!r}"))
        known = list(cls.__dataclass_fields__)
        problems = [Problem(f"{path}.{key}", f"unknown field {key!r} (known fields: {', '.join(known)})") for key in data if key not in known]
        if problems:
            raise ConfigError(problems)
        precision = cls(**dict(data))
        precision.check(path, kpis=kpis)
        return precision

    def check(self, path: str = "precision", scenario: Scenario | None = None, kpis: Sequence[str] | None = None) -> None:
        """Raise a :class:`ConfigError` naming ``path`` for each bad setting; ``kpis`` are the
        names ``kpi`` may take (default: every KPI of :mod:`journeysim.analysis.metrics`)."""
        problems = []
        known = list(m.KPI_DESCRIPTIONS) if kpis is None else list(kpis)
        if self.kpi not in known:
            problems.append(Problem(f"{path}.kpi", f"unknown KPI {self.kpi!r}; KPIs are {', '.join(known)}"))
        if scenario is not None and self.persona != ALL and self.persona not in scenario.personas:
            problems.append(Problem(f"{path}.persona", f"unknown persona {self.persona!r}; personas are {', '.join(scenario.persona_names)}, {ALL}"))
        if isinstance(self.half_width, bool) or not isinstance(self.half_width, (int, float)) or not self.half_width > 0 or not np.isfinite(self.half_width):
            problems.append(Problem(f"{path}.half_width", f"must be a number > 0, got {self.half_width!r}"))
        if not isinstance(self.relative, bool):
            problems.append(Problem(f"{path}.relative", f"must be true or false, got {self.relative!r}"))
        for name, low in (("min_replications", 2), ("batch", 1), ("max_replications", 2)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                problems.append(Problem(f"{path}.{name}", f"must be a whole number >= {low}, got {value!r}"))
        if not problems and self.max_replications < self.min_replications:
            problems.append(Problem(f"{path}.max_replications", f"must be >= min_replications ({self.min_replications}), got {self.max_replications}"))
        if problems:
            raise ConfigError(problems)

    def target(self, current_mean: float) -> float:
        """The half-width to reach: ``half_width``, or that share of ``|current_mean|``."""
        return self.half_width * abs(current_mean) if self.relative else float(self.half_width)

    def look(self, pairs: Sequence[tuple[np.ndarray, np.ndarray]], confidence: float) -> dict[str, Any]:
        """The decision after a batch. ``pairs`` holds, per option, the headline KPI of the
        current state and of the option over the replications run so far (NaN where it is
        undefined: those pairs are left out). Each option's interval is taken at
        ``confidence`` (already adjusted for the number of options by the caller); the widest
        counts. ``reached`` is False while any interval is undefined (under two pairs)."""
        half_widths, targets = [], []
        for current, future in pairs:
            current, future = np.asarray(current, dtype=np.float64), np.asarray(future, dtype=np.float64)
            valid = np.isfinite(current) & np.isfinite(future)
            difference = future[valid] - current[valid]
            n = len(difference)
            half_widths.append(float(t_half_width(difference.std(ddof=1), n, confidence)) if n >= 2 else np.nan)
            targets.append(self.target(float(current[valid].mean())) if n else np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = np.nan_to_num(np.divide(half_widths, targets), nan=np.inf)
        widest = int(np.argmax(ratios))
        reached = bool(ratios[widest] <= 1.0)
        return {"half_width": half_widths[widest], "target_half_width": targets[widest], "reached": reached}

    def record(self) -> dict[str, Any]:
        """The rule as plain data (``run.json``, a study's request)."""
        return asdict(self)


def next_batch(done: int, precision: Precision | None, replications: int) -> int:
    """How many replications to add after ``done``: the fixed ``replications`` at once, or
    the precision rule's first stage, then its batches, never past its maximum."""
    if precision is None:
        return replications - done
    if done == 0:
        return precision.min_replications
    return min(precision.batch, precision.max_replications - done)


def stopping_record(precision: Precision | None, done: int, decision: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """How a study stopped, as ``Comparison.stopping`` and ``run.json`` record it."""
    if precision is None:
        return {"mode": "fixed", "replications": done}
    reached = bool(decision and decision["reached"])
    return {
        "mode": "precision",
        **precision.record(),
        "replications": done,
        "reached_half_width": float(decision["half_width"]) if decision else np.nan,
        "target_half_width": float(decision["target_half_width"]) if decision else np.nan,
        "target_reached": reached,
        "stopped_because": "target half-width reached" if reached else "max_replications reached",
    }


__all__ = ["Precision", "next_batch", "stopping_record"]
