"""``vqinspect align REF DIST``: how the distorted clip's frames and pixels correspond to the
reference's (offset, dropped/repeated/inserted frames, borders, shift, crop)."""
from __future__ import annotations

import argparse
import json

from vqinspect.app.cli.options import Parser, add_input_options, open_inputs, progress_bar
from vqinspect.app.scoring.alignment import DEFAULT_MAX_OFFSET
from vqinspect.app.shared.errors import InputError


def align_parser() -> argparse.ArgumentParser:
    p = Parser(prog="vqinspect align", description="Find the offset, dropped, repeated and inserted "
               "frames, black borders, a shift or a crop between a reference and its encode.")
    p.add_argument("reference")
    p.add_argument("distorted")
    p.add_argument("--json", metavar="PATH", help="write offset, pairs, events and spatial findings as JSON")
    p.add_argument("--max-offset", type=int, default=DEFAULT_MAX_OFFSET, metavar="N",
                   help=f"largest offset, in frames, to consider either way (default {DEFAULT_MAX_OFFSET})")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_input_options(p)
    return p


def align_main(argv: list[str]) -> int:
    from vqinspect.app.scoring.alignment import align_clips
    from vqinspect.app.scoring.results import tool_info, write_atomic

    args = align_parser().parse_args(argv)
    if args.max_offset < 0:
        raise InputError(None, "--max-offset must be 0 or more")
    ref, dist = open_inputs(args)
    alignment = run_alignment(ref, dist, args.max_offset, args.quiet)
    if args.json:
        out = {"tool": tool_info(), "reference": ref.info.as_dict(), "distorted": dist.info.as_dict(),
               **alignment.as_dict()}
        write_atomic(args.json, json.dumps(out, indent=1, allow_nan=False))
    print("\n".join(alignment.summary()))
    return 0


def run_alignment(ref, dist, max_offset: int = DEFAULT_MAX_OFFSET, quiet: bool = False, spatial: bool = True):
    """``align_clips`` with a progress bar on stderr."""
    from vqinspect.app.scoring.alignment import align_clips

    bar = progress_bar(ref.info.frame_count + dist.info.frame_count, quiet)
    try:
        return align_clips(ref, dist, max_offset, spatial=spatial,
                           on_progress=(lambda done, total: bar.update(done - bar.n)) if bar else None)
    finally:
        if bar:
            bar.close()
