"""What every engine is: one interface, one result type.

An engine is built from a compiled scenario and simulates one replication at a time from
given arrivals and a replication key (its random numbers). It returns an :class:`EngineRun`:
the columns of the event log, of the customers table and of the queue visits, which
:mod:`journeysim.simulation.records` turns into typed tables. Which engine runs a scenario
is :func:`journeysim.simulation.engines.select_engine`'s choice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from journeysim.model.compiled import CompiledScenario
from journeysim.simulation.arrivals import Arrivals


@dataclass
class EngineRun:
    """One replication's records, as columns (arrays or lists) by name.

    ``events`` may come in any order within a customer's recording order (the runner sorts
    them into the canonical time order); ``queues`` is empty for an engine without capacity
    channels."""

    events: dict[str, Any]
    customers: dict[str, Any]
    queues: Mapping[str, Any] = field(default_factory=dict)


class Engine(Protocol):
    """A journey engine: ``name`` (as in ``run.engine``) and :meth:`run`."""

    name: str
    # How the engine was chosen (``auto chose vectorised``), for the run's summary; empty
    # when it was asked for by name.
    selection_note: str

    def __init__(self, compiled: CompiledScenario) -> None: ...

    def run(
        self, arrivals: Arrivals, replication_key: int, horizon_days: float, on_customers: Callable[[int], None] | None = None
    ) -> EngineRun:
        """Simulate one replication of ``arrivals`` until ``horizon_days``; ``on_customers(n)``
        reports progress as customers finish."""
        ...
