"""Where configs live and the one YAML reader of the package.

Scenario, experiment and Hydra job files are all read here (:func:`read_yaml`), so a syntax
error in any of them gives the same one-line message naming the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from omegaconf import OmegaConf

from journeysim.errors import ConfigError, Problem


def config_dir() -> Path:
    """The folder of Hydra configs: packaged inside a wheel, or the repository's ``configs/``."""
    package = Path(__file__).resolve().parents[1]
    packaged = package / "configs"
    if packaged.is_dir():
        return packaged
    return package.parent / "configs"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """PyYAML's safe loader (the C one where built: a sweep reads three files per job) that
    also reads ``1e-3`` and ``1e6`` as numbers, as OmegaConf and Hydra do (YAML 1.1 wants a
    dot), and refuses a key given twice in one mapping, as OmegaConf does (PyYAML keeps the
    last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (line {key_node.start_mark.line + 1})", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def read_yaml(path: str | Path, *, resolve: bool = False, what: str | None = None) -> Any:
    """Plain data (dicts, lists, values) of a YAML file: the package's one YAML reader.

    ``resolve`` resolves ``${...}`` interpolations (a scenario may use them; Hydra's saved job
    files hold some that only Hydra can resolve, so they are read unresolved). Errors raise
    one :class:`ConfigError` naming ``what`` (default: the path) and the file.
    """
    path = Path(path)
    where = what or str(path)
    try:
        with open(path, encoding="utf-8") as stream:  # a stream: error marks name the file
            data = yaml.load(stream, Loader=_Loader)
        if resolve and isinstance(data, (dict, list)):
            data = OmegaConf.to_container(OmegaConf.create(data), resolve=True)
        return data
    except Exception as error:  # I/O, YAML syntax and interpolation errors come in many types
        raise ConfigError(Problem(where, f"cannot read {path}: {error}")) from None


def read_mapping(path: str | Path, *, resolve: bool = False, what: str | None = None) -> dict[str, Any]:
    """:func:`read_yaml` of a file that must hold a mapping (an empty file is an empty one)."""
    data = read_yaml(path, resolve=resolve, what=what)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(Problem(what or str(path), f"{path} must hold a mapping, got {type(data).__name__}"))
    return data


def named_configs(group: str) -> list[str]:
    """The shipped configs of a group (``scenario``, ``experiment``): ``configs/GROUP/*.yaml``."""
    return sorted(p.stem for p in (config_dir() / group).glob("*.yaml"))


def experiment_names() -> list[str]:
    """The shipped experiments (``configs/experiment/*.yaml``)."""
    return named_configs("experiment")


def default_run_node() -> dict[str, Any]:
    """The ``run`` node of ``configs/config.yaml``: the settings the CLI starts from."""
    return read_mapping(config_dir() / "config.yaml").get("run") or {}


# What a file of each group may set at its top level. Scenario files are composed under
# `scenario` (configs/config.yaml), experiment files at the top, so both are checked before
# Hydra composes them: a `hydra` node (callbacks with a _target_) or a `defaults` list (other
# configs pulled in) would run or load what a data file must not.
GROUP_KEYS = {"scenario": None, "experiment": frozenset({"experiment", "run"})}
NEVER_IN_DATA = frozenset({"hydra", "defaults"})


def unsafe_config_files(roots: list[Path], selected: dict[str, set[str] | None] | None = None) -> list[Problem]:
    """Scenario and experiment files under ``roots`` that set more than data may: one problem
    per file, naming it and the keys. A file that cannot be read (YAML syntax, a duplicate
    key) is a problem too when it is one of ``selected[group]`` (names; None: any), the files
    the command would compose; other unreadable files are not composed and are left alone."""
    problems = []
    for root in roots:
        for group, allowed in GROUP_KEYS.items():
            for path in sorted(Path(root, group).glob("*.y*ml")):
                try:
                    data = read_yaml(path)
                except ConfigError as error:
                    wanted = (selected or {}).get(group, set())
                    if wanted is None or path.stem in wanted:
                        problems += error.problems
                    continue
                if not isinstance(data, dict):
                    continue
                keys = set(map(str, data))
                bad = sorted(keys & NEVER_IN_DATA if allowed is None else keys - allowed)
                if bad:
                    may = f"{group}.*" if allowed is None else " and ".join(f"{k}.*" for k in sorted(allowed))
                    article = "an" if group[0] in "aeiou" else "a"
                    problems.append(Problem(str(path), f"{article} {group} file is data and may set {may} only; it sets {', '.join(bad)}"))
    return problems


def read_experiment_file(name_or_path: str | Path) -> dict[str, Any]:
    """The ``experiment`` and ``run`` nodes of a named experiment (or a YAML path).

    The files are plain YAML (Hydra's ``# @package _global_`` header is a comment), read
    without composing so that scripts and notebooks run the same study as the CLI.
    """
    candidate = Path(name_or_path)
    if candidate.suffix not in (".yaml", ".yml"):
        candidate = config_dir() / "experiment" / f"{name_or_path}.yaml"
    if not candidate.is_file():
        raise ConfigError(Problem("experiment", f"no experiment file {str(candidate)!r}; named experiments: {', '.join(experiment_names())}"))
    data = read_mapping(candidate)
    unknown = sorted(set(data) - {"experiment", "run"})
    if unknown:
        raise ConfigError(Problem(str(candidate), f"an experiment file sets only 'experiment' and 'run', got {', '.join(unknown)}"))
    return data
