"""``python -m benchmarks.engines --quick``: every engine measured, the table complete (no timing assertions)."""

from __future__ import annotations

import math

import pytest

from benchmarks import engines as bench

COLUMNS = ["engine", "size", "customers", "events", "seconds", "journeys_per_s", "events_per_s", "peak_rss_mb",
           "bytes_per_event", "speedup_vs_baseline", "memory_vs_baseline", "conversion", "note"]  # fmt: skip


def test_quick_benchmark_prints_one_measured_row_per_engine(capsys):
    table = bench.main(["--quick"])
    printed = capsys.readouterr().out
    assert list(table.columns) == COLUMNS
    assert list(table["engine"]) == ["baseline", "simpy", "vectorised"]
    assert (table["note"] == "measured").all() and (table["size"] == bench.QUICK_SIZES[0]).all()
    assert (table["customers"] > 0.8 * bench.QUICK_SIZES[0]).all()
    assert (table["events"] > table["customers"]).all()  # an arrival row per customer, plus touches
    # Same seed, same draws: the two project engines simulate the same customers.
    simpy, vectorised = table.set_index("engine").loc[["simpy", "vectorised"]].itertuples()
    assert (simpy.customers, simpy.events, simpy.conversion) == (vectorised.customers, vectorised.events, vectorised.conversion)
    assert table.loc[table["engine"] == "baseline", "speedup_vs_baseline"].item() == 1.0
    assert all(math.isfinite(x) and x > 0 for x in table[["seconds", "bytes_per_event", "speedup_vs_baseline"]].to_numpy().ravel())
    assert vectorised.bytes_per_event < 64
    lines = printed.splitlines()
    assert lines[0].startswith("machine:") and "numpy" in lines[1]
    header = next(line for line in lines if line.split()[:2] == ["engine", "size"])
    assert header.split() == COLUMNS
    rows = [line.split()[0] for line in lines[lines.index(header) + 1 :] if line.split() and line.split()[0] in bench.ENGINES]
    assert rows == ["baseline", "simpy", "vectorised"]
    assert "peak RSS" in printed


def test_extrapolates_beyond_the_largest_size_an_engine_runs():
    table = bench.run_benchmark([300, 600], {"baseline": 300, "simpy": 300}, fresh_processes=False)
    assert list(table["note"]) == ["measured"] * 3 + ["extrapolated from 300", "extrapolated from 300", "measured"]
    baseline = table[table["engine"] == "baseline"].set_index("size")
    assert baseline.loc[600, "seconds"] == 2 * baseline.loc[300, "seconds"]


def test_workers_benchmark_checks_the_tables_agree_and_prints_the_ratio(capsys):
    from benchmarks import workers as bench_workers

    assert bench_workers.main(["--replications", "2", "--horizon-days", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("comparison one_click_checkout: 2 paired replications")
    assert lines[1].split()[:2] == ["1", "process"] and lines[2].split()[:2] == ["2", "processes:"]
    assert lines[3].split()[0] == "speed-up" and "the same comparison table" in lines[3]


def test_funnel_comparison_measures_journeysim_and_reads_the_bench_programs(tmp_path):
    """The harness of ``python -m benchmarks.funnel``, with stand-ins for the shared bench's
    two programs (their output format): one row per program, ratios against plain SimPy and
    numpy measured in the same run, and journeysim's engines simulating the same funnel."""
    from benchmarks import funnel

    for name, rate in (("naive_simpy.py", 50_000), ("numpy_limit.py", 4_000_000)):
        (tmp_path / name).write_text(
            "import sys\nn = int(sys.argv[1])\n"
            f"print(f'{{n}} journeys, {{4 * n}} touchpoints, {{n / {rate}:.2f}}s, {rate} journeys/s, {{4 * {rate}}} events/s')\n"
        )
    table = funnel.compare([3000], repeats=1, bench=tmp_path)
    assert list(table["program"]) == list(funnel.PROGRAMS)
    rows = table.set_index("program")
    assert rows.loc["plain SimPy", "vs_plain_simpy"] == 1.0 and rows.loc["bare numpy", "of_numpy_limit"] == 1.0
    assert rows.loc["bare numpy", "vs_plain_simpy"] == 80.0  # 4,000,000 / 50,000 journeys a second
    simpy, vectorised = rows.loc["journeysim simpy"], rows.loc["journeysim vectorised"]
    assert simpy["journeys"] == vectorised["journeys"] > 2700 and simpy["events"] == vectorised["events"]  # same draws
    assert vectorised["vs_plain_simpy"] == pytest.approx(vectorised["journeys_per_s"] / 50_000)


def test_export_benchmark_measures_each_step_against_the_parquet_baseline(capsys):
    """``python -m benchmarks.export --quick``: the harness, every line measured, ratios
    against the events.parquet baseline of the same run (no timing assertions)."""
    from benchmarks import export as bench_export

    table = bench_export.main(["--quick"])
    assert list(table["what"])[0] == "events.parquet (baseline)" and table["vs_baseline"].iloc[0] == 1.0
    assert len(table) == 6 and (table["seconds"].iloc[:5] > 0).all() and (table["cpu_seconds"].iloc[:5] > 0).all()
    assert table.attrs["events"] > table.attrs["customers"] * 0.5
    assert {"event_log.csv", "ga4_events.csv", "paths.csv", "mmm_panel.csv", "sessions.csv"} <= set(table.attrs["sizes"])
    printed = capsys.readouterr().out
    assert printed.startswith("machine:") and "observed/ in the streamed run" in printed


def test_funnel_comparison_adds_the_default_scenario_with_queues(tmp_path):
    """``--queues-size``: the SimPy engine on the whole default scenario (queues, referrals,
    complaints), against plain SimPy with as many journeys in the same run."""
    from benchmarks import funnel

    (tmp_path / "naive_simpy.py").write_text(
        "import sys\nn = int(sys.argv[1])\nprint(f'{n} journeys, {4 * n} touchpoints, {n / 50000:.2f}s, 50000 journeys/s, 200000 events/s')\n"
    )
    table = funnel.compare([], repeats=1, bench=tmp_path, queues_size=300)
    assert list(table["program"]) == ["plain SimPy", funnel.QUEUES_PROGRAM] and set(table["size"]) == {300}
    default = table.set_index("program").loc[funnel.QUEUES_PROGRAM]
    assert default["journeys"] > 300 and default["events"] > default["journeys"]  # paid and referred customers come on top
    assert default["vs_plain_simpy"] == pytest.approx(default["journeys_per_s"] / 50_000)
