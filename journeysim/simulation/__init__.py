"""Running a scenario: random streams, arrivals, engines, records and the replication runner.

:func:`simulate` runs replications on an engine (:mod:`.engines`: SimPy or vectorised,
behind one ``Engine`` protocol); :class:`ReplicationRunner` is how every study runs
numbered replications; :func:`simulate_to_parquet` streams runs larger than memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from journeysim._lazy import lazy_exports

# Public name -> the module that defines it (imported on first use).
EXPORTS = {
    "ObservedExport": "journeysim.simulation.observed_exports",
    "observe": "journeysim.simulation.observation",
    "Engine": "journeysim.simulation.engines.protocol",
    "EngineRun": "journeysim.simulation.engines.protocol",
    "journey_only": "journeysim.simulation.engines.vectorised",
    "ReplicationRunner": "journeysim.simulation.replications",
    "select_engine": "journeysim.simulation.engines",
    "simulate": "journeysim.simulation.runner",
    "simulate_to_parquet": "journeysim.simulation.streaming",
    "SimulationResult": "journeysim.simulation.runner",
    "StreamedRun": "journeysim.simulation.streaming",
    "survey_table": "journeysim.simulation.surveys",
}
SUBPACKAGES = ('engines',)

if TYPE_CHECKING:
    from journeysim.simulation.engines import select_engine
    from journeysim.simulation.engines.protocol import Engine, EngineRun
    from journeysim.simulation.engines.vectorised import journey_only
    from journeysim.simulation.observation import observe
    from journeysim.simulation.observed_exports import ObservedExport
    from journeysim.simulation.replications import ReplicationRunner
    from journeysim.simulation.runner import SimulationResult, simulate
    from journeysim.simulation.streaming import StreamedRun, simulate_to_parquet
    from journeysim.simulation.surveys import survey_table

__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS, SUBPACKAGES)
