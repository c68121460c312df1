"""A saved inspection: the two files, their pairing, the view, bookmarks, computed scores and
the QC profile (absent in older files: none).

Saved as a small JSON file, atomically (a crash mid-save leaves the previous file whole).
Files are remembered by absolute path, by path relative to the workspace file and by
identity, so a workspace moved together with its videos still opens, and one whose videos
moved elsewhere reports them through ``missing_files()`` for the GUI to ask about
(``relocate``). Computed scores come back only while both files are still the same bytes.
"""
from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from vqinspect.app.shared.errors import InputError
from vqinspect.app.scoring.results import ScoreResult, write_atomic
from vqinspect.app.scoring.score_cache import FileIdentity

WORKSPACE_FORMAT = "vqinspect-workspace"
WORKSPACE_VERSION = 1
ROLES = ("reference", "distorted")


class WorkspaceError(InputError):
    """A workspace file that cannot be read: ``PATH: problem``."""


@dataclass
class FileRef:
    """A file of the workspace: where it was, and which bytes it held."""

    role: str                          # reference, distorted or scores
    path: str                          # absolute path when saved (or as relocated)
    relative: str | None = None        # relative to the workspace file's folder
    identity: FileIdentity | None = None

    @classmethod
    def of(cls, role: str, path: str | os.PathLike) -> "FileRef":
        try:
            identity = FileIdentity.of(path)
        except OSError:
            identity = None
        return cls(role, str(Path(path).absolute()), None, identity)

    def candidates(self, base: Path | None) -> list[Path]:
        """Where to look, in order: as saved, beside the workspace as saved, by name beside it."""
        out = [Path(self.path)]
        if base is not None:
            if self.relative:
                out.append(base / self.relative)
            out.append(base / Path(self.path).name)
        return out

    def locate(self, base: Path | None) -> Path | None:
        """The first candidate that exists (and holds the same bytes, when that is known)."""
        for i, p in enumerate(self.candidates(base)):
            if not _exists(p):
                continue
            if i == 0 or self.identity is None or _same(self.identity, p):
                return p
        return None

    def to_json(self, base: Path | None) -> dict:
        out = {"role": self.role, "path": self.path}
        if base is not None:
            try:
                out["relative"] = os.path.relpath(self.path, base)
            except ValueError:            # another drive on Windows
                pass
        if self.identity is not None:
            out["identity"] = self.identity.to_json()
        return out

    @classmethod
    def from_json(cls, data: dict) -> "FileRef":
        identity = data.get("identity")
        return cls(str(data["role"]), str(data["path"]), data.get("relative"),
                   FileIdentity.from_json(identity) if identity else None)


def _exists(p: Path) -> bool:
    if p.exists():
        return True
    from vqinspect.app.media.sequence import is_sequence_pattern, list_sequence

    return is_sequence_pattern(str(p)) and bool(list_sequence(str(p)))


def _same(identity: FileIdentity, p: Path) -> bool:
    try:
        return identity.same_content(FileIdentity.of(p))
    except OSError:
        return False


@dataclass
class Bookmark:
    """A frame the user marked, with the exact view they saw and a note.

    ``view`` is the view state (``view_to_dict``); ``image`` the PNG of what was on screen,
    kept in memory for reports and saved only when asked (it is not small).
    """

    frame: int
    note: str = ""
    view: dict = field(default_factory=dict)
    view_name: str = ""
    created: str = ""
    image: bytes | None = None

    def to_json(self, include_image: bool = False) -> dict:
        out = {"frame": int(self.frame), "note": self.note, "view": self.view,
               "view_name": self.view_name, "created": self.created or _now()}
        if include_image and self.image:
            out["image_png"] = base64.b64encode(self.image).decode("ascii")
        return out

    @classmethod
    def from_json(cls, data: dict) -> "Bookmark":
        image = data.get("image_png")
        return cls(int(data["frame"]), str(data.get("note", "")), dict(data.get("view") or {}),
                   str(data.get("view_name", "")), str(data.get("created", "")),
                   base64.b64decode(image) if image else None)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class Workspace:
    """Everything needed to reopen an inspection instantly."""

    reference: FileRef
    distorted: FileRef
    offset: int = 0
    frame: int = 0
    scaler: str = "bicubic"
    open_options: dict = field(default_factory=dict)   # raw size, pix_fmt, fps
    metrics: list[str] = field(default_factory=list)   # what the GUI scores
    view: dict = field(default_factory=dict)
    bookmarks: list[Bookmark] = field(default_factory=list)
    imports: list[FileRef] = field(default_factory=list)
    scores: ScoreResult | None = None
    path: Path | None = None                           # where it was loaded from or saved to
    profile: str = ""                                  # the QC profile: a shipped one's name or a file's path
    deinterlace: bool = False                          # both clips deinterlaced before pairing

    @classmethod
    def new(cls, reference, distorted, **kwargs) -> "Workspace":
        """A workspace for these two files (paths), identities taken now."""
        return cls(FileRef.of("reference", reference), FileRef.of("distorted", distorted), **kwargs)

    @property
    def base(self) -> Path | None:
        return self.path.parent if self.path is not None else None

    def files(self) -> list[FileRef]:
        return [self.reference, self.distorted, *self.imports]

    def missing_files(self) -> list[FileRef]:
        """Files found neither where they were nor beside the workspace: ask the user."""
        return [f for f in self.files() if f.locate(self.base) is None]

    def resolve(self) -> None:
        """Point every file that moved with the workspace at where it is now."""
        for f in self.files():
            found = f.locate(self.base)
            if found is not None:
                f.path = str(found.absolute())

    def relocate(self, role: str, new_path: str | os.PathLike) -> bool:
        """The user found a file at ``new_path``; True if it holds the bytes that were saved
        (otherwise the file is taken anyway and stale scores are dropped)."""
        ref = next((f for f in self.files() if f.role == role and f.locate(self.base) is None),
                   None) or next((f for f in self.files() if f.role == role), None)
        if ref is None:
            raise KeyError(f"no file with role {role!r} in this workspace")
        if not _exists(Path(new_path)):
            raise WorkspaceError(new_path, "no such file")
        same = ref.identity is None or _same(ref.identity, Path(new_path))
        ref.path = str(Path(new_path).absolute())
        if not same:
            ref.identity = FileIdentity.of(new_path)
            if role in ROLES:
                self.scores = None
        return same

    def scores_valid(self) -> bool:
        """Whether the saved scores still belong to the files as they are now."""
        if self.scores is None:
            return False
        return all(f.identity is not None and _same(f.identity, Path(f.path))
                   for f in (self.reference, self.distorted))

    def add_bookmark(self, bookmark: Bookmark) -> None:
        bookmark.created = bookmark.created or _now()
        self.bookmarks.append(bookmark)
        self.bookmarks.sort(key=lambda b: b.frame)

    # ---------------------------------------------------------------- JSON

    def to_json(self, base: Path | None = None, include_images: bool = False) -> dict:
        out = {
            "format": WORKSPACE_FORMAT, "version": WORKSPACE_VERSION,
            "files": [self.reference.to_json(base), self.distorted.to_json(base)],
            "imports": [f.to_json(base) for f in self.imports],
            "offset": self.offset, "frame": self.frame, "scaler": self.scaler,
            "open_options": self.open_options, "metrics": self.metrics, "view": self.view,
            "bookmarks": [b.to_json(include_images) for b in self.bookmarks],
        }
        if self.profile:
            out["profile"] = self.profile
        if self.deinterlace:
            out["deinterlace"] = True
        if self.scores is not None:
            out["scores"] = self.scores.to_json()
        return out

    def save(self, path: str | os.PathLike, include_images: bool = False) -> Path:
        """Write atomically (temporary file, fsync, rename); returns the path."""
        path = Path(path).absolute()
        text = json.dumps(self.to_json(path.parent, include_images), indent=1, allow_nan=False)
        write_atomic(path, text)
        self.path = path
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Workspace":
        """Read a workspace; WorkspaceError (one line) if it is not one. Files that moved
        with the workspace are found; check ``missing_files()`` for the others."""
        p = Path(path).absolute()
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise WorkspaceError(p, "no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise WorkspaceError(p, f"cannot be read ({exc})") from None
        except json.JSONDecodeError as exc:
            raise WorkspaceError(p, f"is not valid JSON (line {exc.lineno}: {exc.msg})") from None
        if not isinstance(data, dict) or data.get("format") != WORKSPACE_FORMAT:
            raise WorkspaceError(p, "is not a vqinspect workspace")
        if int(data.get("version", 0)) > WORKSPACE_VERSION:
            raise WorkspaceError(p, f"was written by a newer vqinspect (workspace version "
                                    f"{data.get('version')}; this one reads {WORKSPACE_VERSION})")
        try:
            ws = cls._from_json(data)
        except (KeyError, TypeError, ValueError, InputError) as exc:
            raise WorkspaceError(p, f"is damaged ({type(exc).__name__}: {exc})") from None
        ws.path = p
        ws.resolve()
        return ws

    @classmethod
    def _from_json(cls, data: dict) -> "Workspace":
        from vqinspect.app.scoring.imports import score_result_from_json

        files = {f["role"]: FileRef.from_json(f) for f in data["files"]}
        scores = score_result_from_json(data["scores"]) if data.get("scores") else None
        return cls(files["reference"], files["distorted"], int(data.get("offset", 0)),
                   int(data.get("frame", 0)), str(data.get("scaler", "bicubic")),
                   dict(data.get("open_options") or {}), [str(m) for m in data.get("metrics", [])],
                   dict(data.get("view") or {}),
                   [Bookmark.from_json(b) for b in data.get("bookmarks", [])],
                   [FileRef.from_json(f) for f in data.get("imports", [])], scores,
                   profile=str(data.get("profile") or ""), deinterlace=bool(data.get("deinterlace", False)))


# ---------------------------------------------------------------- view state

_SETTINGS_FIELDS = ("mode", "wipe_position", "wipe_vertical", "showing_reference", "diff_gain",
                    "diff_kind", "map_key", "colormap", "opacity", "locked_levels")


def view_to_dict(settings, viewport=None) -> dict:
    """The view the user sees (``vqinspect.app.inspector.view_state`` ViewSettings and Viewport) as plain JSON."""
    out = {name: _listed(getattr(settings, name)) for name in _SETTINGS_FIELDS
           if hasattr(settings, name)}
    if viewport is not None:
        out["viewport"] = {"scale": viewport.scale, "center": list(viewport.center),
                           "fitted": viewport.fitted}
    return out


def apply_view(view: dict, settings, viewport=None) -> None:
    """Restore ``view_to_dict``'s output through the models' own setters (unknown keys ignored)."""
    setters = {"wipe_position": settings.set_wipe_position, "wipe_vertical": settings.set_wipe_vertical,
               "diff_gain": settings.set_diff_gain, "diff_kind": settings.set_diff_kind,
               "colormap": settings.set_colormap, "opacity": settings.set_opacity}
    for name, setter in setters.items():
        if view.get(name) is not None:
            setter(view[name])
    if "map_key" in view:
        settings.set_map(tuple(view["map_key"]) if view["map_key"] else None)
    if view.get("locked_levels") is not None:
        settings.lock_levels(tuple(view["locked_levels"]))
    if "showing_reference" in view and bool(view["showing_reference"]) != settings.showing_reference:
        settings.toggle_ab()
    if view.get("mode"):
        settings.set_mode(view["mode"])
    vp = view.get("viewport")
    if viewport is not None and vp:
        if vp.get("fitted", True):
            viewport.fit()
        else:
            viewport.scale, viewport.center, viewport.fitted = float(vp["scale"]), tuple(vp["center"]), False
            viewport.changed.emit()


def _listed(value):
    return list(value) if isinstance(value, tuple) else value
