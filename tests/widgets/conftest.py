"""GUI test set-up: offscreen Qt, small real clips, isolated settings and score cache, and a
guard that fails any test leaving a worker thread (``vq-*``) or a Qt pool task running."""
from __future__ import annotations

import subprocess
import threading
import time

import pytest

from tests.clips import clip, lossless

SMALL = (320, 180)
THREAD_GRACE = 2.0   # seconds for threads that were told to stop to actually end
# run_gui's one-shot kernel warm-up: a numba compile cannot be interrupted, holds no file or
# window, and on a cold cache may outlive a test; it is a daemon and ends by itself.
ALLOWED = {"vq-jit-warmup"}


def _workers() -> list[str]:
    return sorted(t.name for t in threading.enumerate()
                  if t.name.startswith("vq-") and t.name not in ALLOWED and t.is_alive())


@pytest.fixture(autouse=True)
def score_cache(tmp_path, monkeypatch):
    """Each test its own, empty score cache (never the user's)."""
    monkeypatch.setenv("VQINSPECT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "scores"


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
    """120 frames, for tests that need scoring to still be running; keyframes every 10
    frames, so that serving one far frame on demand decodes a few frames, not a whole clip."""
    return (str(lossless(frames=120, size=SMALL)),
            str(clip(codec="libx264", frames=120, size=SMALL, crf=35, options={"x264-params": "keyint=10"})))


@pytest.fixture(scope="session")
def pair_paths_10bit():
    return (str(lossless(pix_fmt="yuv420p10le", frames=6, size=SMALL)),
            str(clip(codec="libx265", pix_fmt="yuv420p10le", frames=6, size=SMALL, crf=34,
                     options={"x265-params": "log-level=error"})))


@pytest.fixture(scope="session")
def libvmaf_log(pair_paths, tmp_path_factory):
    """libvmaf's own JSON log of the test pair (PSNR, SSIM, VMAF per frame), made by ffmpeg."""
    from tests.oracle import ffmpeg_exe

    log = tmp_path_factory.mktemp("libvmaf") / "vmaf.json"
    graph = f"[0:v][1:v]libvmaf=log_path={log}:log_fmt=json:n_threads=1:feature=name=psnr|name=float_ssim"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-i", pair_paths[1],
                    "-i", pair_paths[0], "-lavfi", graph, "-f", "null", "-"], check=True, capture_output=True)
    return log


@pytest.fixture
def scoring_runs(monkeypatch):
    """The pairs of every ScoringJob that runs from now on (reused scores add none)."""
    from vqinspect.app.scoring.engine import ScoringJob

    runs = []
    run = ScoringJob.run

    def counted(job):
        runs.append(job.pair)
        return run(job)

    monkeypatch.setattr(ScoringJob, "run", counted)
    return runs


@pytest.fixture
def settings(tmp_path):
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(qtbot, settings):
    """Build inspector windows (psnr + ssim scored) that are closed, and checked, at the end."""
    from vqinspect.app.scoring.metric_choice import MetricChoice
    from vqinspect.widgets.launch import application
    from vqinspect.widgets.main_window import InspectorWindow

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
