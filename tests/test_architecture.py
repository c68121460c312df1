"""The shape of the package: one import name, layers that hold, no Qt for the headless commands."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.clips import clip, lossless

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pair():
    return lossless(frames=4, size=(320, 180)), clip(frames=4, size=(320, 180), crf=38)


def test_import_linter_contracts_hold():
    """Layers (entry point > widgets > app > metrics, and inside app), no Qt in app or metrics, no
    PyAV in metrics: pyproject.toml's import-linter contracts, which also see imports inside functions."""
    result = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("argv", [["score", "--help"], ["score", "{ref}", "{dist}", "--metrics", "psnr", "--quiet"]])
def test_score_imports_no_qt(argv, pair):
    """``vqinspect score`` (help and a run) never loads Qt: any attempt fails the run."""
    args = [a.format(ref=pair[0], dist=pair[1]) for a in argv]
    code = ("import sys\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6'):\n"
            "            raise ImportError('Qt imported by score: ' + name)\n"
            "sys.meta_path.insert(0, Block())\n"
            "from vqinspect.__main__ import main\n"
            f"sys.exit(main({args!r}))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_wheel_installs_only_vqinspect(tmp_path):
    """Built, the wheel's only top-level name is ``vqinspect``; every package folder is in it."""
    source = tmp_path / "source"          # a copy: setuptools leaves build/ in the tree it builds
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "_clips", "_media", "build",
                                                                "__pycache__", "*.egg-info"))
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                             "-w", str(tmp_path), str(source)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    wheel = next(tmp_path.glob("vqinspect-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"vqinspect"}
    packages = {str(p.parent.relative_to(ROOT)).replace("/", ".") for folder in ("app", "metrics", "widgets", "resources")
                for p in (ROOT / folder).rglob("__init__.py")}
    assert {f"vqinspect/{p.replace('.', '/')}/__init__.py" for p in packages} <= set(names)
    assert "vqinspect/__main__.py" in names and "vqinspect/setup.py" not in names
    assert any(n.startswith("vqinspect/resources/") and n.endswith(".css") for n in names)
