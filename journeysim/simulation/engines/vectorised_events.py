"""The vectorised engine's event log: its columns, in customer order, from the rounds' chunks.

Every event row is one "event cell" of small lookup tables (:class:`EventCells`): a touch's
cell is its outcome-table cut (persona, stage, channel, plain or channel-switching), and the
purchase and loss to friction after it, the arrival and the post-purchase events have cells
of their own. Rows are placed by scattering into customer-major order, each customer's rows
contiguous and in recording order (arrival, touches, purchase or loss to friction, then
post-purchase events), which is time order: the customer order of
:mod:`journeysim.simulation.tables` with no sort. The columns then come from one gather per
table. Row positions are ``intp`` (numpy scatters several times slower with narrower
index arrays, which it converts on every use); the event cells themselves are kept in the
narrowest integer type that holds them and gathered a block of rows at a time, so the
conversion stays in cache and the wide copy never exists whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from journeysim.simulation.records import CONVERTED, NONE


@dataclass(frozen=True)
class EventCells:
    """The event columns by event cell, and where the cells of the events that follow a
    touch lie: its purchase at ``cut + purchase_offset``, its loss to friction at
    ``cut + loss_offset``; ``arrival`` is the arrival's cell."""

    stage: np.ndarray
    channel: np.ndarray
    event: np.ndarray
    emotion: np.ndarray
    experience: np.ndarray
    cost: np.ndarray
    arrival: int
    purchase_offset: int
    loss_offset: int


def event_columns(cells: EventCells, customers: dict, chunks: list[tuple], purchase_value: np.ndarray,
                  post_events: np.ndarray | None, post_chunks: list[tuple]) -> dict[str, np.ndarray]:
    """Event columns in customer-major order: a customer's arrival at its offset, its k-th
    touch at offset 1 + k, its purchase (or loss to friction) right after its last touch, and
    its post-purchase events after that, in slot order.

    ``chunks`` are the rounds' touches, (touch index, customer, time, cut, outcome);
    ``post_chunks`` the post-purchase events, (customer, slot, time, cell, value), with
    ``post_events`` of them per customer. Both lists are emptied as they are copied, so each
    chunk is freed as soon as it is placed."""
    converted = customers["outcome"] == CONVERTED
    lost = customers["lost_to_friction"]
    touches = customers["touches"]
    per_customer = 1 + touches.astype(np.int64) + converted + lost
    if post_events is not None:
        per_customer += post_events
    total = int(per_customer.sum())
    offset = np.zeros(len(per_customer), dtype=np.int64)
    np.cumsum(per_customer[:-1], out=offset[1:])
    time_days = np.empty(total)
    # -1 marks a row no chunk filled: the gather below refuses it (and any cell out of range).
    event_cell = np.full(total, -1, dtype=np.min_scalar_type(-len(cells.event)))  # int16 for up to 32,768 cells
    outcome = np.full(total, NONE, dtype=np.int8)
    time_days[offset] = customers["arrival_days"]
    event_cell[offset] = cells.arrival
    chunks.reverse()
    while chunks:
        touch, customer, when, cut, touch_outcome = chunks.pop()
        at = offset[customer] + (1 + touch)
        time_days[at] = when
        event_cell[at] = cut
        outcome[at] = touch_outcome
    value = np.full(total, np.nan, dtype=np.float32)
    bought = offset[converted] + 1 + touches[converted]
    time_days[bought] = time_days[bought - 1]
    event_cell[bought] = event_cell[bought - 1] + cells.purchase_offset
    value[bought] = purchase_value
    loss = offset[lost] + 1 + touches[lost]
    time_days[loss] = time_days[loss - 1]
    event_cell[loss] = event_cell[loss - 1] + cells.loss_offset
    post_chunks.reverse()
    while post_chunks:
        customer, slot, when, cell, post_value = post_chunks.pop()
        at = offset[customer] + touches[customer] + 2 + slot  # after the arrival, touches and purchase
        time_days[at] = when
        event_cell[at] = cell
        value[at] = post_value
    columns = {"customer_id": np.repeat(np.arange(len(per_customer), dtype=np.int32), per_customer),
               "persona": np.repeat(customers["persona"], per_customer), "time_days": time_days}
    by_cell = {"stage": cells.stage, "channel": cells.channel, "event": cells.event, "emotion": cells.emotion,
               "experience": cells.experience, "cost": cells.cost}
    columns.update((name, np.empty(total, dtype=table.dtype)) for name, table in by_cell.items())
    for start in range(0, total, GATHER_ROWS):
        rows = slice(start, start + GATHER_ROWS)
        cell = event_cell[rows].astype(np.intp)
        _check_cells(cell, len(cells.event), start)
        for name, table in by_cell.items():
            np.take(table, cell, out=columns[name][rows], mode="clip")  # "raise" would copy through a buffer
    return {**columns, "outcome": outcome, "value": value}


def _check_cells(cell: np.ndarray, cells: int, start: int) -> None:
    """Refuse a block of event rows with a row left unfilled (-1) or a cell beyond the tables:
    the gather clips indices rather than check them, which would hide such a row."""
    if cell.size and (cell.min() < 0 or cell.max() >= cells):
        row = start + int(np.flatnonzero((cell < 0) | (cell >= cells))[0])
        raise RuntimeError(f"vectorised engine: event row {row} has event cell {int(cell[row - start])}, "
                           f"not one of the {cells} cells (an internal error: please report it with the scenario)")


# Event rows gathered at a time: their cells as intp (2 MiB) stay in cache.
GATHER_ROWS = 1 << 18
