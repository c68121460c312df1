"""The GUI's start-up check: missing X11 libraries are named, with their packages, before Qt aborts."""
import subprocess
import sys

from vqinspect.app.shared.qt_platform import XCB_LIBRARIES, install_hint, missing_xcb_libraries, uses_xcb

ABSENT = {"libvqinspect-absent.so.9": "libvqinspect-absent9", "libc.so.6": "libc6"}


def test_missing_libraries_are_named_with_their_packages(monkeypatch):
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    missing = missing_xcb_libraries(ABSENT)
    assert missing == ["libvqinspect-absent.so.9"]                    # libc loads, the other does not
    assert install_hint(missing, ABSENT) == ("libvqinspect-absent.so.9 (install with: sudo apt-get install "
                                             "libvqinspect-absent9)")


def test_only_the_x11_platform_is_checked(monkeypatch):
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert not uses_xcb() and missing_xcb_libraries(ABSENT) == []
    monkeypatch.delenv("QT_QPA_PLATFORM")
    monkeypatch.delenv("DISPLAY")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert not uses_xcb()


def test_every_library_has_a_debian_package():
    assert all(so.startswith("lib") and ".so." in so and pkg for so, pkg in XCB_LIBRARIES.items())


def test_the_check_loads_no_qt():
    code = ("import sys\nfrom vqinspect.app.shared.qt_platform import missing_xcb_libraries\n"
            "missing_xcb_libraries()\nassert not any(m.startswith(('PySide6', 'shiboken6')) for m in sys.modules)\n")
    assert subprocess.run([sys.executable, "-c", code], env={"DISPLAY": ":0"}, timeout=60).returncode == 0
