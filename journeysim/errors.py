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


class DataError(ConfigError):
    """A data file is malformed: the message names the file, the line or column and the bad value.

    ``DataError("transactions.csv", "cannot read '2024-13-45' as a date", line=17, column="date")``
    reads ``transactions.csv: line 17, column date: cannot read '2024-13-45' as a date``. A
    subclass of :class:`ConfigError`, so the command line reports it and exits with status 2.
    ``line`` is 1-based with the header as line 1 (``where="row"`` for files without lines,
    such as Parquet, numbers rows from 1).
    """

    def __init__(self, file: str, message: str, line: int | None = None, column: str | None = None, where: str = "line") -> None:
        self.file, self.message, self.line, self.column, self.where = str(file), message, line, column, where
        parts = ([f"{where} {line}"] if line is not None else []) + ([f"column {column}"] if column is not None else [])
        super().__init__(Problem(f"{self.file}: {', '.join(parts)}" if parts else self.file, message))

    def __reduce__(self):
        # Exceptions are rebuilt from their arguments when they cross processes.
        return (type(self), (self.file, self.message, self.line, self.column, self.where))
