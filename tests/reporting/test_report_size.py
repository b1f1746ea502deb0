"""The default run's report stays small: under 3 MB (its size is deterministic; the time it
adds is measured by ``python -m benchmarks.report``, not asserted)."""

from __future__ import annotations

from benchmarks import report as bench
from journeysim.model.settings import RunSettings


def test_the_default_runs_report_is_under_3_mb(tmp_path):
    # The command line's defaults (configs/config.yaml): seed 42, 180 days, one replication.
    spent = bench.measure(RunSettings(seed=42, horizon_days=180.0, progress=False), tmp_path / "run")
    assert 0.05 < spent["size_mb"] < bench.SIZE_TARGET_MB
    assert {"job", "report", "pain_points", "page"} <= set(spent)
