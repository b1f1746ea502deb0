"""The observed exports in the formats other tools read: ChannelAttribution's path files, the
XES attribute names pm4py reads, GA4-like rows, sessions and the media-mix panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_paths import reference_paths_file  # noqa: F401 (a fixture: the example file, or its stand-in)

import journeysim as js
from journeysim.analysis.event_logs import (
    DAY_ZERO,
    EVENT_LOG_COLUMNS,
    GA4_COLUMNS,
    event_log_table,
    ga4_event_names,
    ga4_events_table,
)
from journeysim.analysis.media_panel import media_panel_table, panel_parts
from journeysim.analysis.path_files import read_path_table, write_path_table
from journeysim.analysis.paths import paths_from_events
from journeysim.analysis.sessions import session_counts, session_summary, web_sessions
from journeysim.model.media import daily_spend

CHANNELS = ["social", "search", "website", "store"]
KINDS = ["arrival", "touch", "purchase", "repeat_purchase"]


def hand_made_events(rows: list[tuple]) -> pd.DataFrame:
    """(customer, time_days, stage, channel, event, value) rows as a run's event log."""
    customer, time, stage, channel, event, value = zip(*rows)
    return pd.DataFrame({
        "replication": np.zeros(len(rows), dtype=np.int16),
        "customer_id": np.asarray(customer, dtype=np.int32),
        "persona": pd.Categorical(["p"] * len(rows)),
        "time_days": np.asarray(time, dtype=float),
        "stage": pd.Categorical(stage, categories=["awareness", "interest", "purchase"]),
        "channel": pd.Categorical(channel, categories=CHANNELS),
        "event": pd.Categorical(event, categories=KINDS),
        "value": np.asarray(value, dtype=np.float32),
    })


JOURNEYS = hand_made_events([
    (0, 0.1, "awareness", "social", "touch", np.nan), (0, 1.2, "interest", "search", "touch", np.nan),
    (0, 2.0, "purchase", "website", "touch", np.nan), (0, 2.0, "purchase", "website", "purchase", 45.5),
    (1, 0.5, "awareness", "social", "touch", np.nan),
    (2, 0.3, "awareness", "social", "touch", np.nan), (2, 1.0, "interest", "search", "touch", np.nan),
    (2, 2.5, "purchase", "website", "touch", np.nan), (2, 2.5, "purchase", "website", "purchase", 30.25),
    (3, 1.0, "awareness", "store", "touch", np.nan),
    (4, 0.2, "awareness", "social", "touch", np.nan), (4, 0.4, "interest", "search", "touch", np.nan),
    (4, 0.9, "purchase", "website", "touch", np.nan), (4, 0.9, "purchase", "website", "purchase", 12.0),
    (4, 20.0, "purchase", "store", "repeat_purchase", 80.0),
])  # fmt: skip


def test_path_files_follow_channelattribution_format_byte_for_byte(tmp_path):
    """``path;total_conversions;total_conversion_value;total_null``, channels joined by ' > ',
    whole numbers without a decimal point, as ChannelAttribution's own files are written."""
    target = tmp_path / "paths.csv"
    write_path_table(paths_from_events(JOURNEYS), target)
    assert target.read_bytes() == (
        b"path;total_conversions;total_conversion_value;total_null\n"
        b"social;0;0;1\n"
        b"social > search > website;3;87.75;0\n"
        b"store;0;0;1\n"
    )


def test_channelattribution_example_file_is_written_back_byte_for_byte(tmp_path, reference_paths_file):  # noqa: F811 (the fixture imported above)
    """The ChannelAttribution example file where the machine has it (../shared/reference, or
    JOURNEYSIM_REFERENCE_DIR), else the stand-in of the same shape test_paths builds: never
    skipped."""
    target = tmp_path / "again.csv"
    write_path_table(read_path_table(reference_paths_file), target)
    assert target.read_bytes() == reference_paths_file.read_bytes()


def observed_like(events: pd.DataFrame, ids: dict[int, int] | None = None, consent: bool = True) -> pd.DataFrame:
    """A run's touches and sales as :func:`observe` returns them under full visibility."""
    rows = events.loc[events["event"].isin(["touch", "purchase", "repeat_purchase"])].reset_index(drop=True)
    ids = ids or {}
    return pd.DataFrame({
        "replication": rows["replication"].to_numpy(), "observed_id": rows["customer_id"].map(lambda c: ids.get(c, 1000 + c)).to_numpy(np.int64),
        "time_days": rows["time_days"].to_numpy(), "stage": rows["stage"], "channel": rows["channel"],
        "event": pd.Categorical(rows["event"].astype(str), categories=["touch", "purchase", "repeat_purchase"]),
        "value": rows["value"].to_numpy(), "consent": consent, "true_customer_id": rows["customer_id"].to_numpy(),
    })  # fmt: skip


def test_event_log_uses_the_xes_attribute_names_with_channels_as_activities():
    log = event_log_table(observed_like(JOURNEYS))
    assert list(log.columns) == list(EVENT_LOG_COLUMNS)
    first = log.loc[log["case:concept:name"] == 1000]
    assert list(first["concept:name"].astype(str)) == ["social", "search", "website", "purchase"]
    assert list(first["org:resource"].astype(str)) == ["social", "search", "website", "website"]
    assert first["time:timestamp"].iloc[0] == pd.Timestamp(DAY_ZERO, tz="UTC") + pd.Timedelta(days=0.1)
    assert (log["lifecycle:transition"] == "complete").all()
    assert first["value"].iloc[3] == 45.5 and first["value"].iloc[:3].isna().all()
    assert list(log.loc[log["case:concept:name"] == 1004, "concept:name"].astype(str))[-1] == "repeat_purchase"


def test_ga4_rows_name_stages_by_their_ecommerce_events_in_microseconds():
    observed = observed_like(JOURNEYS)
    observed.loc[observed["true_customer_id"] == 2, "consent"] = False
    names = ga4_event_names(["awareness", "interest", "purchase"])
    ga4 = ga4_events_table(observed, ["social", "search", "website"], names)
    assert list(ga4.columns) == list(GA4_COLUMNS)
    assert 1002 not in set(ga4["user_pseudo_id"])  # refused tracking: no analytics rows
    assert not (ga4["traffic_source"] == "store").any()  # offline: no analytics rows
    first = ga4.loc[ga4["user_pseudo_id"] == 1000]
    assert list(first["event_name"].astype(str)) == ["page_view", "view_item", "begin_checkout", "purchase"]
    assert first["event_timestamp"].iloc[1] == 1_704_067_200_000_000 + round(1.2 * 86_400_000_000)
    assert list(first["event_date"].astype(str)) == ["20240101", "20240102", "20240103", "20240103"]
    assert first["purchase_revenue"].iloc[3] == 45.5 and first["purchase_revenue"].iloc[:3].isna().all()


def test_sessions_split_at_the_inactivity_timeout_and_count_single_page_bounces():
    events = hand_made_events([
        (0, 0.0, "awareness", "social", "touch", np.nan), (0, 0.01, "interest", "website", "touch", np.nan),
        (0, 1.0, "interest", "search", "touch", np.nan),
        (1, 0.5, "purchase", "website", "touch", np.nan), (1, 0.5, "purchase", "website", "purchase", 20.0),
        (2, 2.0, "awareness", "store", "touch", np.nan),
    ])  # fmt: skip
    sessions = web_sessions(observed_like(events), ["social", "search", "website"], timeout_days=30 / 1440)
    assert sessions[["user_id", "session_number", "start_days", "end_days", "pages", "purchases", "bounce"]].to_dict("records") == [
        {"user_id": 1000, "session_number": 1, "start_days": 0.0, "end_days": 0.01, "pages": 2, "purchases": 0, "bounce": False},
        {"user_id": 1000, "session_number": 2, "start_days": 1.0, "end_days": 1.0, "pages": 1, "purchases": 0, "bounce": True},
        {"user_id": 1001, "session_number": 1, "start_days": 0.5, "end_days": 0.5, "pages": 1, "purchases": 1, "bounce": False},
    ]
    assert list(sessions["source"].astype(str)) == ["social", "search", "website"]
    summary = session_summary(session_counts(sessions)).set_index("source")
    assert summary.loc["all", "sessions"] == 3 and summary.loc["all", "bounces"] == 1
    assert summary.loc["all", "site_bounce_rate"] == pytest.approx(1 / 3)


def test_media_panel_adds_spend_sales_impressions_and_last_touch_credit_by_week():
    data = {
        "name": "paid", "stages": ["awareness", "interest", "purchase"], "arrival_rate_per_day": 1.0,
        "channels": {c: {"mode": "offline" if c == "store" else "online", "sells": c in ("website", "store")} for c in CHANNELS},
        "touchpoints": {
            "awareness": {"social": {"delay_days": {"dist": "fixed", "value": 1.0}, "advance": 1.0}},
            "interest": {"search": {"delay_days": {"dist": "fixed", "value": 1.0}, "advance": 1.0}},
            "purchase": {"website": {"delay_days": {"dist": "fixed", "value": 1.0}, "advance": 1.0}},
        },
        "personas": {"p": {"share": 1.0, "affinity": {"social": 1, "search": 1, "website": 1}, "order_value": {"dist": "fixed", "value": 10.0}}},
        "budget": {"social": {"spend_per_day": 100.0, "max_arrivals_per_day": 5.0, "half_saturation": 50.0, "plan": [{"from_day": 7, "to_day": 10, "spend_per_day": 400.0}]}},
        "calendar": [{"name": "spring sale", "from_day": 3, "to_day": 10, "multiplier": 2.0}],
    }  # fmt: skip
    scenario = js.scenario_from_dict(data)
    observed = observed_like(JOURNEYS, ids={0: 7, 1: 7})  # customers 0 and 1 under one id: its purchase credited to its last touch
    panel = media_panel_table(panel_parts(JOURNEYS, observed, ["social"], 7), scenario, horizon=20.0, replications=[0])
    assert list(panel["period"]) == [0, 1, 2] and list(panel["date"]) == ["2024-01-01", "2024-01-08", "2024-01-15"]
    assert list(panel["days"]) == [7, 7, 6]
    spend = daily_spend(scenario.budget["social"], 20)
    assert list(panel["spend_social"]) == [spend[:7].sum(), spend[7:14].sum(), spend[14:].sum()] == [700.0, 1600.0, 600.0]
    assert list(panel["conversions"]) == [3, 0, 0] and list(panel["revenue"]) == [87.75, 0.0, 80.0]
    assert list(panel["impressions_social"]) == [4, 0, 0]
    assert panel.loc[0, "last_touch_conversions_website"] == 3 and panel.loc[0, "last_touch_revenue_website"] == 87.75
    assert panel.loc[0, "last_touch_conversions_none"] == 0
    assert list(panel["campaign_spring_sale"]) == pytest.approx([4 / 7, 3 / 7, 0.0])
    assert panel.loc[0, "revenue_per_conversion"] == pytest.approx(87.75 / 3)
    # A purchase whose id carries no contact before it is credited to none.
    alone = observed.loc[~((observed["true_customer_id"] == 2) & (observed["event"] == "touch"))]
    panel = media_panel_table(panel_parts(JOURNEYS, alone, ["social"], 7), scenario, horizon=20.0, replications=[0])
    assert panel.loc[0, "last_touch_conversions_none"] == 1 and panel.loc[0, "last_touch_revenue_none"] == 30.25


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A small run written with full visibility (the files of ``output.observed=true``)."""
    from conftest import funnel_scenario_data

    from journeysim.simulation.observed_exports import ObservedExport

    scenario = js.scenario_from_dict({**funnel_scenario_data(), "arrival_rate_per_day": 60.0})
    settings = js.RunSettings(seed=2, horizon_days=12.0, replications=2, progress=False)
    run = js.simulate(scenario, settings)
    folder = tmp_path_factory.mktemp("exported")
    export = ObservedExport(scenario, settings, lambda name: folder / name)
    export.add_run(run.events, run.customers)
    record = export.finish(run.metrics())
    return scenario, run, folder / "observed", record


def channel_transitions(events: pd.DataFrame) -> dict[tuple[str, str], int]:
    """journeysim's own count of what follows what in each journey: the channel of a touch,
    or the kind of a sale, to the next (per customer, in time order)."""
    rows = events.loc[events["event"].isin(["touch", "purchase", "repeat_purchase"])]
    rows = rows.iloc[np.lexsort((np.arange(len(rows)), rows["time_days"].to_numpy(), rows["customer_id"].to_numpy(), rows["replication"].to_numpy()))]
    activity = np.where(rows["event"] == "touch", rows["channel"].astype(str), rows["event"].astype(str))
    same = (rows["customer_id"].to_numpy()[1:] == rows["customer_id"].to_numpy()[:-1]) & (rows["replication"].to_numpy()[1:] == rows["replication"].to_numpy()[:-1])
    pairs = pd.Series(list(zip(activity[:-1][same], activity[1:][same])))
    return pairs.value_counts().to_dict()


def test_full_visibility_paths_and_event_log_equal_the_truth(exported):
    scenario, run, folder, _ = exported
    assert (folder / "paths.csv").read_bytes() == (folder / "paths_truth.csv").read_bytes()
    assert read_path_table(folder / "paths.csv")["total_conversions"].sum() == (run.events["event"] == "purchase").sum()
    log = pd.read_csv(folder / "event_log.csv")
    assert len(log) == run.events["event"].isin(["touch", "purchase", "repeat_purchase"]).sum()
    assert log["case:concept:name"].nunique() == run.events.loc[run.events["event"] == "touch", ["replication", "customer_id"]].drop_duplicates().shape[0]


def test_pm4py_reads_the_event_log_and_finds_journeysim_s_channel_transitions(exported):
    pm4py = pytest.importorskip("pm4py")
    _, run, folder, record = exported
    expected = channel_transitions(run.events)
    log = pd.read_csv(folder / "event_log.csv", dtype={"case:concept:name": str})
    log = pm4py.format_dataframe(log, case_id="case:concept:name", activity_key="concept:name", timestamp_key="time:timestamp")
    dfg, _, _ = pm4py.discover_dfg(log)
    assert dict(dfg) == expected
    assert record["xes"] == "event_log.xes"
    xes = pm4py.read_xes(str(folder / "event_log.xes"), show_progress_bar=False)
    dfg, _, _ = pm4py.discover_dfg(xes)
    assert dict(dfg) == expected


def test_journeysim_fit_reads_the_ga4_export_with_its_column_mapping(exported):
    scenario, run, folder, _ = exported
    stages = list(scenario.journey_stages)
    names = ga4_event_names(stages)
    log = js.read_journey_log(
        folder / "ga4_events.csv", stages,
        columns={"customer_id": "user_pseudo_id", "timestamp": "event_timestamp", "event": "event_name", "channel": "traffic_source", "value": "purchase_revenue"},
        events={name: stage for stage, name in names.items()},
    )  # fmt: skip
    online = [c for c, spec in scenario.channels.items() if spec.mode == "online"]
    truth = run.events.loc[run.events["channel"].isin(online) & run.events["event"].isin(["touch", "purchase", "repeat_purchase"])]
    assert log.frame["customer_id"].nunique() == truth[["replication", "customer_id"]].drop_duplicates().shape[0]
    assert (log.frame["stage"] == "purchase").sum() >= (truth["event"] == "purchase").sum()
