"""``vqinspect ladder REF ENC... --json ladder.json``: score a bitrate ladder on the batch engine,
mark each key's convex hull, and compute BD-rate / BD-quality between the manifest's groups or
against another ladder (``--compare``)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vqinspect.app.cli.batch import add_cluster_options, score_specs, worst_frame_pictures
from vqinspect.app.cli.options import EXIT_OK, EXIT_SOME_FAILED, Parser, add_metric_options
from vqinspect.app.cli.report import PdfWriter, check_pdf_writer, output_kind
from vqinspect.app.scoring.pairing import SCALERS
from vqinspect.app.shared.errors import InputError

LADDER_CROP = (320, 180)


def ladder_parser() -> argparse.ArgumentParser:
    p = Parser(prog="vqinspect ladder", description="Score the encodes of a bitrate ladder against their "
               "reference (lower resolutions upscaled to it), find each key's convex hull, and compute BD-rate "
               "and BD-quality between groups of encodes or against another ladder.")
    p.add_argument("reference")
    p.add_argument("encodes", nargs="*", help="encoded files (or --manifest)")
    p.add_argument("--manifest", metavar="FILE", help="CSV or JSON list of encodes: distorted, and optionally "
                   "label, group, reference, offset, frames, scaler, ...")
    p.add_argument("--json", required=True, metavar="PATH", help="the ladder JSON to write")
    p.add_argument("--csv", nargs="?", const=True, metavar="PATH", help="also a CSV (default: beside the JSON)")
    p.add_argument("--report", metavar="FILE", help="ladder report, .html or .pdf")
    p.add_argument("--compare", metavar="LADDER_B.json", help="BD against another ladder (this one is the anchor)")
    p.add_argument("--bd-method", default="pchip", metavar="LIST",
                   help="pchip (default, exact integration), cubic, akima, or several: pchip,cubic")
    p.add_argument("--keys", choices=("scores", "all"), default="scores",
                   help="hull and BD for the higher-is-better scores (default) or their features too")
    p.add_argument("--scaler", default="bicubic", choices=SCALERS,
                   help="filter upscaling lower resolutions to the reference's (default bicubic)")
    p.add_argument("--scores-dir", metavar="DIR", help="where the encodes' scores go (default: JSON_scores/ "
                   "beside the JSON; run again to reuse them)")
    add_metric_options(p)
    add_cluster_options(p)
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


def ladder_main(argv: list[str], write_pdf: PdfWriter | None = None) -> int:
    from vqinspect.app.ladder.ladder import Ladder, group_comparisons, compare, ladder_keys, mark_hulls

    args = ladder_parser().parse_args(argv)
    methods = [m.strip() for m in args.bd_method.split(",") if m.strip()]
    out = Path(args.json)
    if args.report and output_kind(Path(args.report)) == "pdf":
        write_pdf = check_pdf_writer(Path(args.report), write_pdf)
    other = Ladder.load(args.compare) if args.compare else None
    specs = _specs(args)
    scores_dir = Path(args.scores_dir) if args.scores_dir else out.with_name(out.stem + "_scores")
    outcomes = score_specs(specs, scores_dir, args)
    encodes = [_encode(o, scores_dir) for o in outcomes]
    ladder = Ladder(_reference_probe(args.reference, scores_dir, outcomes), _metrics(args), encodes, name=out.stem)
    ladder.keys = ladder_keys(encodes, features=args.keys == "all")
    mark_hulls(encodes, ladder.keys)
    ladder.bd = group_comparisons(ladder, methods)
    if other is not None:
        keys = [k for k in ladder.keys if k in other.keys]
        ladder.bd += compare(ladder.name, ladder.scored(), other.name, other.scored(), keys, methods)
    ladder.save(out)
    written = [out]
    if args.csv:
        csv_path = out.with_suffix(".csv") if args.csv is True else Path(args.csv)
        from vqinspect.app.scoring.results import write_atomic

        write_atomic(csv_path, ladder.to_csv())
        written.append(csv_path)
    if args.report:
        written.append(_write_report(ladder, scores_dir, Path(args.report), write_pdf))
    print(_summary(ladder))
    print("\n".join(str(p) for p in written))
    failed = [e for e in encodes if e.error]
    for e in failed:
        print(f"vqinspect: {e.path}: {e.error}", file=sys.stderr)
    return EXIT_SOME_FAILED if failed else EXIT_OK


def _specs(args) -> list:
    from vqinspect.app.batch.manifest import PairSpec, load_manifest

    reference = str(Path(args.reference).resolve())
    specs = [PairSpec(reference, str(Path(p).resolve()), label=Path(p).stem, scaler=args.scaler)
             for p in args.encodes]
    if args.manifest:
        specs += [s if s.scaler else _with_scaler(s, args.scaler)
                  for s in load_manifest(args.manifest, reference)]
    if not specs:
        raise InputError(None, "no encodes: list them after the reference or give --manifest")
    return specs


def _with_scaler(spec, scaler: str):
    from dataclasses import replace

    return replace(spec, scaler=scaler, label=spec.label or Path(spec.distorted).stem)


def _metrics(args) -> list[str]:
    from vqinspect.app.cli.options import metric_names

    return metric_names(args.metrics)


def _encode(outcome, scores_dir: Path):
    """A ladder encode from its batch outcome: facts from its score JSON, rate from its packets."""
    import json

    from vqinspect.app.ladder.bitrate import stream_rate
    from vqinspect.app.ladder.ladder import Encode

    spec = outcome.spec
    encode = Encode(spec.distorted, spec.label or Path(spec.distorted).stem, spec.group)
    if outcome.status != "scored":
        encode.error = outcome.error
        return encode
    probe = json.loads((scores_dir / outcome.json_name).read_text(encoding="utf-8"))["distorted"]
    encode.codec, encode.width, encode.height = probe.get("codec", ""), int(probe["width"]), int(probe["height"])
    encode.pooled, encode.scores = outcome.pooled, str(scores_dir / outcome.json_name)
    try:
        rate = stream_rate(spec.distorted)
    except InputError as exc:
        encode.error = str(exc)
        return encode
    encode.bitrate_kbps = rate.kbps
    if rate.declared_differs:
        encode.container_bitrate_kbps = rate.declared_kbps
    return encode


def _reference_probe(path: str, scores_dir: Path, outcomes) -> dict:
    import json

    for o in outcomes:
        if o.status == "scored":
            return json.loads((scores_dir / o.json_name).read_text(encoding="utf-8"))["reference"]
    from vqinspect.app.media.source import open_media

    return open_media(path).info.as_dict()


def _write_report(ladder, scores_dir: Path, out: Path, write_pdf) -> Path:
    from vqinspect.app.ladder.report_html import render_ladder_html
    from vqinspect.app.scoring.results import write_atomic

    worst = {}
    for e in ladder.scored():
        row = worst_frame_pictures(e.scores, LADDER_CROP)
        if row is not None:
            worst[e.path] = row
    if output_kind(out) == "pdf":
        write_pdf(render_ladder_html(ladder, worst, paged=True), out)
    else:
        write_atomic(out, render_ladder_html(ladder, worst))
    return out


def _summary(ladder) -> str:
    """The encodes and BD numbers for the terminal."""
    from vqinspect.app.shared.text import aligned_columns

    rows = [["encode", "size", "kbit/s", *ladder.keys]]
    for e in ladder.encodes:
        rows.append([e.label, e.resolution, _num(e.bitrate_kbps),
                     *(_num(e.quality(k)) + ("*" if e.on_hull.get(k) else " ") for k in ladder.keys)])
    lines = aligned_columns(rows) + ["(* on the convex hull)"]
    if ladder.bd:
        bd = [["test vs anchor", "key", "method", "BD-rate %", "BD-quality"]]
        bd += [[f"{b.test} vs {b.anchor}", b.key, b.method, _num(b.bd_rate_percent), _num(b.bd_quality)]
               for b in ladder.bd]
        lines += [""] + aligned_columns(bd) + ["(notes on overlap and pruning: in the JSON and the report)"]
    return "\n".join(lines)


def _num(v) -> str:
    import math

    return "–" if v is None or not math.isfinite(v) else f"{v:.4f}" if abs(v) < 10 else f"{v:.2f}"
