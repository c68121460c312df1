"""The fonts vqinspect ships (DejaVu, in resources/fonts): every window, snapshot and PDF uses
them, so pictures look the same on every machine whatever fonts the system has."""
from __future__ import annotations

from importlib import resources

from PySide6.QtGui import QFont, QFontDatabase

FAMILY = "DejaVu Sans"
MONO_FAMILY = "DejaVu Sans Mono"
POINT_SIZE = 9.0
FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf")


def install_fonts(app) -> None:
    """Register the shipped fonts with Qt and make DejaVu Sans the application's font."""
    folder = resources.files("vqinspect.resources").joinpath("fonts")
    for name in FILES:
        QFontDatabase.addApplicationFontFromData(folder.joinpath(name).read_bytes())
    font = QFont(FAMILY)
    font.setPointSizeF(POINT_SIZE)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    app.setFont(font)


def mono_font() -> QFont:
    font = QFont(MONO_FAMILY)
    font.setPointSizeF(POINT_SIZE)
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font
