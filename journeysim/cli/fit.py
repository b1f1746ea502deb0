"""The calibration command: ``journeysim-fit``.

``journeysim-fit --touches log.csv --out fitted/`` fits a scenario to a brand's data and
writes, atomically into ``--out``: ``scenario.yaml`` (also reachable as
``scenario/fitted.yaml``, so ``journeysim --config-dir fitted scenario=fitted`` runs it),
``parameters.csv`` (every fitted parameter with its 95 % interval), ``fit_report.txt`` and
``fit_check.png`` (the data against the fitted scenario, re-simulated). A bad file or
argument is one line naming the file, line, column or option, and exit status 2; nothing is
written then.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from journeysim.cli.arguments import whole_number
from journeysim.errors import ConfigError, Problem

EXIT_INVALID = 2
FITTED_NAME = "fitted"


def _pair(text: str) -> tuple[str, str]:
    ours, sep, theirs = text.partition("=")
    if not sep or not ours.strip() or not theirs.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return ours.strip(), theirs.strip()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="journeysim-fit",
        description="Fit a journeysim scenario to your data: a touch log (journeys), transactions (repeat buying) and a spend panel (media response).",
    )
    parser.add_argument("--touches", help="touch log (CSV or Parquet): customer_id, timestamp, channel, stage or event; optional persona, value, reason")
    parser.add_argument("--transactions", help="transactions (CSV or Parquet): customer_id, date, optional value; fits repeat buying (BG/NBD) and order value")
    parser.add_argument("--calibration-end", help="last date of the transactions used to fit (later ones are the holdout); default: all")
    parser.add_argument("--spend", help="spend panel (CSV or Parquet): period, channel, spend, arrivals; fits adstock and saturation per channel")
    parser.add_argument("--scenario", default="retail_omnichannel", help="without --touches: the scenario the fits go into (default: %(default)s)")
    parser.add_argument("--out", required=True, help="folder for scenario.yaml, parameters.csv, fit_report.txt and figures")
    parser.add_argument("--stages", default="awareness,interest,consideration,purchase", help="the journey's stages in order, the purchase stage last (default: %(default)s)")
    parser.add_argument("--events", help="YAML mapping of event names to stages (view_item: interest), for logs with an event column instead of stages")
    parser.add_argument("--purchase-event", action="append", default=None, help="event name that is a purchase (default: purchase); repeatable")
    parser.add_argument("--column", action="append", type=_pair, default=[], metavar="[FILE.]OURS=THEIRS",
                        help="map a column of yours to ours: customer_id=user_pseudo_id (every file), touches.customer_id=user_pseudo_id (one file); repeatable")
    parser.add_argument("--channel-mode", action="append", type=_pair, default=[], metavar="CHANNEL=MODE", help="online or offline (default online); repeatable")
    parser.add_argument("--name", default=FITTED_NAME, help="the scenario's name (default: %(default)s)")
    parser.add_argument("--bootstrap", type=whole_number("--bootstrap"), default=200, help="bootstrap resamples of customers for the intervals (default: %(default)s)")
    parser.add_argument("--replications", type=whole_number("--replications"), default=20, help="re-simulations of the fitted scenario for the report's bands (default: %(default)s; 0: none)")
    parser.add_argument("--seed", type=whole_number("--seed"), default=0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if not (args.touches or args.transactions or args.spend):
            raise ConfigError(Problem("--touches, --transactions, --spend", "give at least one: the data to fit"))
        out = Path(args.out).resolve()
        if out == Path.cwd().resolve() or out in Path.cwd().resolve().parents:
            raise ConfigError(Problem("--out", f"must be a folder of its own, not {args.out!r}: journeysim-fit replaces it whole, and it holds the current folder"))
        written = fit_command(args)
    except ConfigError as error:
        print(f"journeysim-fit: {error.render()}", file=sys.stderr)
        return EXIT_INVALID
    print(f"Fitted scenario written to {written} (run it: journeysim --config-dir {written} scenario={FITTED_NAME})")
    return 0


def fit_command(args: argparse.Namespace) -> Path:
    """Read, fit, check and write (see the module docstring); returns the output folder."""
    from journeysim.config import read_mapping
    from journeysim.studies.fitting import fit

    calibration = fit(
        args.touches, args.transactions, args.spend,
        stages=[s.strip() for s in args.stages.split(",") if s.strip()],
        columns=dict(args.column),
        events=_event_mapping(args.events, read_mapping) if args.events else None,
        purchase_events=tuple(args.purchase_event or ("purchase",)),
        calibration_end=args.calibration_end,
        channel_modes=dict(args.channel_mode),
        base=args.scenario, name=args.name, bootstrap=args.bootstrap, replications=args.replications, seed=args.seed,
    )  # fmt: skip
    return _write(args, calibration)


def _write(args: argparse.Namespace, calibration: Any) -> Path:
    """Everything into ``--out`` in one atomic step."""
    from journeysim.config.writing import scenario_yaml
    from journeysim.outputs import AtomicOutput
    from journeysim.reporting.figures import save
    from journeysim.reporting.fit_report import (
        fit_check_figure,
        fit_report_text,
        repeat_tracking_figure,
    )

    sources = ", ".join(os.path.basename(p) for p in (args.touches, args.transactions, args.spend) if p)
    check, repeat = calibration.check, calibration.repeat_buying
    out = Path(args.out)
    with AtomicOutput(out) as output:
        output.write_text(scenario_yaml(calibration.data, header=f"Fitted by journeysim-fit from {sources}; see fit_report.txt."), "scenario.yaml")
        (output.staging / "scenario").mkdir()
        os.symlink(os.path.join("..", "scenario.yaml"), output.path(f"scenario/{FITTED_NAME}.yaml"))
        output.write_csv(calibration.parameters, "parameters.csv")
        text = fit_report_text(f"journeysim-fit - {args.name}", _data_lines(calibration), calibration.notes, calibration.parameters, check,
                               calibration.warnings, repeat=repeat, media=calibration.media)
        output.write_text(text, "fit_report.txt")
        if check is not None:
            output.write_csv(check, "fit_check.csv")
            save(fit_check_figure(check), output.path("fit_check.png"))
        if repeat is not None:
            tracking, holdout = _tracking(repeat, args.calibration_end)
            output.write_csv(tracking, "repeat_tracking.csv")
            save(repeat_tracking_figure(tracking, repeat.repeat_buying.time_unit, holdout), output.path("repeat_tracking.png"))
        output.finish({"command": "journeysim-fit", "touches": args.touches, "transactions": args.transactions, "spend": args.spend,
                       "calibration_end": args.calibration_end, "bootstrap": args.bootstrap, "replications": args.replications, "seed": args.seed})
    return out


def _tracking(fit: Any, calibration_end: str | None) -> tuple[pd.DataFrame, float | None]:
    """Cumulative repeat purchases, observed and expected, to the end of the transactions, and
    where the holdout starts on the tracking's time axis (None without a calibration end)."""
    from journeysim.analysis.fit_transactions import repeat_tracking

    purchases = fit.purchases
    last = float(purchases.table["day"].max())
    until = purchases.origin + pd.Timedelta(days=last) if purchases.origin is not None else last
    tracking = repeat_tracking(fit.repeat_buying, purchases, fit.summary, until)
    if calibration_end is None:
        return tracking, None
    unit_days = (tracking["day"].iloc[-1] - tracking["day"].iloc[0]) / max(tracking["time"].iloc[-1] - tracking["time"].iloc[0], 1e-12)
    start_day = tracking["day"].iloc[0] - tracking["time"].iloc[0] * unit_days
    return tracking, (purchases.day_of(calibration_end, "--calibration-end") - start_day) / unit_days


def _event_mapping(path: str, read_mapping: Any) -> dict[str, str]:
    mapping = read_mapping(path)
    bad = [k for k, v in mapping.items() if not isinstance(v, str)]
    if bad:
        raise ConfigError(Problem(f"{path}: {bad[0]}", f"must map to a stage name, got {mapping[bad[0]]!r}"))
    return {str(k): v for k, v in mapping.items()}


def _data_lines(calibration: Any) -> list[str]:
    lines = []
    log, fit = calibration.log, calibration.touches
    if log is not None:
        frame = log.frame
        span = f"{log.end_days:.1f} days" + (f" from {log.start:%Y-%m-%d}" if log.start is not None else "")
        lines.append(f"touch log: {len(frame):,} rows, {frame['customer_id'].nunique():,} customers, {span}; stages {', '.join(log.stages)}")
        for row in fit.arrivals.itertuples(index=False):
            lines.append(f"  persona {row.persona}: {row.customers:,.0f} customers entering at {log.stages[0]}, {row.rate_per_day:.2f} a day")
    if calibration.repeat_buying is not None:
        repeat = calibration.repeat_buying
        lines.append(f"transactions: {len(repeat.purchases.table):,} purchase days of {len(repeat.summary):,} customers")
    if calibration.media is not None:
        lines.append(f"spend panel: {', '.join(calibration.media.channels)}, periods of {calibration.media.period_days} day(s)")
    return lines


if __name__ == "__main__":
    sys.exit(main())
