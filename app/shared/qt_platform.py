"""Whether Qt's X11 platform plugin can start here, checked before Qt is imported.

Without some of its system libraries Qt's xcb plugin aborts the process (status 134) with a
message that names no package. This finds the missing libraries first, by loading each by its
soname, and names the Debian/Ubuntu packages that provide them.
"""
from __future__ import annotations

import ctypes
import os
import sys

XCB_LIBRARIES = {   # soname -> Debian/Ubuntu package (Qt 6's xcb platform plugin needs them all)
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libfontconfig.so.1": "libfontconfig1",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libdbus-1.so.3": "libdbus-1-3",
}


def uses_xcb() -> bool:
    """Whether Qt would pick its X11 plugin: Linux or BSD, an X display, no other platform chosen."""
    chosen = os.environ.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.startswith("xcb")
    return sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")) and bool(
        os.environ.get("DISPLAY")) and not os.environ.get("WAYLAND_DISPLAY")


def missing_xcb_libraries(libraries: dict[str, str] = XCB_LIBRARIES) -> list[str]:
    """The sonames of ``libraries`` the dynamic loader cannot find (empty when Qt would not use xcb)."""
    if not uses_xcb():
        return []
    missing = []
    for soname in libraries:
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing.append(soname)
    return missing


def install_hint(missing: list[str], libraries: dict[str, str] = XCB_LIBRARIES) -> str:
    """One line: the libraries and the command that installs them."""
    packages = sorted({libraries[m] for m in missing})
    return f"{', '.join(missing)} (install with: sudo apt-get install {' '.join(packages)})"
