# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Strategist: what if we removed a friction, or sold on social?
#
# A strategist has a current-state journey map and two ideas for the future state:
#
# 1. **One-click checkout**: saved cards and wallet payments take most of the payment
#    stress out of buying on the website and the app.
# 2. **Social commerce**: shoppable posts, so a customer interested in a product on social
#    can buy it there instead of detouring through search and the website.
#
# Which one wins more customers, and where does the change come from? This tutorial answers
# both questions twice: instantly with the exact solver (expected values, no noise), then
# with paired simulations that add queues, word of mouth and the finite horizon, and give
# every difference an interval.
#
# Run it as a script (`python docs/tutorials/strategist_what_if.py`) or open it as a
# notebook (`jupytext --to notebook`). `JOURNEYSIM_TUTORIAL_QUICK=1` shrinks every run (the
# test suite uses it); the numbers quoted below are from a full-size run.

# %%
# %matplotlib inline
import os
from dataclasses import replace

import pandas as pd

import journeysim as js

pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 12)

QUICK = os.environ.get("JOURNEYSIM_TUTORIAL_QUICK") == "1"
HORIZON_DAYS = 20 if QUICK else 90          # simulated days
REPLICATIONS = 3 if QUICK else 10           # paired replications per comparison
ARRIVALS_PER_DAY = 30 if QUICK else 110     # organic arrivals a day (paid media come on top)
SEED = 1

# %% [markdown]
# ## The current state
#
# The default scenario is an omnichannel retailer with three personas. Payment friction at
# checkout is where the website loses people: a share `friction` of the customers who would
# have bought drop out instead (`f_eff = 1 - (1 - f)^k` for a persona with sensitivity `k`).

# %%
current = js.load_scenario("retail_omnichannel", changes={"arrival_rate_per_day": ARRIVALS_PER_DAY})
purchase = pd.DataFrame(
    [
        {"channel": channel, "advance": tp.advance, "drop": tp.drop, "friction": tp.friction}
        for (stage, channel), tp in current.touchpoints.items()
        if stage == current.purchase_stage
    ]
).set_index("channel")
print(purchase)

# %% [markdown]
# One simulated run of the current state gives the KPIs per persona: the baseline the
# futures are measured against.

# %%
baseline = js.simulate(current, seed=SEED, horizon_days=HORIZON_DAYS, progress=False)
kpis = baseline.metrics().set_index("persona")
print(kpis[["arrivals", "conversion_rate", "friction_loss_rate", "revenue_per_arrival"]].round(3))

# %% [markdown]
# ## The instant answer: the exact solver
#
# `js.solve` treats each persona's pre-purchase journey as an absorbing Markov chain and
# returns the probability that an arrival eventually buys, without simulating anyone. The
# one-click checkout study (`configs/experiment/one_click_checkout.yaml`) lowers the website's
# payment friction from 0.30 to 0.05 and the app's from 0.15 to 0.02.
#
# In this scenario a bad moment makes a customer likelier to drop at the next touches
# (emotion carry-over), which no chain over stages can hold; `without_carryover()` gives the
# journey the solver can answer, a quick screen before the simulation.

# %%
checkout_study, run_settings = js.load_experiment("one_click_checkout")
one_click = js.with_changes(current, checkout_study.changes)
exact = pd.DataFrame(
    {
        "current": js.solve(current.without_carryover()).summary.set_index("persona")["conversion_probability"],
        "one-click checkout": js.solve(one_click.without_carryover()).summary.set_index("persona")["conversion_probability"],
    }
)
exact["gain"] = exact["one-click checkout"] - exact["current"]
print(exact.round(4))

# %% [markdown]
# Every persona gains, most of all those who buy online. The solver leaves out what the
# chain cannot hold (carry-over, queues at the store and the call centre, word of mouth,
# customers still deciding at the end of the horizon), so the next step simulates both
# states.

# %% [markdown]
# ## The simulated answer: paired replications
#
# `run_experiment` simulates the current and the future state in paired replications with
# common random numbers: replication *i* of both states sees the same customers and the same
# random draws, so the difference reflects the change, not the noise. Here the shipped study
# runs with this tutorial's horizon and number of replications.

# %%
settings = replace(run_settings, seed=SEED, horizon_days=HORIZON_DAYS, progress=False)
checkout = js.run_experiment(current, settings, replace(checkout_study, replications=REPLICATIONS))
print(checkout.summary())

# %% [markdown]
# The row of one KPI has both states' means, the mean paired difference and its 95 %
# interval. The forest plot shows every KPI's relative change with its interval.

# %%
conversion = checkout.row("conversion_rate")
print(
    f"conversion: {conversion['current']:.2%} -> {conversion['future']:.2%}, "
    f"{100 * conversion['difference']:+.2f} pp [{100 * conversion['ci_low']:+.2f}, {100 * conversion['ci_high']:+.2f}]"
)
forest = checkout.forest_figure()
forest

# %% [markdown]
# ## The second idea: sell on social
#
# The social commerce study (`configs/experiment/social_commerce.yaml`) makes social a
# selling channel: an advance from interest on social jumps straight to a purchase there.

# %%
social_study, _ = js.load_experiment("social_commerce")
social = js.run_experiment(current, settings, replace(social_study, replications=REPLICATIONS))
for kpi in ("conversion_rate", "time_to_convert_days", "revenue_per_arrival"):
    row = social.row(kpi)
    print(f"{kpi}: {row['current']:.4g} -> {row['future']:.4g} ({row['difference']:+.3g} [{row['ci_low']:+.3g}, {row['ci_high']:+.3g}])")

# %% [markdown]
# Which channels lose purchases? The channel mix has each channel's share of (first)
# purchases in both states, summed over the replications (persona `all`).

# %%
mix = social.channel_mix
purchases = mix[(mix["measure"] == "purchases") & (mix["persona"] == "all")].set_index("channel")
print(purchases[["current_count", "future_count", "current_share", "future_share", "share_difference"]].round(3))

# %% [markdown]
# The funnels of both states, per persona:

# %%
funnels = social.funnels_figure()
funnels

# %% [markdown]
# ## The two futures side by side
#
# Both comparisons share the current state's random numbers, so their current columns are
# the same runs and the futures can be read against one baseline.

# %%
side_by_side = pd.DataFrame(
    {
        "current": {kpi: checkout.row(kpi)["current"] for kpi in ("conversion_rate", "revenue_per_arrival", "time_to_convert_days")},
        "one-click checkout": {kpi: checkout.row(kpi)["future"] for kpi in ("conversion_rate", "revenue_per_arrival", "time_to_convert_days")},
        "social commerce": {kpi: social.row(kpi)["future"] for kpi in ("conversion_rate", "revenue_per_arrival", "time_to_convert_days")},
    }
)
print(side_by_side.round(4))

# %% [markdown]
# At full size (10 paired replications of 90 days, seed 1) the one-click checkout lifted
# conversion from 13.0 % to 16.2 % (+3.1 pp, interval +3.0 to +3.2) and revenue per arrival
# from 15.9 to 19.5 EUR. Social commerce lifted conversion less (to 15.1 %) but shortened the
# time to convert most (18.1 to 16.3 days), and took 30 % of first purchases onto social,
# most of them from the app. The two ideas do not exclude each other: a study with both
# changes is one more `compare` call.

# %% [markdown]
# ## From the command line
#
# The same studies, at their full size (20 paired replications, 180 days), with every table
# and figure written to a folder:
#
# ```bash
# journeysim experiment=one_click_checkout
# journeysim experiment=social_commerce
# journeysim scenario.touchpoints.purchase.website.friction=0   # a one-off what-if
# ```
#
# See docs/experiments.md for the files a study writes and the statistics
# behind the intervals.
