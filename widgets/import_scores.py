"""File > Import Scores… and ``vqinspect REF DIST --scores FILE``: per-frame scores from
libvmaf, ffmpeg-quality-metrics or an earlier ``vqinspect score`` run, plotted beside the
computed ones and named after their source (``vmaf (libvmaf 86da14d: vmaf.json)``)."""
from __future__ import annotations

from pathlib import Path

from vqinspect.app.scoring.imports import ImportedScores, load_scores, pair_mismatches
from vqinspect.metrics.registry import plot_groups

LISTED_KEYS = 4


def import_scores(window, path: str) -> None:
    """Read ``path`` in the background (a feature log of a feature film runs to tens of MB)
    and plot its series; a file that cannot be read is one status-bar line."""
    window.show_message(f"Importing {Path(path).name}…")
    window.background(lambda: load_scores(path), lambda imported: _plot(window, imported),
                      lambda message: window.show_message(message, error=True))


def _plot(window, imported: ImportedScores) -> None:
    if window.closed:
        return
    window.session.add_import(imported)
    problems = pair_mismatches(imported, window.session.pair) if window.session.pair is not None else []
    text = describe_import(imported, window.session.pair)
    if problems:
        text += " Mismatch: " + "; ".join(problems) + "."
    window.show_message(text, error=bool(problems))


def describe_import(imported: ImportedScores, pair=None) -> str:
    """What was imported and the frames it covers (how it fits the pair: ``pair_mismatches``)."""
    plotted = [k for _, keys in plot_groups(imported.keys) for k in keys]
    listed = ", ".join(plotted[:LISTED_KEYS]) + (f" (+{len(plotted) - LISTED_KEYS} more)"
                                                 if len(plotted) > LISTED_KEYS else "")
    first, last = int(imported.frames.min()), int(imported.frames.max())
    text = f"Imported {listed} from {imported.label}, frames {first}–{last}"
    notes = "".join(f"; {n}" for n in imported.notes)
    return text + notes + "."
