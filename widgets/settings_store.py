"""What persists between runs (QSettings): window layout, colormap, last files."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from vqinspect.app.display.heatmap import colormaps

ORGANIZATION = APPLICATION = "vqinspect"


def default_settings() -> QSettings:
    return QSettings(ORGANIZATION, APPLICATION)


def restore(window) -> None:
    """Apply saved geometry, dock layout and colormap to a freshly built window."""
    store = window.store
    geometry = store.value("window/geometry")
    if isinstance(geometry, QByteArray):
        window.restoreGeometry(geometry)
    state = store.value("window/state")
    if isinstance(state, QByteArray):
        window.restoreState(state)
    splitter = store.value("window/splitter")
    if isinstance(splitter, QByteArray):
        window.splitter.restoreState(splitter)
    name = store.value("view/colormap")
    if isinstance(name, str) and name in colormaps():
        window.view_settings.set_colormap(name)


def save(window) -> None:
    store = window.store
    store.setValue("window/geometry", window.saveGeometry())
    store.setValue("window/state", window.saveState())
    store.setValue("window/splitter", window.splitter.saveState())
    store.setValue("view/colormap", window.view_settings.colormap)
    store.sync()


def remember_colormap(store: QSettings, name: str) -> None:
    store.setValue("view/colormap", name)


def remember_files(store: QSettings, reference, distorted) -> None:
    for key, source in (("files/reference", reference), ("files/distorted", distorted)):
        if source is not None:
            store.setValue(key, source.info.path)


def last_files(store: QSettings) -> tuple[str | None, str | None]:
    """The last reference and distorted paths that still exist."""
    out = []
    for key in ("files/reference", "files/distorted"):
        value = store.value(key)
        out.append(value if isinstance(value, str) and Path(value).exists() else None)
    return out[0], out[1]
