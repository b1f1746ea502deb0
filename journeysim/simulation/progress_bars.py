"""Progress bars for long runs and studies: tqdm's (a widget in a notebook, text in a
terminal), loaded only when a bar is to be shown, so a silent run does not import tqdm and
the asyncio it brings (about 40 ms)."""

from __future__ import annotations

from typing import Any


class SilentBar:
    """What a run with ``progress=False`` reports to: tqdm's calls (``update``, ``refresh``,
    a settable ``total``, a context manager), each doing nothing."""

    def __init__(self, total: float = 0) -> None:
        self.total = total

    def __enter__(self) -> SilentBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: float = 1) -> None:
        return None

    def refresh(self) -> None:
        return None


def progress_bar(*, disable: bool, **options: Any):
    """``tqdm.auto.tqdm(**options)``, or a :class:`SilentBar` when ``disable``."""
    if disable:
        return SilentBar(options.get("total") or 0)
    from tqdm.auto import tqdm

    return tqdm(**options)


__all__ = ["SilentBar", "progress_bar"]
