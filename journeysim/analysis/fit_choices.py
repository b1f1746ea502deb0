"""Channel choice fitted as the engines make it: Luce weights, and the channel hand-off.

At a stage a customer chooses among the channels offered there with probability
proportional to weights (:func:`luce_weights`: the persona's affinity). With a hand-off the
weights are affinity x h[previous channel, channel] (:func:`handoff_weights`). Only ratios
within a stage are identified, so each group of channels linked by the stages they share is
scaled to a largest weight of 1 (:func:`scale_by_group`).
"""

from __future__ import annotations

import numpy as np

MM_ITERATIONS = 1000
# A previous channel needs this many choices after it before its hand-off row is estimated.
MIN_HANDOFF_CHOICES = 50


def scale_by_group(w: np.ndarray, offered: np.ndarray) -> np.ndarray:
    """Weights scaled so the largest is 1 within each group of channels linked by stages they
    share (``offered``: [stage, channel] bool)."""
    group = np.arange(w.size)
    for stage_offer in offered:  # union of the channels offered together
        members = np.flatnonzero(stage_offer)
        if members.size:
            roots = np.unique(group[members])
            group[np.isin(group, roots)] = roots.min()
    out = w.copy()
    for root in np.unique(group):
        mine = group == root
        top = w[mine].max()
        if top > 0:
            out[mine] = w[mine] / top
    return out


def luce_weights(chosen: np.ndarray, offered: np.ndarray) -> np.ndarray:
    """Maximum-likelihood Luce weights from choice counts [stage, channel] among the channels
    ``offered`` [stage, channel], by minorise-maximise (Hunter 2004): w_c <- n_c / sum over
    stages s offering c of N_s / sum_{c' offered at s} w_c'."""
    n_stages, n_channels = chosen.shape
    n_c, n_s = chosen.sum(axis=0), chosen.sum(axis=1)
    w = np.where(offered.any(axis=0), 1.0, 0.0)
    for _ in range(MM_ITERATIONS):
        offered_weight = (offered * w).sum(axis=1)
        per_stage = np.divide(n_s, offered_weight, out=np.zeros(n_stages), where=offered_weight > 0)
        denominator = (offered * per_stage[:, None]).sum(axis=0)
        new = np.divide(n_c, denominator, out=np.zeros(n_channels), where=denominator > 0)
        new /= new.sum() or 1.0  # the updates keep each group's scale; fix it to compare
        converged = np.abs(new - w / (w.sum() or 1.0)).max() < 1e-13
        w = new
        if converged:
            break
    return scale_by_group(w, offered)


def choice_log_likelihood(chosen: np.ndarray, offered: np.ndarray, w: np.ndarray) -> float:
    """sum of n[s, c] log(w_c / sum_{c' offered at s} w_c') over the chosen cells."""
    totals = (offered * w).sum(axis=1, keepdims=True)
    probability = np.divide(w[None, :], totals, out=np.zeros_like(chosen, dtype=float), where=totals > 0)
    used = chosen > 0
    return float((chosen[used] * np.log(np.maximum(probability[used], 1e-300))).sum())


def handoff_weights(chosen_after: np.ndarray, offered: np.ndarray, affinity: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Hand-off weights h [previous channel + 1, channel] from choice counts after each
    previous channel ``chosen_after`` [previous + 1, stage, channel] (row 0: first touches):
    the Luce weights of the choices after a channel divided by ``affinity``, scaled per group.
    ``rows`` fixes which previous channels get a row (a bootstrap keeps the point estimate's);
    by default those with at least :data:`MIN_HANDOFF_CHOICES` choices after them.

    Returns (h, rows, log-likelihood gain over affinity alone, parameters added): h is 1
    where no row is estimated."""
    n_previous, _, n_channels = chosen_after.shape
    if rows is None:
        rows = np.array([k > 0 and chosen_after[k].sum() >= MIN_HANDOFF_CHOICES for k in range(n_previous)])
    h = np.ones((n_previous, n_channels))
    gain, parameters = 0.0, 0
    for k in np.flatnonzero(rows):
        here = offered & (chosen_after[k].sum(axis=1, keepdims=True) > 0)  # stages with choices after k
        v = luce_weights(chosen_after[k], here)
        used = here.any(axis=0)
        ratio = np.divide(v, affinity, out=np.ones(n_channels), where=used & (affinity > 0))
        h[k] = np.where(used, scale_by_group(ratio, here), 1.0)
        gain += choice_log_likelihood(chosen_after[k], here, v) - choice_log_likelihood(chosen_after[k], here, affinity)
        parameters += int(used.sum()) - _groups(here)
    return h, rows, gain, parameters


def _groups(offered: np.ndarray) -> int:
    """Groups of channels linked by the stages they share."""
    linked = scale_by_group(np.arange(1, offered.shape[1] + 1, dtype=float), offered)
    return int((linked[offered.any(axis=0)] == 1.0).sum())
