"""Shared test set-up: headless Qt, project root importable."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("SVT_LOG", "1")
