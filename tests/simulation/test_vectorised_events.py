"""The vectorised engine's event-log scatter and gather (engines.vectorised_events) on two
customers placed by hand: every row where the module docstring puts it, and a row no
chunk filled refused instead of gathered as a clipped cell."""

from __future__ import annotations

import numpy as np
import pytest

from journeysim.simulation.engines.vectorised_events import EventCells, event_columns
from journeysim.simulation.records import CONVERTED, LOST, NONE

# Cells: 0 arrival; 1, 2 touch cuts; 3, 4 their purchases (+2); 5, 6 their losses (+4).
CELLS = EventCells(
    stage=np.array([0, 0, 1, 0, 1, 0, 1], dtype=np.int8),
    channel=np.array([NONE, 2, 3, 2, 3, 2, 3], dtype=np.int8),
    event=np.array([0, 1, 1, 2, 2, 9, 9], dtype=np.int8),
    emotion=np.array([0.0, 0.1, 0.2, 0.3, 0.4, -0.5, -0.6], dtype=np.float32),
    experience=np.array([False, False, True, True, True, True, True]),
    cost=np.array([0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0], dtype=np.float32),
    arrival=0, purchase_offset=2, loss_offset=4,
)  # fmt: skip


def customers() -> dict:
    """Customer 0 touches twice and buys; customer 1 touches once and is lost to friction."""
    return {"outcome": np.array([CONVERTED, LOST], dtype=np.int8), "lost_to_friction": np.array([False, True]),
            "touches": np.array([2, 1], dtype=np.int32), "arrival_days": np.array([1.0, 2.0]),
            "persona": np.array([0, 1], dtype=np.int8)}  # fmt: skip


def rounds() -> list[tuple]:
    """Two rounds of touches: (touch index, customer, time, cut, outcome)."""
    first = (np.array([0, 0]), np.array([0, 1]), np.array([1.5, 2.5]), np.array([1, 2]), np.array([1, 3], dtype=np.int8))
    second = (np.array([1]), np.array([0]), np.array([3.0]), np.array([2]), np.array([0], dtype=np.int8))
    return [first, second]


def test_rows_are_placed_customer_by_customer_in_recording_order():
    columns = event_columns(CELLS, customers(), rounds(), np.array([40.0], dtype=np.float32), None, [])
    assert columns["customer_id"].tolist() == [0, 0, 0, 0, 1, 1, 1]
    assert columns["persona"].tolist() == [0, 0, 0, 0, 1, 1, 1]
    assert columns["time_days"].tolist() == [1.0, 1.5, 3.0, 3.0, 2.0, 2.5, 2.5]
    # arrival, touch (cut 1), touch (cut 2), its purchase (cell 4); arrival, touch (cut 2), its loss (cell 6)
    assert columns["event"].tolist() == [0, 1, 1, 2, 0, 1, 9]
    assert columns["stage"].tolist() == [0, 0, 1, 1, 0, 1, 1]
    assert columns["emotion"].tolist() == pytest.approx([0.0, 0.1, 0.2, 0.4, 0.0, 0.2, -0.6])
    assert columns["cost"].tolist() == [0.0, 1.0, 2.0, 0.0, 0.0, 2.0, 0.0]
    assert columns["outcome"].tolist() == [NONE, 1, 0, NONE, NONE, 3, NONE]
    value = columns["value"]
    assert value[3] == 40.0 and np.isnan(np.delete(value, 3)).all()


def test_a_row_no_round_filled_is_refused():
    """Customer 0 counts two touches but the rounds hold one: its second touch row would be
    gathered from an unset cell; clipping would turn it into a plausible touch."""
    with pytest.raises(RuntimeError, match="event row 2 has event cell -1"):
        event_columns(CELLS, customers(), rounds()[:1], np.array([40.0], dtype=np.float32), None, [])
