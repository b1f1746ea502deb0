"""Writing results: a run's folder holds its complete result or the one before, never a mix.

:class:`AtomicOutput` stages a result in a hidden sibling folder (``.NAME.partial-XXXX``
next to ``NAME``). When the whole result is written, :meth:`AtomicOutput.finish` completes
the staged folder (``run.json`` written last, and whatever else the folder holds that is
not part of its previous result: Hydra's ``.hydra/`` and log, a user's own files) and
swaps it with the folder in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``;
elsewhere two renames, between which the folder is briefly absent). A kill before the swap
leaves the previous result untouched; after it, the new one complete. Files of the previous
result that the new one does not write (``events.parquet`` of a run with
``output.events=false``) go with the previous result. A failed or interrupted run removes
its staging folder (:meth:`AtomicOutput.__exit__`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import sys
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
# Where Hydra records the job being run (``hydra.output_subdir`` in configs/config.yaml), and
# what that record becomes once the job's result is in place: ``.hydra/`` always describes
# the result beside it, never a later run that failed or was stopped.
HYDRA_PENDING, HYDRA_RECORD = ".hydra-pending", ".hydra"


class AtomicOutput:
    """``with AtomicOutput(folder) as out: df.to_csv(out.path("metrics.csv")); out.finish(meta)``."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.staging: Path | None = None
        self.written: list[str] = []

    def __enter__(self) -> "AtomicOutput":
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=f".{self.folder.name}.partial-", dir=self.folder.parent))
        return self

    def path(self, name: str) -> Path:
        assert self.staging is not None, "use AtomicOutput as a context manager"
        self.written.append(name)
        return self.staging / name

    def write_csv(self, frame: pd.DataFrame, name: str) -> None:
        spreadsheet_safe(frame).to_csv(self.path(name), index=False)

    def write_parquet(self, frame: pd.DataFrame, name: str) -> None:
        frame.to_parquet(self.path(name), index=False)

    def write_text(self, text: str, name: str) -> None:
        self.path(name).write_text(text, encoding="utf-8")

    def finish(self, metadata: dict[str, Any]) -> None:
        """Complete the staged folder (``run.json`` last) and swap it into place."""
        assert self.staging is not None
        (self.staging / COMPLETE_MARKER).write_text(json.dumps({**metadata, "files": sorted(self.written)}, indent=2, default=str))
        if not self.folder.exists():
            os.rename(self.staging, self.folder)
            self.staging = None
            return
        _carry_over(self.folder, self.staging, keep_out=_result_files(self.folder) | set(self.written) | {COMPLETE_MARKER})
        _exchange(self.staging, self.folder)
        # The staging path now holds the previous result: it goes, the new one stays.
        shutil.rmtree(self.staging, ignore_errors=True)
        self.staging = None

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
        self.staging = None


def _result_files(folder: Path) -> set[str]:
    """The files the folder's current result wrote (its ``run.json`` lists them)."""
    try:
        meta = json.loads((folder / COMPLETE_MARKER).read_text())
    except (OSError, ValueError):
        return set()
    files = meta.get("files") if isinstance(meta, dict) else None
    return {str(name) for name in files} if isinstance(files, list) else set()


def _carry_over(folder: Path, staging: Path, keep_out: set[str]) -> None:
    """Hard-link into ``staging`` what ``folder`` holds besides its result: Hydra's record of
    this run (``.hydra-pending/``, which becomes ``.hydra/``) and log (a link keeps a log
    that is still being written growing in both places), a user's own files. Other staging
    folders are left where they are."""
    pending = (folder / HYDRA_PENDING).is_dir()
    keep_out = {name.split("/")[0] for name in keep_out}  # a result's subfolders go whole
    for entry in folder.iterdir():
        if entry.name in keep_out or entry.name.startswith(f".{folder.name}.partial-"):
            continue
        if pending and entry.name == HYDRA_RECORD:
            continue  # the earlier result's record goes with it; this run's replaces it
        target = staging / (HYDRA_RECORD if entry.name == HYDRA_PENDING else entry.name)
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, target, copy_function=_link_or_copy, symlinks=True)
        else:
            _link_or_copy(entry, target)


def _link_or_copy(source: str | Path, target: str | Path) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(source, target, follow_symlinks=False)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> None:
    """Swap two folders in one atomic step where the system can; else two renames."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if hasattr(libc, "renameat2"):
            done = libc.renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
            if done == 0:
                return
    aside = first.with_name(first.name + ".previous")
    os.rename(second, aside)
    os.rename(first, second)
    os.rename(aside, first)


# A spreadsheet reads a cell starting with one of these as a formula (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """``text``, with a leading apostrophe when a spreadsheet would run it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell a spreadsheet would read as a formula neutralised
    (:func:`safe_cell`): names come from configs and data files other people wrote. Numbers
    are left alone; the frame is copied only when a cell changes."""
    changed = {}
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            categories = [safe_cell(c) if isinstance(c, str) else c for c in values.cat.categories]
            if categories != list(values.cat.categories):
                changed[column] = values.cat.rename_categories(categories)
        elif values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            texts = values.map(lambda v: safe_cell(v) if isinstance(v, str) else v)
            if not texts.equals(values):
                changed[column] = texts
    return frame.assign(**changed) if changed else frame


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
