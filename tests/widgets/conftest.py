"""GUI test set-up: offscreen Qt, small real clips, isolated settings, and a guard that
fails any test leaving a worker thread (``vq-*``) or a Qt pool task running."""
from __future__ import annotations

import threading
import time

import pytest

from tests.clips import clip, lossless

SMALL = (320, 180)
THREAD_GRACE = 2.0   # seconds for threads that were told to stop to actually end


def _workers() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("vq-") and t.is_alive())


@pytest.fixture(autouse=True)
def no_threads_left():
    """Fail the test if it leaves a vq-* thread or a QThreadPool task behind."""
    yield
    from PySide6.QtCore import QThreadPool

    deadline = time.monotonic() + THREAD_GRACE
    while _workers() and time.monotonic() < deadline:
        time.sleep(0.02)
    left = _workers()
    pool = QThreadPool.globalInstance().activeThreadCount()
    if left or pool:
        pytest.fail(f"threads left running after the test: {left}, Qt pool tasks: {pool}")


@pytest.fixture(scope="session")
def pair_paths():
    """A lossless 320x180 reference and a visibly damaged x264 encode (10 frames)."""
    return str(lossless(frames=10, size=SMALL)), str(clip(codec="libx264", frames=10, size=SMALL, crf=35))


@pytest.fixture(scope="session")
def long_pair_paths():
    """120 frames, for tests that need scoring to still be running."""
    return (str(lossless(frames=120, size=SMALL)),
            str(clip(codec="libx264", frames=120, size=SMALL, crf=35)))


@pytest.fixture(scope="session")
def pair_paths_10bit():
    return (str(lossless(pix_fmt="yuv420p10le", frames=6, size=SMALL)),
            str(clip(codec="libx265", pix_fmt="yuv420p10le", frames=6, size=SMALL, crf=34,
                     options={"x265-params": "log-level=error"})))


@pytest.fixture
def settings(tmp_path):
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(qtbot, settings):
    """Build inspector windows (psnr + ssim scored) that are closed, and checked, at the end."""
    from app.metric_choice import MetricChoice
    from widgets.launch import application
    from widgets.main_window import InspectorWindow

    application()
    windows = []

    def make(metrics=("psnr", "ssim"), store=None, size=(1400, 900)):
        window = InspectorWindow(MetricChoice.from_names(list(metrics)), settings=store or settings)
        if size is not None:          # None: keep the geometry restored from the settings
            window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()


@pytest.fixture
def opened(make_window, qtbot, pair_paths):
    """A window with the test pair open and fully scored, showing frame 0."""
    window = make_window()
    with qtbot.waitSignal(window.scoring_finished, timeout=60_000):
        window.open_paths(*pair_paths)
    qtbot.waitUntil(lambda: window.view_area.images is not None, timeout=20_000)
    return window
