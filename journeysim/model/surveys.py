"""Surveys: how a brand measures its customers' satisfaction, with noise and non-response bias.

The simulation knows each customer's true satisfaction s in [-1, 1] at every moment
(:mod:`journeysim.model.experience`). A brand only sees what customers answer when asked.
A scenario's ``surveys`` section says:

* **when** a survey is sent (``after``): after the first ``purchase``, a ``repeat_purchase``,
  a ``service`` contact (a touch at a channel with capacity, or giving up in its queue),
  at ``churn``, or after a ``friction_loss``; of those moments, ``invitation_probability``
  get an invitation (the rest are not sampled);
* **who answers**: the probability of responding depends on how the customer feels,
  p(s) = neutral + (extreme - neutral) * |s|, so unhappy and delighted customers answer more
  than indifferent ones (non-response bias) when ``extreme > neutral``;
* **what they answer**: each question is answered from a latent L = s + ``noise`` * Z
  (Z standard normal, drawn anew per question) rounded to the nearest point of its scale
  (halves up) and clipped to it:

  ======== ====================== ============ ============================================
  question scale                  answer       read as
  ======== ====================== ============ ============================================
  ``csat`` 1-5 (very unsatisfied  3 + 2 L      CSAT = share of answers 4-5 (top two boxes)
           .. very satisfied)
  ``nps``  0-10 (likelihood to    6.5 + 4 L    NPS = % promoters (9-10) - % detractors (0-6)
           recommend)
  ``ces``  1-7 (CES 2.0: "made it 4 + 3 L      CES = mean answer; higher is easier
           easy", disagree ..
           agree)
  ======== ====================== ============ ============================================

So with s fixed, each answer's distribution has a closed form in the normal CDF Phi
(:func:`answer_probabilities`), and so has the expected NPS (:func:`expected_nps`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

# Moments that can trigger a survey, in the order their codes follow (random-number keys).
PURCHASE, REPEAT_PURCHASE, SERVICE, CHURN, FRICTION_LOSS = "purchase", "repeat_purchase", "service", "churn", "friction_loss"
TRIGGERS = (PURCHASE, REPEAT_PURCHASE, SERVICE, CHURN, FRICTION_LOSS)
CSAT, NPS, CES = "csat", "nps", "ces"
QUESTIONS = (CSAT, NPS, CES)


@dataclass(frozen=True)
class Scale:
    """An answer scale: whole points from ``low`` to ``high``, answered as centre + spread * L."""

    low: int
    high: int
    centre: float
    spread: float

    def points(self) -> np.ndarray:
        return np.arange(self.low, self.high + 1)


SCALES = {
    CSAT: Scale(1, 5, 3.0, 2.0),
    NPS: Scale(0, 10, 6.5, 4.0),
    CES: Scale(1, 7, 4.0, 3.0),
}
CSAT_SATISFIED = 4  # CSAT counts answers of 4 and 5 (the top two boxes)
NPS_PROMOTER, NPS_DETRACTOR = 9, 6  # promoters answer 9-10, detractors 0-6


@dataclass(frozen=True)
class ResponseProbability:
    """p(s) = neutral + (extreme - neutral) * |s|: the chance an invited customer answers,
    from ``neutral`` at satisfaction 0 to ``extreme`` at -1 or +1."""

    neutral: float = 0.1
    extreme: float = 0.3

    def at(self, satisfaction: np.ndarray | float) -> np.ndarray:
        return self.neutral + (self.extreme - self.neutral) * np.abs(satisfaction)


@dataclass(frozen=True)
class Surveys:
    """A scenario's surveys (section ``surveys``; absent: no surveys): the moments that send
    one (``after``), the share of them invited, the response probability by satisfaction, the
    answers' noise and the questions asked (CSAT, NPS, CES)."""

    after: tuple[str, ...] = (PURCHASE,)
    invitation_probability: float = 1.0
    response_probability: ResponseProbability = ResponseProbability()
    noise: float = 0.3
    questions: tuple[str, ...] = QUESTIONS


def answers(question: str, satisfaction: np.ndarray, noise: float, normal: np.ndarray) -> np.ndarray:
    """The answers to ``question`` of customers with ``satisfaction``, given standard normal
    draws ``normal``: round(centre + spread * (s + noise * Z)), halves up, clipped to the scale."""
    scale = SCALES[question]
    latent = np.asarray(satisfaction, dtype=np.float64) + noise * np.asarray(normal, dtype=np.float64)
    return np.clip(np.floor(scale.centre + scale.spread * latent + 0.5), scale.low, scale.high).astype(np.int8)


def answer_probabilities(question: str, satisfaction: float, noise: float) -> np.ndarray:
    """P(answer = k) for each point k of the question's scale (low .. high) at satisfaction s:
    Phi((b_k - s) / noise) - Phi((a_k - s) / noise), with [a_k, b_k) the latents that round to
    k (the end points take the tails). Noise 0 puts everything on one point."""
    scale = SCALES[question]
    points = scale.points()
    cuts = (points[1:] - 0.5 - scale.centre) / scale.spread  # latent where the answer steps up
    if noise == 0:
        below = (satisfaction < cuts).astype(np.float64)
    else:
        with np.errstate(over="ignore"):  # a tiny noise: +-inf, which ndtr takes to 0 or 1
            below = special.ndtr((cuts - satisfaction) / noise)
    cumulative = np.concatenate([below, [1.0]])
    return np.diff(cumulative, prepend=0.0)


def expected_nps(satisfaction: float, noise: float) -> float:
    """The NPS (-100..100) of customers with satisfaction s who all answer: 100 x (P(9-10) - P(0-6))."""
    p = answer_probabilities(NPS, satisfaction, noise)
    return 100.0 * (p[NPS_PROMOTER:].sum() - p[: NPS_DETRACTOR + 1].sum())


def expected_csat(satisfaction: float, noise: float) -> float:
    """The CSAT (% answering 4-5) of customers with satisfaction s who all answer."""
    p = answer_probabilities(CSAT, satisfaction, noise)
    return 100.0 * p[CSAT_SATISFIED - SCALES[CSAT].low :].sum()


def expected_ces(satisfaction: float, noise: float) -> float:
    """The mean CES answer (1-7) of customers with satisfaction s who all answer."""
    return float(answer_probabilities(CES, satisfaction, noise) @ SCALES[CES].points())
