"""The budget optimiser's report for the terminal and ``summary.txt``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from journeysim.config.durations import format_duration
from journeysim.studies.budget.problem import CPA_CEILING, FIXED_TOTAL, TARGET

if TYPE_CHECKING:
    from journeysim.studies.budget.optimiser import BudgetOptimisation


def summary_text(result: BudgetOptimisation) -> str:
    """The optimiser's report for the terminal and ``summary.txt``."""
    title = {FIXED_TOTAL: "best split of the same total", TARGET: "least total reaching the target", CPA_CEILING: "best split under a CPA ceiling"}[result.mode]
    settings = result.settings
    lines = [f"journeysim budget optimiser - {result.objective}: {title}", "=" * 60]
    if settings is not None:
        lines.append(f"seed {settings.seed}, {settings.replications} replications, horizon {format_duration(settings.horizon_days)}; {result.evaluations} simulated splits")
    lines += ["", f"{'channel':<12} {'current':>10} {'recommended':>12} {'change':>9}   EUR/day"]
    for row in result.split.itertuples():
        tag = "  (held fixed)" if row.held_fixed else ""
        lines.append(f"{row.channel:<12} {row.current_spend_per_day:>10,.1f} {row.recommended_spend_per_day:>12,.1f} {row.change_per_day:>+9,.1f}{tag}")
    lines.append(f"{'total':<12} {sum(result.current.values()):>10,.1f} {sum(result.recommended.values()):>12,.1f} {sum(result.recommended.values()) - sum(result.current.values()):>+9,.1f}")
    lines += ["", f"{result.objective} per replication in the search: {result.value_current:,.1f} -> {result.value_recommended:,.1f}",
              f"cost per acquisition in the search: {result.cost_per_acquisition_current:,.2f} -> {result.cost_per_acquisition_recommended:,.2f}"]
    if result.gain:
        g = result.gain
        why = f"; {g['stopped_because']}" if "stopped_because" in g else ""
        lines.append(f"re-checked on the full scenario ({g['replications']} paired replications{why}): {g['current']:,.1f} -> {g['future']:,.1f}, "
                     f"gain {g['difference']:+,.1f} [{g['ci_low']:+,.1f}, {g['ci_high']:+,.1f}] ({g['relative_change']:+.1%})")
    lines += ["", f"verdict: {result.verdict}"]
    lines += ["", f"marginal return ({result.objective} per extra EUR/day, 95% interval):"]
    for split, table in result.marginal.groupby("split", sort=False):
        cells = ", ".join(f"{r.channel} {r.marginal_return:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}]" for r in table.itertuples())
        lines.append(f"  at the {split} split: {cells}")
    lines += [f"note: {note}" for note in result.notes]
    return "\n".join(lines) + "\n"
