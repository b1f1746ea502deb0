"""Real data shipped with journeysim, for tests, examples and checking the fitters.

**CDNOW sample** (:func:`load_cdnow_sample`): every purchase of 2,357 customers of the online
music retailer CDNOW from January 1997 to June 1998: a 1/10th sample of the cohort who
bought for the first time in the first quarter of 1997. These are the data of

    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting Your Customers" the Easy
    Way: An Alternative to the Pareto/NBD Model. Marketing Science 24(2), 275-284.

made public by Bruce Hardie (brucehardie.com/datasets). The file is ``CDNOW_sample.txt``
as the ``lifetimes`` package ships it (version 0.11.3, ``lifetimes/datasets/``), gzipped
and otherwise unchanged (SHA-256 of the text: 6fae1015...1d94a). Its 6,919 lines hold the
customer's id in the full CDNOW master file, their id in the sample (1 to 2,357), the date
(``yyyymmdd``), the number of CDs bought and the amount paid in US dollars.

**Example touch log** (:func:`load_example_touch_log`): 60 days of a shop's journeys as a
brand would export them, simulated by journeysim from a known scenario
(:func:`example_touch_log_truth`: five channels, three personas, frictions, a shortcut and a
channel hand-off), so a fit of it can be checked against the truth. ``tests/test_datasets.py``
regenerates it from that scenario and seed and compares it with the file.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pandas as pd

CDNOW_FILE = "CDNOW_sample.txt.gz"
EXAMPLE_LOG_FILE, EXAMPLE_TRUTH_FILE = "example_touch_log.csv.gz", "example_touch_log.json"


def load_cdnow_sample() -> pd.DataFrame:
    """The CDNOW sample's 6,919 purchase records, one row each, in file order.

    Columns: ``customer_id`` (str, the sample's id ``"1"`` to ``"2357"``), ``date``
    (datetime64, the day of the purchase), ``quantity`` (int, CDs bought) and ``value``
    (float, US dollars; 8 records are 0). A customer may have several records on one day:
    Fader, Hardie & Lee count those as one transaction
    (:func:`journeysim.analysis.fit_transactions.customer_summary` merges them)."""
    with resources.files("journeysim").joinpath("data", CDNOW_FILE).open("rb") as stream:
        raw = pd.read_csv(
            stream,
            compression="gzip",
            sep=r"\s+",
            header=None,
            names=["master_id", "customer_id", "date", "quantity", "value"],
            dtype={"master_id": str, "customer_id": str, "date": str, "quantity": "int64", "value": "float64"},
        )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"].str.lstrip("0"),
            "date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "quantity": raw["quantity"],
            "value": raw["value"],
        }
    )


def load_example_touch_log() -> pd.DataFrame:
    """The example touch log: 20,571 rows, one per touch or purchase, in time order.

    Columns: ``customer_id`` (str, ``c000000``...), ``timestamp`` (datetime64, from 2 March
    2026), ``channel``, ``stage``, ``persona`` (str), ``event`` (``touch`` or ``purchase``),
    ``value`` (float, a purchase's value; NaN on touches) and ``reason`` (str, ``friction``
    where the touch lost the customer to friction, else empty)."""
    with resources.files("journeysim").joinpath("data", EXAMPLE_LOG_FILE).open("rb") as stream:
        log = pd.read_csv(stream, compression="gzip", dtype={"customer_id": str, "channel": str, "stage": str, "persona": str, "event": str, "reason": str},
                          keep_default_na=False, na_values={"value": [""]})
    log["timestamp"] = pd.to_datetime(log["timestamp"], format="%Y-%m-%d %H:%M:%S.%f")
    return log


def example_touch_log_truth() -> dict[str, Any]:
    """How the example touch log was made: ``seed``, ``horizon_days``, ``start`` and the
    ``scenario`` (plain data for :func:`journeysim.scenario_from_dict`)."""
    return json.loads(resources.files("journeysim").joinpath("data", EXAMPLE_TRUTH_FILE).read_text(encoding="utf-8"))
