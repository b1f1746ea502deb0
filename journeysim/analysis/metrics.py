"""Journey KPIs as pure functions of the customers table and the event log.

Every function takes tables (as produced by any engine) and returns a tidy DataFrame; none
runs a simulation. Rates are shares of arrivals unless the name says otherwise. ``ALL`` is
the persona label of the row that pools every persona.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from journeysim.analysis.intervals import t_half_width
from journeysim.analysis.survey_metrics import SURVEY_KPI_DESCRIPTIONS, with_survey_kpis

ALL = "all"

# KPI name -> short description, in report order (also the column order of metrics.csv).
KPI_DESCRIPTIONS: dict[str, str] = {
    "arrivals": "customers who entered the journey",
    "converted": "customers who bought",
    "lost": "customers who dropped out",
    "open": "journeys still running at the horizon (censored)",
    "conversion_rate": "converted / arrivals",
    "loss_rate": "lost / arrivals",
    "open_share": "open / arrivals",
    "bounce_rate": "lost at their first touch / arrivals",
    "friction_loss_rate": "lost to friction / arrivals",
    "touches_per_customer": "mean touches per arrival",
    "touches_to_convert": "mean touches before purchase, among converted",
    "time_to_convert_days": "mean days from arrival to purchase, among converted",
    "median_time_to_convert_days": "median days from arrival to purchase",
    "satisfaction": "mean satisfaction of customers with an experienced moment (the mean and the peak-end of their experienced moments: model.experience)",
    "revenue": "order value of purchases",
    "revenue_per_arrival": "revenue / arrivals",
    "average_order_value": "revenue / purchases (first and repeat)",
    "contact_cost": "sum of cost per contact over touches (channels without a media budget)",
    "media_spend": "paid-media spend, split by audience share",
    "staff_cost": "staff on duty at channels with staff (hours x staff cost per hour), split by served contacts",
    "total_cost": "contact cost + media spend + staff cost",
    "cost_per_acquisition": "total cost / converted",
    "return_on_spend": "revenue / total cost",
    "profit": "revenue - total cost (before the cost of the goods sold, which the model does not know)",
    "renege_rate": "queue abandonments (reneges) / arrivals",
    "repeat_purchase_rate": "converted customers with a repeat purchase / converted",
    "purchases_per_customer": "(first + repeat purchases) / converted",
    "active_share_at_horizon": "converted customers not churned at the horizon / converted",
    "loyalty_rate": "converted customers who reached loyalty / converted",
    "revenue_per_customer": "revenue / converted: value per customer over the horizon (CLV at the horizon)",
    "advocates": "customers who became advocates",
    "referrals": "recommendations made by advocates",
    "referral_conversions": "converted customers who came through a referral",
    "word_of_mouth_share": "converted customers acquired by word of mouth / converted",
    "detractors": "dissatisfied customers who spread negative word of mouth",
    "negative_referrals": "complaints made by detractors",
    "put_off": "prospects a complaint reached before they arrived",
    # CSAT, NPS, CES and the true satisfaction beside them (journeysim.analysis.survey_metrics).
    **SURVEY_KPI_DESCRIPTIONS,
}


def kpi_table(
    customers: pd.DataFrame,
    events: pd.DataFrame | None = None,
    by: Sequence[str] = (),
    spend: pd.DataFrame | None = None,
    staff: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per persona (and one pooled ``all`` row), a column per KPI.

    ``by`` adds grouping columns, e.g. ``("replication",)`` for one row per replication and
    persona. ``spend`` (columns persona, spend: media spend of ONE replication, as
    :func:`journeysim.model.media.budget_table` gives with replications=1) enters the costs, once
    per replication a row covers. ``staff`` (columns channel, staff_cost: ONE replication,
    as :func:`journeysim.model.staffing.staff_table` gives) enters them too, shared out by
    :func:`staff_cost_per_customer`. ``surveys`` (a run's surveys table) gives the survey
    KPIs (:mod:`journeysim.analysis.survey_metrics`); None, they are NaN (no surveys).
    """
    keys = list(by)
    staff_costs = staff_cost_per_customer(customers, events, staff)
    per_persona = _kpis(customers, keys + ["persona"], spend, staff_costs)
    pooled = _kpis(customers, keys, spend, staff_costs).assign(persona=ALL)
    table = pd.concat([per_persona, pooled], ignore_index=True)
    table["persona"] = table["persona"].astype(str)
    table = with_survey_kpis(table, surveys, keys, ALL, customers)
    columns = keys + ["persona"] + list(KPI_DESCRIPTIONS)
    table = table[columns]
    return table.sort_values(keys, kind="stable", ignore_index=True) if keys else table


def staff_cost_per_customer(customers: pd.DataFrame, events: pd.DataFrame | None, staff: pd.DataFrame | None) -> np.ndarray:
    """Each customer's share of the staff cost (activity-based costing).

    In every replication, a channel's staff cost (one replication's, from ``staff``) is
    shared among the customers its staff served, in proportion to their served contacts
    (touch events at the channel). Where the channel served nobody in a replication, or the
    event log is not given, the cost is shared equally among that replication's customers.
    The shares add up to the staff cost of every replication that has customers.
    """
    cost = np.zeros(len(customers))
    if staff is None or not len(staff) or not len(customers):
        return cost
    staff = staff.loc[staff["staff_cost"] > 0]
    if not len(staff):
        return cost
    replication = customers["replication"].to_numpy() if "replication" in customers else np.zeros(len(customers), dtype=np.int64)
    index = pd.MultiIndex.from_arrays([replication, customers["customer_id"].to_numpy()], names=["replication", "customer_id"])
    customers_in = pd.Series(1, index=replication).groupby(level=0).size()
    touches = None
    if events is not None and len(events):
        served = events.loc[(events["event"] == "touch") & events["channel"].isin(staff["channel"]), ["replication", "channel", "customer_id"]]
        touches = served.assign(channel=served["channel"].astype(str)).groupby(["channel", "replication", "customer_id"]).size()
    for channel, amount in zip(staff["channel"], staff["staff_cost"]):
        served_in: np.ndarray = np.array([], dtype=replication.dtype)
        if touches is not None and channel in touches.index.get_level_values("channel"):
            here = touches.xs(channel, level="channel")
            shares = here / here.groupby(level="replication").transform("sum")
            cost += shares.reindex(index, fill_value=0.0).to_numpy() * amount
            served_in = here.index.get_level_values("replication").unique().to_numpy()
        # Replications whose customers this channel did not serve: shared equally.
        unserved = ~np.isin(replication, served_in)
        cost[unserved] += amount / customers_in.reindex(replication[unserved]).to_numpy()
    return cost


# Long: the KPI definitions, one line each in report order: read as a table, not a procedure.
def _kpis(customers: pd.DataFrame, keys: list[str], spend: pd.DataFrame | None = None, staff_costs: np.ndarray | None = None) -> pd.DataFrame:
    c = customers
    converted = c["outcome"] == "converted"
    lost = c["outcome"] == "lost"
    frame = pd.DataFrame(
        {
            "arrivals": 1,
            "converted": converted.astype(np.int64),
            "lost": lost.astype(np.int64),
            "open": (c["outcome"] == "open").astype(np.int64),
            "bounced": (lost & (c["touches"] == 1)).astype(np.int64),
            "friction_lost": c["lost_to_friction"].astype(np.int64),
            "touches": c["touches"].astype(np.int64),
            "touches_converted": c["touches"].where(converted).astype(np.float64),
            "time_converted": c["time_to_convert_days"].astype(np.float64),
            "satisfaction": c["satisfaction"].astype(np.float64),
            "revenue": c["revenue"].astype(np.float64),
            "contact_cost": c["contact_cost"].astype(np.float64),
            "staff_cost": np.zeros(len(c)) if staff_costs is None else staff_costs,
            "reneges": c["reneges"].astype(np.int64),
            "repeaters": (converted & (c["repeat_purchases"] > 0)).astype(np.int64),
            "repeat_purchases": c["repeat_purchases"].astype(np.int64),
            "active": c["active_at_horizon"].astype(np.int64),
            "loyal": (converted & c["loyal"]).astype(np.int64),
            "advocates": c["advocate"].astype(np.int64),
            "referrals": c["referrals"].astype(np.int64),
            "referral_conversions": (converted & (c["source"] == "referral")).astype(np.int64),
            "detractors": c["detractor"].astype(np.int64),
            "negative_referrals": c["negative_referrals"].astype(np.int64),
            "put_off": c["heard_negative"].astype(np.int64),
            "replication": c["replication"] if "replication" in c else 0,
        }
    )
    for key in keys:
        frame[key] = c[key]
    if keys:
        grouped = frame.groupby(keys, observed=False, sort=True)  # personas with no arrivals keep a row
    else:
        # A categorical key with one category keeps the pooled row even with no customers.
        grouped = frame.assign(_one=pd.Categorical([0] * len(frame), categories=[0])).groupby("_one", observed=False)
    sums = grouped[
        ["arrivals", "converted", "lost", "open", "bounced", "friction_lost", "touches", "revenue", "contact_cost", "staff_cost", "reneges",
         "repeaters", "repeat_purchases", "active", "loyal", "advocates", "referrals", "referral_conversions",
         "detractors", "negative_referrals", "put_off"]
    ].sum()
    means = grouped[["touches_converted", "time_converted", "satisfaction"]].mean()
    replications = grouped["replication"].nunique() if len(frame) else pd.Series(0, index=sums.index)
    if spend is not None and len(spend):
        by_persona = spend.groupby("persona")["spend"].sum()
        if "persona" in keys:
            persona_level = sums.index.get_level_values("persona").astype(str)
            per_replication = persona_level.map(lambda p: float(by_persona.get(p, 0.0)))
        else:
            per_replication = np.full(len(sums), float(by_persona.sum()))
        media = pd.Series(np.asarray(per_replication, dtype=float) * replications.reindex(sums.index).fillna(0).to_numpy(), index=sums.index)
    else:
        media = pd.Series(0.0, index=sums.index)
    medians = grouped["time_converted"].median()
    out = pd.DataFrame(index=sums.index)
    arrivals = sums["arrivals"].astype(np.float64)
    out["arrivals"] = sums["arrivals"]
    out["converted"] = sums["converted"]
    out["lost"] = sums["lost"]
    out["open"] = sums["open"]
    out["conversion_rate"] = ratio(sums["converted"], arrivals)
    out["loss_rate"] = ratio(sums["lost"], arrivals)
    out["open_share"] = ratio(sums["open"], arrivals)
    out["bounce_rate"] = ratio(sums["bounced"], arrivals)
    out["friction_loss_rate"] = ratio(sums["friction_lost"], arrivals)
    out["touches_per_customer"] = ratio(sums["touches"], arrivals)
    out["touches_to_convert"] = means["touches_converted"]
    out["time_to_convert_days"] = means["time_converted"]
    out["median_time_to_convert_days"] = medians
    out["satisfaction"] = means["satisfaction"]
    out["revenue"] = sums["revenue"]
    out["revenue_per_arrival"] = ratio(sums["revenue"], arrivals)
    out["average_order_value"] = ratio(sums["revenue"], sums["converted"] + sums["repeat_purchases"])
    out["contact_cost"] = sums["contact_cost"]
    out["media_spend"] = media
    out["staff_cost"] = sums["staff_cost"]
    out["total_cost"] = total_cost(sums["contact_cost"], media, sums["staff_cost"])
    out["cost_per_acquisition"] = cost_per_acquisition(out["total_cost"], sums["converted"])
    out["return_on_spend"] = return_on_spend(sums["revenue"], out["total_cost"])
    out["profit"] = profit(sums["revenue"], out["total_cost"])
    out["renege_rate"] = ratio(sums["reneges"], arrivals)
    out["repeat_purchase_rate"] = ratio(sums["repeaters"], sums["converted"])
    out["purchases_per_customer"] = ratio(sums["converted"] + sums["repeat_purchases"], sums["converted"])
    out["active_share_at_horizon"] = ratio(sums["active"], sums["converted"])
    out["loyalty_rate"] = ratio(sums["loyal"], sums["converted"])
    out["revenue_per_customer"] = ratio(sums["revenue"], sums["converted"])
    out["advocates"] = sums["advocates"]
    out["referrals"] = sums["referrals"]
    out["referral_conversions"] = sums["referral_conversions"]
    out["word_of_mouth_share"] = ratio(sums["referral_conversions"], sums["converted"])
    out["detractors"] = sums["detractors"]
    out["negative_referrals"] = sums["negative_referrals"]
    out["put_off"] = sums["put_off"]
    out = out.reset_index()
    return out.drop(columns="_one", errors="ignore")


def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator as floats, NaN where the denominator is 0 (no customers)."""
    numerator = numerator.astype(np.float64)
    denominator = denominator.astype(np.float64)
    return numerator.div(denominator.where(denominator != 0))


# The money KPIs, defined once: the KPI table, the per-channel budget report and the budget
# optimiser all compute them with these functions.
def total_cost(contact_cost, media_spend, staff_cost):
    """Contact cost + media spend + staff cost."""
    return contact_cost + media_spend + staff_cost


def cost_per_acquisition(total: pd.Series, new_customers: pd.Series) -> pd.Series:
    """Total cost / customers who bought for the first time (NaN without any)."""
    return ratio(total, new_customers)


def return_on_spend(revenue: pd.Series, total: pd.Series) -> pd.Series:
    """Revenue / total cost (NaN without cost)."""
    return ratio(revenue, total)


def loyal_customers(kpis: pd.DataFrame) -> pd.Series:
    """Converted customers who reached loyalty, a count, from KPI table rows (loyalty rate x converted)."""
    return (kpis["loyalty_rate"].fillna(0.0) * kpis["converted"]).round().astype(np.float64)


def profit(revenue, total):
    """Revenue - total cost (before the cost of goods sold, which the model does not know)."""
    return revenue - total


def funnel(customers: pd.DataFrame, events: pd.DataFrame, stages: Sequence[str] | None = None, purchase_stage: str | None = None) -> pd.DataFrame:
    """Stage reach per persona: customers who were ever at each stage, and as a share of arrivals.

    A customer reached a journey stage if it touched a channel there or ended its run there;
    a post-purchase stage (after ``purchase_stage``) if it bought and got that far. The
    ``converted`` row of each persona counts buyers.
    """
    touches = events.loc[events["event"] == "touch", ["replication", "customer_id", "persona", "stage"]]
    ends = customers[["replication", "customer_id", "persona", "final_stage"]].rename(columns={"final_stage": "stage"})
    visits = pd.concat([touches, ends], ignore_index=True).drop_duplicates(["replication", "customer_id", "stage"])
    stage_order = list(stages) if stages is not None else list(customers["final_stage"].cat.categories)
    rows = []
    arrivals = customers.groupby("persona", observed=True).size()
    reached = visits.groupby(["persona", "stage"], observed=True).size()
    converted = customers.loc[customers["outcome"] == "converted"].groupby("persona", observed=True).size()
    personas = [str(p) for p in arrivals.index]
    for persona in personas + [ALL]:
        for stage in stage_order:
            if persona == ALL:
                count = int(reached.xs(stage, level="stage").sum()) if stage in reached.index.get_level_values("stage") else 0
            else:
                count = int(reached.get((persona, stage), 0))
            rows.append((persona, stage, count))
        bought = int(converted.sum() if persona == ALL else converted.get(persona, 0))
        rows.append((persona, "converted", bought))
    table = pd.DataFrame(rows, columns=["persona", "stage", "customers"])
    if purchase_stage is not None and purchase_stage in stage_order:
        post = stage_order[stage_order.index(purchase_stage) + 1 :]
        if post:
            reach = funnel_post_purchase(customers, stage_order, post).set_index(["persona", "stage"])["customers"]
            keys = list(zip(table["persona"], table["stage"]))
            table["customers"] = [int(reach.get(key, count)) if key[1] in post else count for key, count in zip(keys, table["customers"])]
            # converted comes right after purchase, before the post-purchase stages
            order = {s: i for i, s in enumerate(stage_order[: stage_order.index(purchase_stage) + 1] + ["converted"] + post)}
            table = table.sort_values(["persona", "stage"], key=lambda col: col.map(order) if col.name == "stage" else col.map(
                {p: i for i, p in enumerate(dict.fromkeys(table["persona"]))}), kind="stable", ignore_index=True)
    totals = table["persona"].map(lambda p: int(arrivals.sum() if p == ALL else arrivals.get(p, 0)))
    table["share_of_arrivals"] = table["customers"] / totals.where(totals > 0)
    return table


def touchpoint_table(events: pd.DataFrame) -> pd.DataFrame:
    """Stage x channel (per persona and pooled): touches, outcomes, drop-off and how much of it is friction."""
    touches = events.loc[events["event"] == "touch", ["persona", "stage", "channel", "outcome", "emotion", "cost"]]
    # Pooled, then every persona at once (grouped by their codes, each group in row order).
    pooled = _touchpoints(touches, ["stage", "channel"]).assign(persona=ALL)
    per_persona = _touchpoints(touches, ["persona", "stage", "channel"])
    per_persona["persona"] = per_persona["persona"].astype(str)
    out = pd.concat([pooled, per_persona], ignore_index=True)
    order = ["persona", "stage", "channel", "touches", "advance", "stay", "drop", "friction_drop", "lost", "drop_rate", "friction_share_of_loss", "mean_emotion", "contact_cost"]
    out["stage"] = out["stage"].astype(str)
    out["channel"] = out["channel"].astype(str)
    return out[order]


def _touchpoints(touches: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """:func:`touchpoint_table`'s columns for touches grouped by ``keys``."""
    counts = touches.groupby([*keys, "outcome"], observed=True).size().unstack("outcome", fill_value=0)
    for column in ("advance", "stay", "drop", "friction_drop"):
        if column not in counts:
            counts[column] = 0
    table = counts[["advance", "stay", "drop", "friction_drop"]].copy()
    table.columns.name = None
    table["touches"] = table.sum(axis=1)
    stats_ = touches.groupby(keys, observed=True).agg(mean_emotion=("emotion", "mean"), contact_cost=("cost", "sum"))
    table = table.join(stats_)
    table["lost"] = table["drop"] + table["friction_drop"]
    table["drop_rate"] = table["lost"] / table["touches"]
    table["friction_share_of_loss"] = table["friction_drop"] / table["lost"].where(table["lost"] > 0)
    return table.reset_index()


def dropoff_by_stage(customers: pd.DataFrame) -> pd.DataFrame:
    """Where customers were lost: per persona and stage, lost customers and the friction part."""
    lost = customers.loc[customers["outcome"] == "lost"]
    frames = []
    for persona, group in [(ALL, lost)] + [(str(p), g) for p, g in lost.groupby("persona", observed=True)]:
        table = group.groupby("final_stage", observed=False).agg(lost=("outcome", "size"), lost_to_friction=("lost_to_friction", "sum"))
        frames.append(table.reset_index().rename(columns={"final_stage": "stage"}).assign(persona=persona))
    out = pd.concat(frames, ignore_index=True)
    arrivals = customers.groupby("persona", observed=True).size()
    totals = out["persona"].map(lambda p: int(arrivals.sum() if p == ALL else arrivals.get(p, 0)))
    out["loss_share_of_arrivals"] = out["lost"] / totals.where(totals > 0)
    out["stage"] = out["stage"].astype(str)
    return out[["persona", "stage", "lost", "lost_to_friction", "loss_share_of_arrivals"]]


def replication_summary(per_replication: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and t-interval over replications of every KPI column, per persona (long format)."""
    kpis = [k for k in KPI_DESCRIPTIONS if k in per_replication]
    long = per_replication.melt(id_vars=["replication", "persona"], value_vars=kpis, var_name="kpi")
    rows = []
    for (persona, kpi), group in long.groupby(["persona", "kpi"], sort=False):
        values = group["value"].dropna().to_numpy(dtype=np.float64)
        n = len(values)
        mean = values.mean() if n else np.nan
        half = t_half_width(values.std(ddof=1) if n >= 2 else np.nan, n, confidence)
        rows.append((kpi, persona, mean, mean - half, mean + half, n))
    return pd.DataFrame(rows, columns=["kpi", "persona", "mean", "ci_low", "ci_high", "replications"])


def funnel_post_purchase(customers: pd.DataFrame, stages: Sequence[str], post_purchase: Sequence[str]) -> pd.DataFrame:
    """Reach of post-purchase stages: converted customers whose final stage is that one or later."""
    order = {stage: index for index, stage in enumerate(stages)}
    rank = customers["final_stage"].astype(str).map(order)
    rows = []
    groups = [(ALL, customers, rank)] + [
        (str(p), g, rank[g.index]) for p, g in customers.groupby("persona", observed=True)
    ]
    for persona, group, group_rank in groups:
        converted = group["outcome"] == "converted"
        for stage in post_purchase:
            rows.append((persona, stage, int((converted & (group_rank >= order[stage])).sum())))
    return pd.DataFrame(rows, columns=["persona", "stage", "customers"])


def loyalty_timeline(events: pd.DataFrame, horizon_days: float, replications: int = 1, step_days: float = 1.0) -> pd.DataFrame:
    """Customers over time (mean over replications): cumulative first purchases, active
    customers (bought, not churned), cumulative repeat purchases, loyal customers, advocates."""
    grid = np.arange(0.0, horizon_days + step_days / 2, step_days)

    def cumulative(kind: str) -> np.ndarray:
        times = np.sort(events.loc[events["event"] == kind, "time_days"].to_numpy())
        return np.searchsorted(times, grid, side="right") / replications

    converted = cumulative("purchase")
    return pd.DataFrame(
        {
            "day": grid,
            "customers": converted,
            "active_customers": converted - cumulative("churn"),
            "repeat_purchases": cumulative("repeat_purchase"),
            "loyal_customers": cumulative("loyal"),
            "advocates": cumulative("advocate"),
            "referrals": cumulative("referral"),
        }
    )
