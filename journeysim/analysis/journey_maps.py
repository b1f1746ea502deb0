"""The journey map as a table, and a day in the life of a few sampled customers.

Pure functions of a run's tables (customers, events) and its scenario; the HTML report
(:mod:`journeysim.reporting.report_html`) draws them. :func:`journey_map_table` is the classic
map: per persona, every touchpoint of its map (stage x channel) with who reaches it, what
happens there and how it feels; :func:`day_in_the_life` picks, per persona, one customer who
bought, one lost to friction and one still on the way, with every event of their journey.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from journeysim.model.scenario import Scenario

JOURNEY_MAP_COLUMNS = [
    "persona", "stage", "channel", "advance", "drop", "friction", "effective_friction", "emotion",
    "arrivals", "customers", "reach", "touches", "advance_share", "stay_share", "drop_share", "friction_loss_share",
    "lost_waiting", "mean_emotion",
]  # fmt: skip
# The three customers of a day in the life, in the order they are drawn.
STORIES = ("converted", "lost to friction", "open")
DAY_COLUMNS = ["persona", "story", "replication", "customer_id", "days_since_arrival", "event", "stage", "channel", "outcome", "emotion", "value"]


def journey_map_table(scenario: Scenario, customers: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """One row per persona and touchpoint of its map at a journey stage, in scenario order.

    A touchpoint is on the persona's map when its map has it and the persona can choose its
    channel (affinity > 0), or when the run recorded touches there (a referred prospect's
    word of mouth). Columns: the touchpoint as configured (``advance``, ``drop``,
    ``friction``, ``effective_friction`` = 1 - (1 - friction)^k for the persona's
    sensitivity k, ``emotion``); the persona's ``arrivals``; ``customers`` who touched it at
    least once and ``reach`` = customers / arrivals; ``touches`` and the share of them that
    advanced, stayed, dropped, and were lost to friction; ``lost_waiting``, customers lost
    after giving up in the channel's queue at that stage; ``mean_emotion`` of the touches
    (friction included). Totals over the replications.
    """
    touches = events.loc[events["event"] == "touch", ["replication", "customer_id", "persona", "stage", "channel", "outcome", "emotion"]]
    keys = ["persona", "stage", "channel"]
    touches = touches.assign(**{key: touches[key].astype(str) for key in keys + ["outcome"]})
    grouped = touches.groupby(keys, sort=False)
    counts = grouped["outcome"].value_counts().unstack(fill_value=0)
    counts = counts.reindex(columns=["advance", "stay", "drop", "friction_drop"], fill_value=0)
    reached = touches.drop_duplicates(["replication", "customer_id", *keys]).groupby(keys, sort=False).size()
    emotion = grouped["emotion"].mean()
    gave_up = events.loc[(events["event"] == "renege") & (events["outcome"] == "friction_drop"), keys].astype(str).value_counts()
    arrivals = customers["persona"].astype(str).value_counts()

    rows = []
    for persona_name, persona in scenario.personas.items():
        table = scenario.persona_touchpoints(persona_name)
        for stage in scenario.journey_stages:
            for channel in scenario.channel_names:
                touchpoint = table.get((stage, channel))
                key = (persona_name, stage, channel)
                touched = key in counts.index
                if touchpoint is None or not (persona.affinity.get(channel, 0.0) > 0 or touched):
                    continue
                effective = touchpoint.effective(persona.friction_sensitivity)
                outcome = counts.loc[key] if touched else pd.Series(0, index=counts.columns)
                total = int(outcome.sum())
                share = (lambda n: n / total) if total else (lambda n: np.nan)
                persona_arrivals = int(arrivals.get(persona_name, 0))
                rows.append({
                    "persona": persona_name, "stage": stage, "channel": channel,
                    "advance": touchpoint.advance, "drop": touchpoint.drop, "friction": touchpoint.friction,
                    "effective_friction": effective.effective_friction, "emotion": touchpoint.emotion,
                    "arrivals": persona_arrivals, "customers": int(reached.get(key, 0)),
                    "reach": reached.get(key, 0) / persona_arrivals if persona_arrivals else np.nan,
                    "touches": total, "advance_share": share(outcome["advance"]), "stay_share": share(outcome["stay"]),
                    "drop_share": share(outcome["drop"]), "friction_loss_share": share(outcome["friction_drop"]),
                    "lost_waiting": int(gave_up.get(key, 0)), "mean_emotion": float(emotion.get(key, np.nan)),
                })  # fmt: skip
    return pd.DataFrame(rows, columns=JOURNEY_MAP_COLUMNS)


def stage_emotion(journey_map: pd.DataFrame, stages: Sequence[str]) -> pd.DataFrame:
    """The emotion curve of each persona's map: per persona and stage, the mean emotion of the
    touches there (each touchpoint's mean weighted by its touches); NaN where nobody touched."""
    table = journey_map.assign(weighted=journey_map["mean_emotion"].fillna(0.0) * journey_map["touches"])
    sums = table.groupby(["persona", "stage"], sort=False)[["weighted", "touches"]].sum()
    sums["mean_emotion"] = sums["weighted"] / sums["touches"].where(sums["touches"] > 0)
    personas = list(dict.fromkeys(journey_map["persona"]))
    grid = pd.MultiIndex.from_product([personas, list(stages)], names=["persona", "stage"])
    return sums.reindex(grid)[["touches", "mean_emotion"]].reset_index()


def day_in_the_life(customers: pd.DataFrame, events: pd.DataFrame, personas: Sequence[str], rng: np.random.Generator) -> pd.DataFrame:
    """Per persona (in the order of ``personas``), three customers drawn at random with ``rng``: one who bought
    (``converted``), one lost to friction (``lost to friction``: at a touch or after giving up
    in a queue) and one whose journey was still open at the horizon (``open``), with every
    event of their journey in time order (``days_since_arrival``). A persona without such a
    customer has no rows for that story. Customers with at least one touch are drawn when
    there are any. The same ``rng`` state draws the same customers."""
    persona = customers["persona"].astype(str).to_numpy()
    outcome = customers["outcome"].astype(str).to_numpy()
    kinds = {
        "converted": outcome == "converted",
        "lost to friction": (outcome == "lost") & customers["lost_to_friction"].to_numpy(dtype=bool),
        "open": outcome == "open",
    }
    touched = customers["touches"].to_numpy() > 0
    chosen = []
    for name in personas:
        for story in STORIES:
            candidates = np.flatnonzero((persona == name) & kinds[story] & touched)
            if not len(candidates):  # nobody of that story touched anything yet: an arrival is all there is
                candidates = np.flatnonzero((persona == name) & kinds[story])
            if len(candidates):
                row = customers.iloc[int(rng.choice(candidates))]
                chosen.append((name, story, int(row["replication"]), int(row["customer_id"]), float(row["arrival_days"])))
    picked = pd.DataFrame(chosen, columns=["persona", "story", "replication", "customer_id", "arrival_days"])
    if picked.empty:
        return pd.DataFrame(columns=DAY_COLUMNS)
    lives = events.drop(columns="persona").merge(picked, on=["replication", "customer_id"], how="inner", sort=False)
    lives["days_since_arrival"] = lives["time_days"] - lives["arrival_days"]
    for column in ("event", "stage", "channel", "outcome"):
        lives[column] = lives[column].astype(object).where(lives[column].notna(), "").astype(str)
    order = {(p, s): i for i, (p, s) in enumerate(zip(picked["persona"], picked["story"]))}
    lives["_order"] = [order[key] for key in zip(lives["persona"], lives["story"])]
    lives = lives.sort_values(["_order", "days_since_arrival"], kind="stable")
    return lives[DAY_COLUMNS].reset_index(drop=True)
