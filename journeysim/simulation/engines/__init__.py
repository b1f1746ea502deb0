"""The engines, behind one interface (:class:`~.protocol.Engine`) returning one result type.

``simpy`` runs everything (capacity queues, opening hours, referrals, finite markets);
``vectorised`` runs queue-free journeys as numpy arrays with the same random numbers and the
same records; :func:`select_engine` picks one (``auto``: the vectorised engine whenever it
is exact for the scenario). The SimPy engine (and simpy) is imported when first used: a
vectorised run does without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from journeysim._lazy import lazy_exports
from journeysim.errors import ConfigError, Problem
from journeysim.model.compiled import CompiledScenario
from journeysim.simulation.engines.protocol import Engine, EngineRun
from journeysim.simulation.engines.vectorised import (
    VectorisedJourneyEngine,
    unsupported_features,
)

if TYPE_CHECKING:
    from journeysim.simulation.engines.simpy_engine import SimPyJourneyEngine

__all__ = ["ENGINES", "Engine", "EngineRun", "SimPyJourneyEngine", "VectorisedJourneyEngine", "select_engine", "unsupported_features"]

ENGINES = ("simpy", "vectorised", "auto")
__getattr__, __dir__ = lazy_exports(__name__, {"SimPyJourneyEngine": "journeysim.simulation.engines.simpy_engine"})


def select_engine(name: str, compiled: CompiledScenario) -> Engine:
    """The engine object for ``name``; ``auto`` prefers the vectorised engine when it is exact."""
    if name not in ENGINES:
        raise ConfigError(Problem("run.engine", f"must be one of {', '.join(ENGINES)}, got {name!r}"))
    if name == "simpy":
        return _simpy_engine(compiled)
    reasons = unsupported_features(compiled)
    if name == "auto":
        engine = _simpy_engine(compiled) if reasons else VectorisedJourneyEngine(compiled)
        engine.selection_note = f"auto chose {engine.name}" + (f" ({'; '.join(reasons)})" if reasons else "")
        return engine
    if reasons:
        raise ConfigError(
            Problem("run.engine", f"the vectorised engine cannot run this scenario exactly ({'; '.join(reasons)}); use engine=simpy or engine=auto")
        )
    return VectorisedJourneyEngine(compiled)


def _simpy_engine(compiled: CompiledScenario) -> Engine:
    """The SimPy engine for ``compiled``, imported here on first use (see the module docstring)."""
    from journeysim.simulation.engines.simpy_engine import SimPyJourneyEngine

    return SimPyJourneyEngine(compiled)
