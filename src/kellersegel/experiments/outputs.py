"""Output folders that belong to one run: a manifest written first, files recorded as written.

``DIR/kellersegel.json`` says what the folder holds::

    {"kind": "run", "fingerprint": "<sha256 of the resolved configuration>",
     "kellersegel_version": "0.1.0", "command": "kellersegel run ...",
     "status": "running" | "interrupted" | "complete", "files": ["config.toml", ...]}

It is written before anything else and rewritten (atomically) as files are added, so that
``--resume``, ``plot`` and ``report`` can tell a finished run from an interrupted one and from a
folder of another run, and ``--overwrite`` deletes only what the package wrote. The rules
(:meth:`OutputFolder.claim`): a new or empty folder is claimed; a folder of the same kind and
configuration is continued with ``resume``; a folder of another run, or one holding files the
package did not write, is refused unless ``overwrite``, and even then no file the package did not
write is deleted or written over, nor the command's input.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import shutil
import sys
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kellersegel._files import is_partial, remove_partials, write_text

__all__ = ["MANIFEST", "FolderError", "LeftoverWarning", "OutputFolder", "fingerprint", "read_manifest"]

MANIFEST = "kellersegel.json"


class LeftoverWarning(UserWarning):
    """What an interrupted write left in an output folder was removed."""


class FolderError(ValueError):
    """An output folder that cannot be used as asked: one line for the user, nothing written."""


def fingerprint(text: str) -> str:
    """SHA-256 of a resolved configuration's text (what ``--resume`` compares)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_manifest(folder: str | Path) -> dict | None:
    """The manifest of ``folder``, or None when it has none; unreadable → :class:`FolderError`."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or not {"kind", "status", "files"} <= manifest.keys():
            raise ValueError("missing keys")
    except (ValueError, UnicodeDecodeError) as err:
        raise FolderError(f"{path}: not a kellersegel manifest ({err})") from None
    return manifest


@dataclass
class OutputFolder:
    """An output folder claimed by one run (see the module's rules).

    Parameters
    ----------
    path : Path
        The folder.
    kind : str
        What it holds: ``run``, ``pde``, ``sweep``, ``study`` or ``report``.
    names : sequence of str
        Patterns (``fnmatch``, relative to the folder) of the files the run may write, e.g.
        ``replicas/replica-*.npz``: a file that matches one and that the package did not write
        stops the claim, even with ``overwrite``. A name may be a folder written whole (a Zarr
        store, renamed into place complete): what it holds counts as recorded with it.
    """

    path: Path
    kind: str
    names: Sequence[str]
    manifest: dict = field(default_factory=dict)
    created: list[Path] = field(default_factory=list)
    fresh: bool = True

    @classmethod
    def claim(
        cls,
        path: str | Path,
        kind: str,
        config_text: str,
        names: Sequence[str],
        *,
        resume: bool = False,
        overwrite: bool = False,
        inputs: Iterable[str | Path] = (),
    ) -> OutputFolder:
        """Check ``path`` against the rules and write its manifest (status ``running``).

        Raises :class:`FolderError` before anything is written when the folder cannot be used.
        With ``resume`` the files recorded by the earlier run are kept; with ``overwrite`` the
        files recorded by an earlier run are deleted first (and only those).
        """
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise FolderError(f"{path}: exists and is not a folder")
        folder = cls(path, kind, tuple(names))
        folder._check_inputs(inputs)
        old = read_manifest(path) if path.is_dir() else None
        stamp = fingerprint(config_text)
        if old is not None and old["kind"] != kind:
            raise FolderError(
                f"{path} holds a kellersegel {old['kind']} output, not a {kind}; choose another folder"
            )
        folder.manifest = folder._resumed(old, stamp) if resume else folder._replaced(old, overwrite)
        from kellersegel import __version__

        missing = [p for p in (path, *path.parents) if not p.exists()]
        try:
            path.mkdir(parents=True, exist_ok=True)
            folder.created = missing  # made by this claim, removed again by abandon()
        except OSError as err:
            raise FolderError(f"{path}: cannot create the output folder ({err.strerror})") from None
        for sub in sorted({path, *(path / Path(name).parent for name in folder.names)}):
            for partial in remove_partials(sub):  # what a killed write left
                warnings.warn(f"removed {partial} (an interrupted write)", LeftoverWarning, stacklevel=3)
        folder.manifest.update(
            fingerprint=stamp,
            kellersegel_version=__version__,
            command=" ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        )
        try:
            folder._save("running")
        except FolderError:
            folder.abandon()
            raise
        return folder

    @classmethod
    def finished(cls, path: str | Path, kind: str) -> OutputFolder:
        """A folder that holds a complete ``kind`` (to read, or to add files such as figures)."""
        path = Path(path)
        manifest = read_manifest(path) if path.is_dir() else None
        if manifest is None:
            raise FolderError(f"{path}: not a kellersegel {kind} folder (no {MANIFEST})")
        if manifest["kind"] != kind:
            raise FolderError(f"{path} holds a kellersegel {manifest['kind']} output, not a {kind}")
        if manifest["status"] != "complete":
            raise FolderError(
                f"{path}: its {kind} did not finish (status {manifest['status']}); "
                f"finish it with --resume (its command: {manifest.get('command') or 'see config.toml'})"
            )
        return cls(path, kind, (), manifest)

    def file(self, name: str) -> Path:
        """The path to write ``name`` (relative to the folder) at; recorded in the manifest."""
        if name not in self.manifest["files"]:
            self.manifest["files"].append(name)
            self._save(self.manifest["status"])
        return self.path / name

    def abandon(self) -> None:
        """Undo a fresh claim (a user error found after it): delete what it wrote and the folders
        it made, so that the folder is as before (a resumed folder keeps its files)."""
        if not self.fresh:
            return
        self._delete([*self.manifest.get("files", ()), MANIFEST])
        for made in self.created:  # innermost first
            if made.is_dir() and not any(made.iterdir()):
                made.rmdir()

    def complete(self) -> None:
        self._save("complete")

    def interrupted(self) -> None:
        self._save("interrupted")

    # -- the rules' helpers

    def _resumed(self, old: dict | None, stamp: str) -> dict:
        if old is None:
            raise FolderError(f"{self.path}: no kellersegel {self.kind} to resume here (no {MANIFEST})")
        if old.get("fingerprint") != stamp:
            raise FolderError(
                f"{self.path} holds a {self.kind} of another configuration; resume only with the "
                "same configuration, or choose another output folder"
            )
        self.fresh = False
        return old

    def _replaced(self, old: dict | None, overwrite: bool) -> dict:
        if old is not None and not overwrite:
            raise FolderError(
                f"{self.path} holds a {old['status']} {self.kind}; pass --resume to continue it, "
                "--overwrite to replace it, or choose another output folder"
            )
        foreign = self._foreign(old)
        if foreign and not overwrite:
            raise FolderError(
                f"{self.path} holds files kellersegel did not write ({', '.join(foreign[:3])}"
                f"{', …' if len(foreign) > 3 else ''}); choose a new or empty folder, or pass "
                "--overwrite to write beside them (none of them is changed)"
            )
        clash = [name for name in foreign if self._ours(name)]
        if clash:
            raise FolderError(
                f"{self.path / clash[0]}: kellersegel did not write it and would have to replace "
                "it; move it or choose another output folder"
            )
        if old is not None:  # --overwrite: only what the earlier run recorded
            self._delete(old["files"])
        return {"kind": self.kind, "files": []}

    def _save(self, status: str) -> None:
        self.manifest["status"] = status
        try:
            write_text(self.path / MANIFEST, json.dumps(self.manifest, indent=1) + "\n")
        except OSError as err:  # a read-only folder or file system, a full disk
            raise FolderError(f"{self.path}: cannot write in the output folder ({err.strerror})") from None

    def _ours(self, name: str) -> bool:
        """Whether ``name`` (relative to the folder) is a name this kind of run writes."""
        return name == MANIFEST or any(fnmatch.fnmatchcase(name, pattern) for pattern in self.names)

    def _check_inputs(self, inputs: Iterable[str | Path]) -> None:
        """Never write over the command's input (``run config.toml -o .``)."""
        folder = self.path.resolve()
        for given in inputs:
            source = Path(given).resolve()
            if folder in source.parents and self._ours(str(source.relative_to(folder))):
                raise FolderError(
                    f"{given}: the output would be written over the input; choose another output folder"
                )

    def _foreign(self, old: dict | None) -> list[str]:
        """Files in the folder that the package did not write (not in the old manifest)."""
        if not self.path.is_dir():
            return []
        recorded = {MANIFEST, *old["files"]} if old is not None else set()
        names = (p.relative_to(self.path) for p in sorted(self.path.rglob("*")) if not p.is_dir())
        return [
            str(name)
            for name in names
            if recorded.isdisjoint(map(str, (name, *name.parents))) and not is_partial(name)
        ]

    def _delete(self, files: Iterable[str]) -> None:
        """Delete ``files`` (names relative to the folder), then the sub-folders they leave empty."""
        files = list(files)
        for name in files:
            target = self.path / name
            try:
                if target.is_file() or target.is_symlink():
                    target.unlink()
                elif target.is_dir():  # a recorded folder, written whole
                    shutil.rmtree(target)
            except OSError as err:
                raise FolderError(f"{target}: cannot be deleted ({err.strerror})") from None
        for folder in sorted({Path(name).parent for name in files}, reverse=True):
            target = self.path / folder
            if folder != Path(".") and target.is_dir() and not any(target.iterdir()):
                target.rmdir()
