"""The experience side of a journey: which moments are experienced, how they add up to a
customer's satisfaction, how a moment's emotion carries over to the next touches, and how
dissatisfied customers talk.

**Experienced moments.** Seeing an ad or a social post is exposure; being served (website,
app, store, call centre), buying, waiting in a queue and being lost to friction are
experiences. A touch is experienced when its touchpoint says so (``experience``), else when
its channel does (``channels.X.experience``, true unless set false), and always at the
purchase stage (buying is done, not seen). Reneging from a queue, the purchase itself
(``experience.purchase_emotion``), each repeat purchase and being lost to friction
(``experience.friction_loss_emotion``) are experienced moments too.

**Satisfaction** over a customer's experienced moments e_1 .. e_n (time order) is

    satisfaction = (1 - w) * mean(e) + w * (peak + end) / 2

where ``peak`` is the most intense moment (largest |e|, the latest on ties), ``end`` = e_n and
w = ``experience.peak_end_weight``: the peak-end rule of remembered experience (Kahneman,
Fredrickson, Schreiber & Redelmeier 1993, "When more pain is preferred to less"; Redelmeier &
Kahneman 1996) blended with the plain mean. It is NaN for a customer with no experienced
moment (only exposures).

**Carry-over.** A persona's mood m starts at 0; after every touch (or renege) it becomes
``decay * m + e`` (e the moment's emotion, 0 for an exposure), so a moment's weight decays
geometrically with the touches that follow. At the next touch the probability of dropping
d (friction losses included) moves on the log-odds scale, logit d' = logit d - strength * m,
and advancing and staying share 1 - d' in their old proportion; friction keeps its share of
the drops. A bad moment (m < 0) raises the drop probability at the next touches, a good one
lowers it; d = 0 and d = 1 stay as they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special


@dataclass(frozen=True)
class Experience:
    """How moments add up to satisfaction (scenario section ``experience``)."""

    peak_end_weight: float = 0.5
    purchase_emotion: float = 0.5
    friction_loss_emotion: float = -1.0


@dataclass(frozen=True)
class EmotionCarryover:
    """A persona's mood moving its drop probability (``personas.X.emotion_carryover``);
    ``strength`` 0 turns it off."""

    strength: float = 0.0
    decay: float = 0.5

    @property
    def active(self) -> bool:
        return self.strength != 0.0


@dataclass(frozen=True)
class Detraction:
    """Negative word of mouth, the mirror of advocacy (``personas.X.detraction``).

    When a customer's journey reaches a verdict (lost, first purchase or churn) with
    satisfaction below ``satisfaction_threshold``, they become a detractor with
    ``probability`` and complain at ``referral_rate_per_day`` for ``talk_days``. Each negative
    referral reaches one prospect of the same persona who has not arrived yet; when that
    prospect arrives, ``strength`` of their would-be advances at the first stage become drops.
    """

    probability: float
    referral_rate_per_day: float
    satisfaction_threshold: float = -0.25
    strength: float = 0.5
    talk_days: float = 30.0


def satisfaction(total: float, count: int, peak: float, end: float, weight: float) -> float:
    """A customer's satisfaction from the running sums of their experienced moments."""
    if count == 0:
        return math.nan
    return (1.0 - weight) * total / count + weight * (peak + end) / 2.0


def satisfactions(total: np.ndarray, count: np.ndarray, peak: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """:func:`satisfaction`, elementwise (NaN where ``count`` is 0)."""
    mean = np.divide(total, count, out=np.full(len(total), np.nan), where=count > 0)
    return (1.0 - weight) * mean + weight * (peak + end) / 2.0


def new_peak(peak: float, emotion: float) -> float:
    """The running peak after a moment: the moment itself when at least as intense."""
    return emotion if abs(emotion) >= abs(peak) else peak


def carried_drop(drop: float, mood: float, strength: float) -> float:
    """The drop probability d' = expit(logit d - strength * mood) (d itself at 0 or 1)."""
    if drop <= 0.0 or drop >= 1.0 or mood == 0.0:
        return drop
    return scalar_expit(scalar_logit(drop) - strength * mood)


def scalar_logit(p: float) -> float:
    """``scipy.special.logit`` of one float, to the bit (the formula of scipy 1.15 and later,
    which the project requires: log(p / (1 - p)), and for 0.3 <= p <= 0.65
    log1p(2p - 1) - log1p(1 - 2p)), without a ufunc call per touch."""
    if p < 0.3 or p > 0.65:
        return math.log(p / (1.0 - p))
    twice = 2.0 * (p - 0.5)
    return math.log1p(twice) - math.log1p(-twice)


def scalar_expit(x: float) -> float:
    """``scipy.special.expit`` of one float, to the bit: 1 / (1 + exp(-x))."""
    try:
        return 1.0 / (1.0 + math.exp(-x))
    except OverflowError:  # exp(-x) beyond the largest float: scipy's 1 / (1 + inf)
        return 0.0


def carried_cuts(advance_cut: float, friction_cut: float, drop_cut: float, mood: float, strength: float) -> tuple[float, float, float]:
    """Outcome thresholds (advance, friction, drop cuts of one uniform draw) once the mood
    has moved the drop probability (:func:`carried_drop`)."""
    drop = drop_cut - advance_cut
    moved = carried_drop(drop, mood, strength)
    if moved == drop:
        return advance_cut, friction_cut, drop_cut
    keep = (1.0 - moved) / (1.0 - drop)
    advance = advance_cut * keep
    friction = (friction_cut - advance_cut) * moved / drop
    return advance, advance + friction, advance + moved


def carried_cuts_array(advance_cut: np.ndarray, friction_cut: np.ndarray, drop_cut: np.ndarray, mood: np.ndarray, strength: np.ndarray):
    """:func:`carried_cuts`, elementwise (``strength`` per element)."""
    drop = drop_cut - advance_cut
    moves = (drop > 0.0) & (drop < 1.0) & (mood != 0.0) & (strength != 0.0)
    if not moves.any():
        return advance_cut, friction_cut, drop_cut
    advance, friction, cut = advance_cut.copy(), friction_cut.copy(), drop_cut.copy()
    d = drop[moves]
    moved = special.expit(special.logit(d) - strength[moves] * mood[moves])
    a = advance_cut[moves] * ((1.0 - moved) / (1.0 - d))
    advance[moves] = a
    friction[moves] = a + (friction_cut[moves] - advance_cut[moves]) * moved / d
    cut[moves] = a + moved
    return advance, friction, cut
