"""Figures as ``data:`` URIs a self-contained page embeds, and the report's pain-point figure.

Figures are drawn with matplotlib's object API from a table the folder holds, with mathtext
off (a ``$`` in a name is a dollar sign), and embedded as base64 PNG: no file beside the
page, no markup of its own inside it.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from journeysim.reporting.figures import plain_text

EXACT_COLOUR, SIMULATED_COLOUR = "#9ecae1", "#08519c"
PNG_DPI = 90


def data_uri(figure: Figure, dpi: int = PNG_DPI) -> str:
    """``figure`` as a ``data:image/png;base64,...`` URI for an ``<img src>``."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return png_uri(buffer.getvalue())


def png_uri(png: bytes) -> str:
    """PNG bytes as a ``data:image/png;base64,...`` URI."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def figure_uri(files: Mapping[str, bytes], name: str, draw: Callable[[], Figure]) -> str:
    """The figure file ``name`` of ``files`` as a URI, else the figure ``draw`` makes."""
    return png_uri(files[name]) if name in files else data_uri(draw())


@plain_text
def pain_point_figure(pain_points: pd.DataFrame, label: Callable[[pd.Series], str], top: int = 10) -> Figure:
    """The ``top`` pain points by worth: conversions gained per replication of the run by
    removing each, the exact screen as a bar and, where confirmed, the simulated gain with
    its interval as a point and line."""
    rows = pain_points.head(top).iloc[::-1]
    figure = Figure(figsize=(9.0, 0.42 * len(rows) + 1.4), layout="constrained")
    ax = figure.subplots()
    y = np.arange(len(rows))
    ax.barh(y, rows["conversions_gained"], color=EXACT_COLOUR, label="exact screen")
    confirmed = rows["confirmed"].astype(bool).to_numpy()
    if confirmed.any():
        low = rows["simulated_conversions_gained_ci_low"].to_numpy(dtype=float)
        high = rows["simulated_conversions_gained_ci_high"].to_numpy(dtype=float)
        ax.hlines(y[confirmed], low[confirmed], high[confirmed], color=SIMULATED_COLOUR, linewidth=2)
        ax.plot(rows["simulated_conversions_gained"].to_numpy(dtype=float)[confirmed], y[confirmed], "o", color=SIMULATED_COLOUR,
                label="paired simulation (interval)")
    ax.set_yticks(y, [f"#{int(r['rank'])} {label(r)}" for _, r in rows.iterrows()], fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("conversions gained per replication of the run by removing it\n(ranked by the first-purchase revenue it gains)")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return figure
