"""The errors journeysim reports to users: bad configurations and bad data files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Problem:
    """One invalid value: where it is (a dotted config path) and what is wrong with it."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ConfigError(ValueError):
    """A configuration is invalid. Lists every problem found, each naming its path and value."""

    def __init__(self, problems: Iterable[Problem] | Problem | str, path: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [Problem(path or "config", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        # The problems are the arguments, so a copy made from them (pickling to and from worker
        # processes; SimPy re-raising a process's error from its args) keeps every path.
        super().__init__(self.problems)

    def __str__(self) -> str:
        return self.render()

    def render(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems in the configuration:"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)

    @property
    def paths(self) -> list[str]:
        return [problem.path for problem in self.problems]

