"""The per-touch scalar twins of scipy's logit and expit give scipy's numbers to the bit:
the SimPy engine moves drop probabilities with them, the vectorised engine with scipy."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from journeysim.model.experience import (
    carried_cuts,
    carried_cuts_array,
    scalar_expit,
    scalar_logit,
)


@settings(max_examples=500, deadline=None)
@given(p=st.floats(0.0, 1.0, exclude_min=True, exclude_max=True) | st.sampled_from([0.3, 0.5, 0.65, 1e-300, 1 - 1e-16]),
       x=st.floats(-1000, 1000))
def test_scalar_logit_and_expit_are_scipys_to_the_bit(p, x):
    assert scalar_logit(p) == special.logit(p)
    assert scalar_expit(x) == special.expit(x)


def test_many_values_and_the_carried_cuts_agree_to_the_bit():
    rng = np.random.default_rng(7)
    p = rng.random(20_000)
    assert np.array_equal([scalar_logit(v) for v in p.tolist()], special.logit(p))
    advance, drop, mood, strength = rng.random(5_000) * 0.5, 0.5 + rng.random(5_000) * 0.5, rng.normal(size=5_000), rng.random(5_000) * 3
    friction = (advance + drop) / 2
    arrays = carried_cuts_array(advance, friction, drop, mood, strength)
    scalars = np.array([carried_cuts(*row) for row in zip(advance.tolist(), friction.tolist(), drop.tolist(), mood.tolist(), strength.tolist())]).T
    assert np.array_equal(np.vstack(arrays), scalars)
