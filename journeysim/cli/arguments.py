"""Argument types the commands share: argparse reports a bad value as one line, status 2."""

from __future__ import annotations

import argparse
from typing import Callable


def whole_number(name: str) -> Callable[[str], int]:
    """A whole number >= 0 (a seed, a count of resamples): ``type=whole_number("seed")``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number >= 0, got {text!r}") from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"{name} must be >= 0, got {text!r}")
        return value

    return parse
