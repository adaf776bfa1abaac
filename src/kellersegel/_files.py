"""Files written atomically: a reader, a resume or a crash sees the old file or the new one,
never a part of one.

A file ``DIR/NAME`` is written under a temporary name in the same folder, ``DIR/.NAME.partial-PID``
(hidden: no glob such as ``replica-*.npz`` matches it; the suffix of NAME is kept so that NumPy,
xarray and Matplotlib choose the format from it), flushed to disk, then renamed over ``NAME``; the
folder is flushed so that the rename survives a power cut. A folder (a Zarr store) is built the
same way and renamed into place whole.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "is_partial", "partial_name", "remove_partials", "write_text"]

_PARTIAL = re.compile(r"^\.(?P<name>.+)\.partial-\d+(?P<suffix>\.[^.]*)?$")


def partial_name(path: Path) -> Path:
    """The temporary name of ``path`` while it is written (``.NAME.partial-PID`` plus NAME's suffix)."""
    return path.with_name(f".{path.name}.partial-{os.getpid()}{path.suffix}")


def is_partial(path: Path) -> bool:
    """Whether ``path`` is a temporary name of :func:`atomic_path` (a write that did not finish)."""
    return _PARTIAL.match(path.name) is not None


def remove_partials(folder: Path) -> list[Path]:
    """Delete what interrupted writes left in ``folder`` (only names :func:`atomic_path` makes)."""
    removed = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else ():
        if is_partial(path):
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
            removed.append(path)
    return removed


def _fsync(path: Path) -> None:
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot flush a folder
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield the temporary path to write ``path`` through; on success it replaces ``path``.

    Write a file or a whole folder at the yielded path; an exception (or a kill) leaves ``path``
    as it was and removes (or leaves, on a kill) only the temporary name. The folder of ``path``
    must exist.
    """
    path = Path(path)
    tmp = partial_name(path)
    try:
        yield tmp
        if tmp.is_dir():
            for sub in tmp.rglob("*"):
                if sub.is_file():
                    _fsync(sub)
            if path.is_dir():  # a folder cannot be renamed over a non-empty one
                raise FileExistsError(f"{path} exists")
        _fsync(tmp)
        os.replace(tmp, path)
        _fsync(path.parent)
    except BaseException:
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()
        raise


def write_text(path: str | Path, text: str) -> Path:
    """``path.write_text(text)``, atomically (UTF-8)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
