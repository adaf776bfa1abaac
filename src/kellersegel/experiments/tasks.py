"""Finished tasks kept one file each in an output folder: how runs and benchmark studies resume.

A task has a key (a replica number, a study's parameters); its result, named arrays and scalars,
goes to ``FOLDER/SUB/PREFIX-KEY.npz`` as soon as the task finishes: the name is recorded in the
folder's manifest (:mod:`kellersegel.experiments.outputs`), then the file is written atomically,
so a kill leaves a recorded name without its file, never a part of a file. Resuming reads every
recorded file back, discards a damaged one with a warning (its task runs again), and the caller
runs only the missing keys through the one executor
(:func:`~kellersegel.experiments.executor.run_tasks`). Runs (``replicas/``), sweeps (``tasks/``)
and the benchmark studies (``rows/``) all resume this way.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from kellersegel._files import atomic_path, write_text
from kellersegel.experiments.executor import run_tasks
from kellersegel.experiments.outputs import MANIFEST, OutputFolder

__all__ = ["STUDY_FILES", "DamagedFileError", "ResumeWarning", "TaskFolder", "run_study"]

#: what a benchmark study's folder holds (:func:`run_study`)
STUDY_FILES = ("rows/row-*.npz", "rows.csv")


class DamagedFileError(ValueError):
    """A stored task result that cannot be read back: to discard and recompute."""


class ResumeWarning(UserWarning):
    """A piece of an interrupted run that could not be kept (it is recomputed)."""


def load_arrays(path: str | Path) -> dict[str, np.ndarray]:
    """The arrays of one ``.npz`` task file; :class:`DamagedFileError` if it is not complete."""
    try:
        with np.load(path, allow_pickle=False) as f:
            return {name: f[name] for name in f.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise DamagedFileError(f"{path}: not a complete task file ({type(err).__name__}: {err})") from None


class TaskFolder:
    """The task results ``SUB/PREFIX-KEY.npz`` of one claimed :class:`OutputFolder`.

    Parameters
    ----------
    folder : OutputFolder
        The folder (its manifest records the files).
    sub, prefix : str
        Sub-folder and file prefix: ``replicas`` and ``replica`` give
        ``replicas/replica-00003.npz``. ``f"{sub}/{prefix}-*.npz"`` must be one of the folder's
        names.
    """

    def __init__(self, folder: OutputFolder, sub: str, prefix: str) -> None:
        self.folder, self.sub, self.prefix = folder, sub, prefix
        self._name = re.compile(rf"{re.escape(sub)}/{re.escape(prefix)}-(?P<key>[^/]+)\.npz")

    def save(self, key: str, arrays: Mapping[str, ArrayLike]) -> Path:
        """Write the result of task ``key`` (recorded first, then written atomically)."""
        path = self.folder.file(f"{self.sub}/{self.prefix}-{key}.npz")
        path.parent.mkdir(exist_ok=True)
        with atomic_path(path) as tmp:
            np.savez(tmp, **{name: np.asarray(value) for name, value in arrays.items()})
        return path

    def finished(self) -> dict[str, dict[str, np.ndarray]]:
        """Every recorded task that is complete: key → arrays (a damaged file: a warning, left out)."""
        results = {}
        for name in self.folder.manifest["files"]:
            match = self._name.fullmatch(name)
            path = self.folder.path / name
            if match is None or not path.is_file():
                continue
            try:
                results[match["key"]] = load_arrays(path)
            except DamagedFileError as err:
                warnings.warn(f"{err}: discarded, the task runs again", ResumeWarning, stacklevel=2)
        return results


def run_study(
    out: str | Path,
    study: str,
    fn: Callable[..., tuple[str, dict]],
    jobs: Mapping[str, Sequence],
    fields: Sequence[str],
    *,
    workers: int | None = None,
    on_row: Callable[[dict], None] | None = None,
) -> list[dict]:
    """The rows of a benchmark study, one task per row, kept in the output folder ``out``.

    ``study`` is the text of what every row depends on besides its key (the folder is continued
    only for the same text); ``jobs`` maps a row's key to the arguments of ``fn``, which returns
    ``(key, row)``. Rows already in the folder are not computed again; the others run through
    the executor and are saved as they finish (``on_row`` sees each). Writes ``rows.csv``
    (columns ``fields``, rows by key) and returns every row of the folder, by key.
    """
    resume = (Path(out) / MANIFEST).is_file()
    folder = OutputFolder.claim(out, "study", study, STUDY_FILES, resume=resume)
    store = TaskFolder(folder, "rows", "row")
    done = {key: {name: value.item() for name, value in row.items()} for key, row in store.finished().items()}

    def keep(key: str, row: dict) -> None:
        store.save(key, row)
        done[key] = row
        if on_row is not None:
            on_row(row)

    run_tasks(fn, [job for key, job in jobs.items() if key not in done], keep, workers=workers)
    rows = [done[key] for key in sorted(done)]
    table = io.StringIO()
    writer = csv.DictWriter(table, fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(folder.file("rows.csv"), table.getvalue())
    folder.complete()
    return rows
