"""Keep PySide6 6.12.0 from killing the process on Python 3.11.

With that release on Python < 3.12 every call that returns None or a bool (each void
method, each signal emit) drops a reference to the None/True/False singleton instead
of returning a new one; after a few thousand calls CPython aborts with "deallocating
None". Python 3.12 made these singletons immortal (PEP 683); this does the same here
by adding a reference count no session can use up. It is applied only when a probe
call shows the leak, so a fixed PySide6 (or Python 3.12+) leaves everything untouched.
"""
from __future__ import annotations

import ctypes
import sys

_RESERVE = 1 << 60


def leaks_singletons() -> bool:
    """Whether calling a void Qt method loses a reference to None."""
    from PySide6.QtCore import QPoint

    point = QPoint()
    before = sys.getrefcount(None)
    for _ in range(16):
        point.setX(1)
    return sys.getrefcount(None) < before


def protect_singletons() -> bool:
    """Make None, True and False effectively immortal if this PySide6 leaks them."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    if not leaks_singletons():
        return False
    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += _RESERVE
    return True
