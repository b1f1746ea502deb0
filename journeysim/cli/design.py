"""``journeysim-design``: draw sweep designs and run global sensitivity analyses from the shell.

``journeysim-design sample ...`` writes a design for ``hydra/sweeper=design``;
``journeysim-design sensitivity ...`` runs :func:`journeysim.studies.design.sensitivity_analysis`
and writes its folder atomically. See :mod:`journeysim.studies.design` for the parameter syntax.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from journeysim.outputs import AtomicOutput, package_version
from journeysim.reporting.figures import save
from journeysim.studies.design import (
    METHODS,
    SENSITIVITY_METHODS,
    Parameter,
    ScenarioKpi,
    SensitivityResult,
    design_csv,
    design_points,
    multirun_command,
    override_lines,
    parse_parameter,
    scenario_path,
    sensitivity_analysis,
)


def write_sensitivity(result: SensitivityResult, folder: str | Path, metadata: Mapping[str, Any] | None = None) -> Path:
    """``sensitivity_indices.csv``, ``sensitivity_samples.csv``, ``sensitivity.png`` and ``summary.txt``, atomically."""
    with AtomicOutput(folder) as out:
        out.write_csv(result.indices, "sensitivity_indices.csv")
        out.write_csv(result.samples, "sensitivity_samples.csv")
        save(result.figure(), out.path("sensitivity.png"))
        out.write_text(result.text() + "\n", "summary.txt")
        out.finish(
            {
                "command": "sensitivity",
                "method": result.method,
                "kpi": result.kpi,
                "parameters": [_describe(p) for p in result.parameters],
                "evaluations": len(result.samples),
                **dict(metadata or {}),
                "journeysim_version": package_version(),
            }
        )
    return Path(folder)


def _describe(parameter: Parameter) -> str:
    if parameter.categorical:
        return f"{parameter.key}={','.join(parameter.choices)}"
    suffix = "" if parameter.scale == "linear" else f":{parameter.scale}"
    return f"{parameter.key}={parameter.low:g}:{parameter.high:g}{suffix}"


def parser() -> argparse.ArgumentParser:
    """The command line of ``journeysim-design``: the ``sample`` and ``sensitivity`` commands."""
    parser = argparse.ArgumentParser(prog="journeysim-design", description="Space-filling sweep designs and global sensitivity analysis.")
    commands = parser.add_subparsers(dest="command", required=True)
    param_help = "KEY=LOW:HIGH, KEY=LOW:HIGH:log, KEY=LOW:HIGH:int or KEY=A,B,C (repeat for each parameter)"

    sample = commands.add_parser("sample", help="draw a design and write it for hydra/sweeper=design")
    sample.add_argument("--param", action="append", required=True, help=param_help)
    sample.add_argument("--n", type=int, default=16, help="design points (a power of 2 for sobol)")
    sample.add_argument("--method", choices=METHODS, default="lhs")
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--out", type=Path, help="write the design CSV here and print the journeysim command that runs it")
    sample.add_argument("--sweep-dir", help="hydra.sweep.dir for the printed command")
    sample.add_argument("--overrides", action="store_true", help="print one line of overrides per point instead of CSV")

    sens = commands.add_parser("sensitivity", help="Sobol or Morris indices of one KPI, simulated through the Python API")
    sens.add_argument("--kpi", default="conversion_rate")
    sens.add_argument("--param", action="append", required=True, help=param_help + "; scenario.* keys")
    sens.add_argument("--n", type=int, default=64, help="sobol: base samples (power of 2); morris: trajectories")
    sens.add_argument("--method", choices=SENSITIVITY_METHODS, default="sobol")
    sens.add_argument("--levels", type=int, default=4, help="morris grid levels")
    sens.add_argument("--persona", default="all")
    sens.add_argument("--scenario", default="retail_omnichannel", help="scenario name or YAML file")
    sens.add_argument("--seed", type=int, default=1, help="simulation seed, the same at every point")
    sens.add_argument("--horizon-days", type=float, default=60.0)
    sens.add_argument("--replications", type=int, default=1)
    sens.add_argument("--arrival-rate", type=float, help="arrivals per day (default: the scenario's)")
    sens.add_argument("--engine", default="auto", choices=("simpy", "vectorised", "auto"))
    sens.add_argument("--workers", type=int, default=1, help="processes evaluating points")
    sens.add_argument("--out", type=Path, default=Path("sensitivity"), help="output folder")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``journeysim-design sample ...`` and ``journeysim-design sensitivity ...``."""
    args = parser().parse_args(argv)
    try:
        parameters = [parse_parameter(text) for text in args.param]
        if args.command == "sample":
            return _sample_command(args, parameters)
        return _sensitivity_command(args, parameters)
    except ValueError as error:
        print(f"journeysim-design: {error}", file=sys.stderr)
        return 2


def _sample_command(args: argparse.Namespace, parameters: list[Parameter]) -> int:
    points = design_points(parameters, args.n, args.method, args.seed)
    if args.overrides:
        print("\n".join(override_lines(parameters, points)))
    elif args.out is None:
        print(design_csv(parameters, points), end="")
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(design_csv(parameters, points), encoding="utf-8")
        print(f"{len(points)} design points ({args.method}) written to {args.out}; run them with")
        print(f"  {multirun_command(args.out, args.sweep_dir)}")
    return 0


def _sensitivity_command(args: argparse.Namespace, parameters: list[Parameter]) -> int:
    from journeysim.errors import ConfigError

    for parameter in parameters:
        scenario_path(parameter.key)
    changes = {} if args.arrival_rate is None else {"arrival_rate_per_day": args.arrival_rate}
    model = ScenarioKpi(args.scenario, args.kpi, args.persona, args.seed, args.horizon_days, args.replications, args.engine, changes)
    try:
        result = sensitivity_analysis(parameters, model, n=args.n, method=args.method, seed=args.seed, kpi=args.kpi, levels=args.levels, workers=args.workers)
    except ConfigError as error:
        print(f"journeysim-design: a design point is not a valid scenario\n{error.render()}", file=sys.stderr)
        return 2
    metadata = {"scenario": args.scenario, "persona": args.persona, "n": args.n, "seed": args.seed, "horizon_days": args.horizon_days, "replications": args.replications, "changes": changes}
    write_sensitivity(result, args.out, metadata)
    print(result.text())
    print(f"Results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
