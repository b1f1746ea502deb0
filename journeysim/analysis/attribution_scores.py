"""Scoring attribution models against the simulated truth: credit shares against true
incremental shares, and rank agreement."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from journeysim.analysis.attribution import MODEL_NAMES


def positive_shares(incremental: pd.Series) -> pd.Series:
    """max(x, 0) / sum(max(x, 0)): how the positive effects split (NaN when none is positive)."""
    positive = incremental.clip(lower=0)
    total = positive.sum()
    return positive / total if total > 0 else positive * np.nan


def misallocated_share(credit_share: Sequence[float], truth_share: Sequence[float]) -> float:
    """0.5 * sum |credit share - truth share|: the share of credit given to the wrong channels
    (0 = the truth's split, 1 = every credit on channels with no true effect)."""
    credit, truth = np.asarray(credit_share, dtype=float), np.asarray(truth_share, dtype=float)
    if np.isnan(truth).any():
        return np.nan
    return float(0.5 * np.abs(credit - truth).sum())


def rank_correlation(credited: Sequence[float], truth: Sequence[float]) -> float:
    """Spearman's rank correlation between a model's credits and the true incremental conversions
    (NaN when either is constant)."""
    credited, truth = np.asarray(credited, dtype=float), np.asarray(truth, dtype=float)
    if len(credited) < 2 or np.ptp(credited) == 0 or np.ptp(truth) == 0:
        return np.nan
    # Imported here: scipy.stats costs half a second to import, which jobs that never score attribution would pay.
    from scipy import stats

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(stats.spearmanr(credited, truth).statistic)


def compare_with_truth(credits: pd.DataFrame, truth: pd.DataFrame, replications: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tidy comparison and score tables from ``attribute_all`` credits (pooled over
    ``replications``) and a :func:`channel_incrementality` table."""
    truth = truth.set_index("channel")
    channels = list(dict.fromkeys([*truth.index, *credits["channel"].astype(str)]))
    incremental = truth["incremental_conversions"].reindex(channels).fillna(0.0)
    truth_share = positive_shares(incremental)
    rows = []
    for model in [m_ for m_ in MODEL_NAMES if m_ in set(credits["model"])]:
        own = credits.loc[credits["model"] == model].set_index("channel")
        for channel in channels:
            rows.append({
                "channel": channel,
                "model": model,
                "credited_conversions": float(own["conversions"].get(channel, 0.0)) / replications,
                "credit_share": float(own["share"].get(channel, 0.0)),
                "true_incremental_conversions": incremental[channel],
                "truth_ci_low": truth["incremental_conversions_ci_low"].get(channel, np.nan),
                "truth_ci_high": truth["incremental_conversions_ci_high"].get(channel, np.nan),
                "truth_share": truth_share[channel],
            })
    comparison = pd.DataFrame(rows)
    scores = pd.DataFrame([
        {
            "model": model,
            "misallocated_share": misallocated_share(group["credit_share"], group["truth_share"]),
            "spearman": rank_correlation(group["credited_conversions"], group["true_incremental_conversions"]),
        }
        for model, group in comparison.groupby("model", sort=False)
    ])
    return comparison, scores
