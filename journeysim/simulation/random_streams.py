"""Random numbers: one seed in, reproducible and common across engines and scenario variants.

Two kinds of randomness, both derived from the run seed through ``numpy.random.SeedSequence``:

* **Arrival streams**: one ``numpy.random.Generator`` per (replication, persona), spawned
  with an explicit spawn key, draws that persona's Poisson arrival times.
* **Customer draws**: every other random number is a pure function of
  (replication key, persona, customer number, touch number, purpose), computed by a
  counter-based hash (three rounds of the SplitMix64 finaliser). A customer who meets the
  same situation gets the same number whichever engine runs it, in whatever order events
  happen, and in both states of a current-vs-future comparison (common random numbers).
  Purposes are the constants below; adding one never shifts the others.

Measurements of a run (surveys, what a brand records) hash the same way from keys of their
own (:func:`measurement_key`), so measuring a run never moves a journey draw.

No global random state is used anywhere.
"""

from __future__ import annotations

import numpy as np

# Purposes of draws. Journey draws are indexed by the customer's attempt number (touches and
# reneges); post-purchase draws by the repeat-purchase or referral number.
(
    CHANNEL,
    DELAY,
    OUTCOME,
    ORDER_VALUE,
    SERVICE_TIME,
    PATIENCE,
    AFTER_RENEGE,
    LOYALTY_RATE,
    CHURN_PROPENSITY,
    REPEAT_GAP,
    REPEAT_CHANNEL,
    REPEAT_VALUE,
    CHURN,
    ADVOCATE,
    REFERRAL_GAP,
    REFERRAL_TARGET,
    MARKET_ENTRY,
    VISIT_DEFERRAL,
    DETRACT,
    COMPLAINT_GAP,
    COMPLAINT_TARGET,
) = range(21)
N_PURPOSES = 32  # room for purposes added later without renumbering draws

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_PERSONA_STEP = 0xD1B54A32D192ED03
_CUSTOMER_STEP = 0x8CB92BA72F3D8DD7
_TOUCH_STEP = 0xD6E8FEB86659FD93
_UNIT = 2.0**-53


def replication_key(seed: int, replication: int) -> int:
    """The 64-bit key of one replication, from ``SeedSequence(seed)``'s spawned child ``replication``."""
    sequence = np.random.SeedSequence(seed, spawn_key=(replication,))
    return int(sequence.generate_state(1, np.uint64)[0])


def arrival_generator(seed: int, replication: int, persona_index: int) -> np.random.Generator:
    """The generator of one persona's arrivals in one replication."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, 1, persona_index)))


def stream_generator(seed: int, replication: int, stream: int) -> np.random.Generator:
    """A generator for other scenario-level randomness (kept apart from arrivals by ``stream``)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, 2, stream)))


# Measurements of a run (what a brand sees of the truth) draw from their own keys, one per
# kind of measurement, so they never share a number with the journey or with each other.
SURVEY_MEASUREMENT = 0
OBSERVATION_MEASUREMENT = 1  # what a brand records: consent, recording, identities (simulation.observation)


def measurement_key(seed: int, replication: int, measurement: int) -> int:
    """The 64-bit key of one kind of measurement of one replication (surveys:
    ``SURVEY_MEASUREMENT``), from ``SeedSequence(seed, spawn_key=(replication, 3, measurement))``:
    apart from the journey's key, so measuring a run never changes it."""
    sequence = np.random.SeedSequence(seed, spawn_key=(replication, 3, measurement))
    return int(sequence.generate_state(1, np.uint64)[0])


def _wrapping(function):
    """Run ``function`` with numpy's integer-overflow warnings off: the hash relies on wrap-around."""

    def wrapped(*args, **kwargs):
        with np.errstate(over="ignore"):
            return function(*args, **kwargs)

    wrapped.__doc__, wrapped.__name__ = function.__doc__, function.__name__
    return wrapped


def _mix(z: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser of ``z`` + the golden gamma, elementwise: worked in place on
    one new array (the caller's is left alone), twice as fast as a temporary per operation."""
    scalar = np.ndim(z) == 0
    z = np.atleast_1d(z + np.uint64(_GOLDEN))
    shifted = z >> np.uint64(30)
    z ^= shifted
    z *= np.uint64(_M1)
    np.right_shift(z, np.uint64(27), out=shifted)
    z ^= shifted
    z *= np.uint64(_M2)
    np.right_shift(z, np.uint64(31), out=shifted)
    z ^= shifted
    return z[0] if scalar else z


def _mix_int(z: int) -> int:
    z = (z + _GOLDEN) & _MASK
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


@_wrapping
def customer_keys(key: int, persona_index: int, customer_index: np.ndarray) -> np.ndarray:
    """One 64-bit key per customer (``customer_index`` counts a persona's arrivals from 0)."""
    persona_key = _mix_int((key + persona_index * _PERSONA_STEP) & _MASK)
    index = np.asarray(customer_index, dtype=np.uint64)
    return _mix(np.uint64(persona_key) + index * np.uint64(_CUSTOMER_STEP))


def customer_key(key: int, persona_index: int, customer_index: int) -> int:
    """Scalar twin of :func:`customer_keys` for customers created during a run (referrals)."""
    persona_key = _mix_int((key + persona_index * _PERSONA_STEP) & _MASK)
    return _mix_int((persona_key + customer_index * _CUSTOMER_STEP) & _MASK)


@_wrapping
def touch_uniforms(customer_key: np.ndarray, touch: np.ndarray | int, purpose: int) -> np.ndarray:
    """Uniform numbers in (0, 1), one per customer, for touch number ``touch`` and a purpose."""
    counter = np.asarray(touch, dtype=np.uint64) * np.uint64(N_PURPOSES) + np.uint64(purpose + 1)
    h = _mix(np.asarray(customer_key, dtype=np.uint64) + counter * np.uint64(_TOUCH_STEP))
    h >>= np.uint64(11)  # h is _mix's own array: ((h >> 11) + 0.5) * 2**-53, without temporaries
    u = h.astype(np.float64)
    u += 0.5
    u *= _UNIT
    return u


@_wrapping
def touch_hashes(customer_key: np.ndarray, touch: np.ndarray | int, purpose: int) -> np.ndarray:
    """The 64-bit hashes behind :func:`touch_uniforms` (same arguments, all 64 bits): opaque,
    reproducible identifiers, such as the pseudonymous ids a brand's analytics would give."""
    counter = np.asarray(touch, dtype=np.uint64) * np.uint64(N_PURPOSES) + np.uint64(purpose + 1)
    return _mix(np.asarray(customer_key, dtype=np.uint64) + counter * np.uint64(_TOUCH_STEP))


def touch_uniform(customer_key: int, touch: int, purpose: int) -> float:
    """Scalar twin of :func:`touch_uniforms` (bit-identical), for event-by-event engines."""
    counter = touch * N_PURPOSES + purpose + 1
    h = _mix_int((customer_key + counter * _TOUCH_STEP) & _MASK)
    return ((h >> 11) + 0.5) * _UNIT


@_wrapping
def touch_block(customer_keys_: np.ndarray, touches: int, purposes: tuple[int, ...]) -> np.ndarray:
    """Uniforms for the first ``touches`` touches: shape (customers, touches, len(purposes))."""
    keys = np.asarray(customer_keys_, dtype=np.uint64)[:, None, None]
    touch = np.arange(touches, dtype=np.uint64)[None, :, None]
    purpose = np.asarray(purposes, dtype=np.uint64)[None, None, :]
    counter = touch * np.uint64(N_PURPOSES) + purpose + np.uint64(1)
    h = _mix(keys + counter * np.uint64(_TOUCH_STEP))
    return ((h >> np.uint64(11)).astype(np.float64) + 0.5) * _UNIT
