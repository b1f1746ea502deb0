"""The survey answer mapping and its closed forms (journeysim.model.surveys)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from journeysim.model.surveys import (
    QUESTIONS,
    SCALES,
    ResponseProbability,
    answer_probabilities,
    answers,
    expected_csat,
    expected_nps,
)


def test_answers_without_noise_are_the_mapping_rounded_halves_up():
    s = np.array([-1.0, -0.3, 0.0, 0.25, 0.3, 0.7, 1.0])
    zero = np.zeros(len(s))
    assert answers("csat", s, 0.0, zero).tolist() == [1, 2, 3, 4, 4, 4, 5]  # 3 + 2 s: 2.4 -> 2, 3.5 -> 4
    assert answers("nps", s, 0.0, zero).tolist() == [3, 5, 7, 8, 8, 9, 10]  # 6.5 + 4 s: 2.5 -> 3, 6.5 -> 7, 9.3 -> 9, 10.5 -> 10
    assert answers("ces", s, 0.0, zero).tolist() == [1, 3, 4, 5, 5, 6, 7]  # 4 + 3 s: 3.1 -> 3, 4.75 -> 5, 6.1 -> 6


def test_noise_moves_the_latent_and_answers_stay_on_their_scale():
    assert answers("nps", np.array([0.0, 0.0]), 0.5, np.array([1.0, -4.0])).tolist() == [9, 0]  # 6.5 + 4 * 0.5 = 8.5 -> 9; -1.5 clipped at 0
    assert answers("csat", np.array([0.9]), 2.0, np.array([4.0])).tolist() == [5]


@given(s=st.floats(-1, 1), noise=st.floats(0, 3), question=st.sampled_from(QUESTIONS))
def test_answer_probabilities_are_a_distribution_on_the_scale(s, noise, question):
    p = answer_probabilities(question, s, noise)
    assert len(p) == SCALES[question].high - SCALES[question].low + 1
    assert np.all(p >= -1e-15) and p.sum() == pytest.approx(1.0)


def test_without_noise_all_the_probability_is_on_the_mapped_answer():
    for s in (-1.0, -0.3, 0.0, 0.25, 0.7, 1.0):
        for question in QUESTIONS:
            p = answer_probabilities(question, s, 0.0)
            assert SCALES[question].points()[np.argmax(p)] == answers(question, np.array([s]), 0.0, np.zeros(1))[0] and p.max() == 1.0


def test_closed_forms_at_known_points():
    # Without noise: 6.5 + 4 s is a promoter from s = 0.5, a detractor below s = 0 (neutral or worse).
    assert expected_nps(0.6, 0.0) == 100.0 and expected_nps(0.2, 0.0) == 0.0 and expected_nps(-0.1, 0.0) == -100.0
    # With noise sigma: P(promoter) = 1 - Phi((0.5 - s) / sigma), P(detractor) = Phi((0 - s) / sigma).
    from scipy.stats import norm

    s, sigma = 0.5, 0.3
    assert expected_nps(s, sigma) == pytest.approx(100 * (norm.sf((0.5 - s) / sigma) - norm.cdf((0.0 - s) / sigma)))
    assert expected_csat(s, sigma) == pytest.approx(100 * norm.sf((0.25 - s) / sigma))  # 3 + 2 L >= 3.5


def test_response_probability_rises_with_intensity_either_way():
    p = ResponseProbability(neutral=0.1, extreme=0.4)
    np.testing.assert_allclose(p.at(np.array([-1.0, -0.5, 0.0, 0.5, 1.0])), [0.4, 0.25, 0.1, 0.25, 0.4])
