"""``vqinspect lab``: write a viewing-test plan (``lab plan``), or run one (``lab run``, whose
window the entry point opens: ``app`` never imports Qt)."""
from __future__ import annotations

import argparse
from pathlib import Path

from vqinspect.app.cli.options import Parser
from vqinspect.app.shared.errors import InputError


def plan_parser() -> argparse.ArgumentParser:
    from vqinspect.app.lab.plan import METHODS, SCALES, VIDEO_SUFFIXES

    p = Parser(prog="vqinspect lab plan", description="Write a test plan from a folder or a list of clips. "
               "Clips named <reference-stem>_<anything> belong to that reference's content.")
    p.add_argument("clips", nargs="+", metavar="CLIP|FOLDER",
                   help=f"processed clips, or folders of them ({', '.join(VIDEO_SUFFIXES)})")
    p.add_argument("-o", "--out", required=True, metavar="PLAN", help="the plan file: .toml or .json")
    p.add_argument("--reference", action="append", default=[], metavar="CLIP|FOLDER",
                   help="source clips (repeatable); a folder's clips all become references")
    p.add_argument("--method", default="ACR", type=str.upper, choices=METHODS, help="test method (default ACR)")
    p.add_argument("--scale", choices=[s for s in SCALES if s not in ("preference", "ccr")],
                   help="rating scale (default 5-point; PC and CCR have their own)")
    p.add_argument("--name", help="test name (default: the plan file's name)")
    p.add_argument("--seed", type=int, default=1, help="randomisation seed (default 1)")
    p.add_argument("--repetitions", type=int, default=1, help="times each trial is shown (default 1)")
    p.add_argument("--training", action="append", default=[], metavar="CLIP",
                   help="a training clip shown first and not recorded (repeatable)")
    p.add_argument("--display", choices=("1:1", "fit"), default="1:1", help="clip size on screen (default 1:1)")
    p.add_argument("--grey", type=float, default=1.0, metavar="S", help="grey screen between stimuli (default 1 s)")
    p.add_argument("--vote-limit", type=float, default=0.0, metavar="S", help="voting time limit (default none)")
    p.add_argument("--pause-every", type=int, default=0, metavar="N", help="a pause after every N trials")
    return p


def lab_plan_main(argv: list[str]) -> int:
    from vqinspect.app.lab.plan import VIDEO_SUFFIXES, Stimulus, plan_from_clips, plan_text, read_plan
    from vqinspect.app.scoring.results import write_atomic

    args = plan_parser().parse_args(argv)
    out = Path(args.out)
    if out.suffix.lower() not in (".toml", ".json"):
        raise InputError(str(out), "the plan is a .toml or .json file")
    references = {p.stem: p for p in _expand(args.reference, VIDEO_SUFFIXES)}
    ref_paths = {p.resolve() for p in references.values()}
    clips = [p for p in _expand(args.clips, VIDEO_SUFFIXES) if p.resolve() not in ref_paths]
    plan = plan_from_clips(clips, references, args.method, args.name or out.stem, args.scale, args.seed,
                           args.repetitions, base=out.parent)
    for k, clip in enumerate(_expand(args.training, VIDEO_SUFFIXES)):
        plan.training.append(Stimulus(f"training{k + 1}", _relative(clip, out.parent), clip.stem.split("_")[0]))
    plan.display, plan.grey_seconds = args.display, args.grey
    plan.vote_seconds, plan.pause_every = args.vote_limit or None, args.pause_every or None
    write_atomic(out, plan_text(plan, out.suffix))
    read_plan(out)  # what was written reads back
    print(f"{out}: {plan.method}, {len(plan.stimuli)} stimuli, {len(plan.training)} training, seed {plan.seed}")
    return 0


def _expand(items: list[str], suffixes: tuple[str, ...]) -> list[Path]:
    paths = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            paths += sorted(p for p in path.iterdir() if p.suffix.lower() in suffixes)
        elif path.is_file():
            paths.append(path)
        else:
            raise InputError(item, "no such file or folder")
    return paths


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def run_parser() -> argparse.ArgumentParser:
    p = Parser(prog="vqinspect lab run", description="Run a viewing test full screen for one subject; "
               "every vote is written to the results file at once.")
    p.add_argument("plan", metavar="PLAN", help="the plan file (.toml or .json)")
    p.add_argument("--subject", required=True, metavar="ID", help="the subject's id")
    p.add_argument("--resume", action="store_true", help="continue the subject's unfinished session")
    p.add_argument("--out", metavar="DIR", help="results folder (default: results/ beside the plan)")
    p.add_argument("--screen", type=int, default=0, metavar="N", help="display to run on (default 0)")
    p.add_argument("--windowed", action="store_true", help="a window instead of full screen (for trying a plan)")
    return p


def open_session(args):
    """The plan and the subject's session, opened (or resumed) before any window appears."""
    from vqinspect.app.lab.plan import read_plan
    from vqinspect.app.lab.session import Session

    plan = read_plan(args.plan)
    return Session.start(plan, args.subject, args.out, resume=args.resume)


def lab_usage() -> str:
    return ("vqinspect lab plan CLIPS... -o PLAN.toml [--reference REF...] [--method ACR|ACR-HR|DCR|DSIS|PC|CCR]\n"
            "vqinspect lab run PLAN --subject ID [--resume]")
