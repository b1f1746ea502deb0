"""Writing results: every file of a run appears complete or not at all.

:class:`AtomicOutput` stages files in a hidden folder next to their destination and moves
them into place only when the whole run has succeeded, then writes ``run.json`` last, so a
folder with ``run.json`` holds a complete result. A failed run removes its staging folder
and leaves whatever was there before untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

COMPLETE_MARKER = "run.json"
# Written instead of a result by a multirun job whose configuration is invalid (its problems).
INVALID_CONFIG_FILE = "invalid_config.txt"


class AtomicOutput:
    """``with AtomicOutput(folder) as out: df.to_csv(out.path("metrics.csv"))``."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.staging: Path | None = None
        self.written: list[str] = []

    def __enter__(self) -> "AtomicOutput":
        self.folder.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=self.folder))
        return self

    def path(self, name: str) -> Path:
        assert self.staging is not None, "use AtomicOutput as a context manager"
        self.written.append(name)
        return self.staging / name

    def write_csv(self, frame: pd.DataFrame, name: str) -> None:
        frame.to_csv(self.path(name), index=False)

    def write_parquet(self, frame: pd.DataFrame, name: str) -> None:
        frame.to_parquet(self.path(name), index=False)

    def write_text(self, text: str, name: str) -> None:
        self.path(name).write_text(text, encoding="utf-8")

    def finish(self, metadata: dict[str, Any]) -> None:
        """Move staged files into place, then write the completion marker."""
        assert self.staging is not None
        marker = self.folder / COMPLETE_MARKER
        if marker.exists():
            marker.unlink()  # an older result is being replaced: it is incomplete until we finish
        for name in self.written:
            os.replace(self.staging / name, self.folder / name)
        staged_marker = self.staging / COMPLETE_MARKER
        staged_marker.write_text(json.dumps({**metadata, "files": sorted(self.written)}, indent=2, default=str))
        os.replace(staged_marker, marker)

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
        self.staging = None


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """A staging file beside ``path`` that replaces it when the block succeeds: readers see
    the old file or the new one, never a part, and a failure leaves ``path`` as it was.
    ``with replacing(target) as staged: frame.to_csv(staged)``. The new file keeps the old
    one's permissions (ordinary ones for a new file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(handle)
    staged = Path(name)
    try:
        yield staged
        # mkstemp creates owner-only files; results are ordinary data.
        os.chmod(staged, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)


def write_text_atomically(path: str | Path, text: str) -> None:
    """Write one text file so that readers see the old content or the new, never a part."""
    with replacing(path) as staged:
        staged.write_text(text, encoding="utf-8")


def is_complete(folder: str | Path) -> bool:
    return (Path(folder) / COMPLETE_MARKER).is_file()


def package_version() -> str:
    """The installed journeysim version, as every ``run.json`` records it (``0+unknown`` from a bare checkout)."""
    try:
        return metadata.version("journeysim")
    except metadata.PackageNotFoundError:
        return "0+unknown"
