"""The runner's results files merged into one SUREAL dataset: several subjects and sessions,
one stimulus list, clip identities checked (a clip whose SHA-256 differs between sessions is
refused, since its votes would be about different pictures)."""
from __future__ import annotations

from pathlib import Path

from vqinspect.app.lab.dataset import Dataset, dataset_from_fields
from vqinspect.app.lab.session import read_results
from vqinspect.app.shared.errors import InputError


def dataset_from_results(paths: list[str | Path]) -> Dataset:
    """SUREAL's layout for the votes in ``paths``.

    Ratings (ACR, ACR-HR, DCR/DSIS): ``os = {subject: vote}``, a list of votes when a subject
    rated a stimulus more than once (repetitions, several sessions). ACR-HR's hidden references
    are stimuli whose path is their reference's, and ``ref_score`` is the scale's top, so
    SUREAL's ``DMOS`` applies. CCR: the vote about the processed clip against its reference
    (negated when the processed clip came first). PC: ``os = {(subject, other asset_id): 1 | 0}``,
    the repetitions of one pair by one subject as pseudo-subjects ``S01/r2``... (SUREAL keeps one
    vote per subject and pair)."""
    records = [(Path(p), read_results(p)) for p in paths]
    if not records:
        raise InputError(None, "no results files given")
    methods = {r["plan"]["method"] for _, r in records}
    if len(methods) != 1:
        raise InputError(None, f"the results mix methods ({', '.join(sorted(methods))}); analyse them separately")
    method = methods.pop()
    stimuli: dict[str, dict] = {}
    for path, record in records:
        for s in record["stimuli"]:
            known = stimuli.setdefault(s["id"], s)
            if known.get("sha256") and s.get("sha256") and known["sha256"] != s["sha256"]:
                raise InputError(str(path), f"stimulus {s['id']} ({s['path']}) is a different file than in "
                                            "another session (SHA-256 differs)")
    contents = sorted({s["content"] for s in stimuli.values()})
    cid = {c: k for k, c in enumerate(contents)}
    ref_path = {}
    for s in stimuli.values():
        ref_path.setdefault(s["content"], s.get("reference") or s["path"])
    ids = list(stimuli)
    asset = {sid: k for k, sid in enumerate(ids)}
    votes: dict[str, dict] = {sid: {} for sid in ids}
    for path, record in records:
        order = {t["index"]: t for t in record["order"]}
        for vote in _effective_votes(record):
            if vote["value"] is None:  # the voting time ran out
                continue
            trial = order[vote["trial"]]
            if method == "PC":
                _add_pair_vote(votes, asset, record["subject"], trial, vote["value"])
                continue
            value = float(vote["value"])
            if method == "CCR" and trial["shown"][0] == trial["rated"]:
                value = -value
            votes[trial["rated"]].setdefault(record["subject"], []).append(value)
    dis = []
    for sid in ids:
        s = stimuli[sid]
        os_ = votes[sid] if method == "PC" else {k: v[0] if len(v) == 1 else v for k, v in votes[sid].items()}
        if not os_ and method != "PC":
            continue
        dis.append({"asset_id": asset[sid], "content_id": cid[s["content"]], "path": s["path"], "os": os_,
                    "stimulus": sid})
    fields = {"dataset_name": records[0][1]["plan"]["name"], "method": method,
              "ref_videos": [{"content_id": cid[c], "content_name": c, "path": ref_path[c]} for c in contents],
              "dis_videos": dis}
    scale = records[0][1]["plan"].get("scale", {})
    if method == "ACR-HR":
        top = scale.get("maximum") if scale.get("kind") == "continuous" else max(int(k) for k in scale["labels"])
        fields["ref_score"] = float(top)
    return dataset_from_fields(fields, str(records[0][0]))


def _effective_votes(record: dict) -> list[dict]:
    """The votes that count: a re-shown presentation's vote replaces the flagged original."""
    order = {t["index"]: t for t in record["order"]}
    chosen: dict[int, dict] = {}
    for vote in record["votes"]:
        original = order[vote["trial"]].get("reshow_of")
        chosen[vote["trial"] if original is None else original] = vote
    return [chosen[k] for k in sorted(chosen)]


def _add_pair_vote(votes: dict, asset: dict, subject: str, trial: dict, value) -> None:
    """A preference (1 = first shown, 2 = second) as SUREAL's (subject, other) -> win."""
    first, second = trial["shown"]
    winner, loser = (first, second) if int(value) == 1 else (second, first)
    key = subject
    rep = 1
    while (key, asset[loser]) in votes[winner] or (key, asset[winner]) in votes[loser]:
        rep += 1
        key = f"{subject}/r{rep}"
    votes[winner][(key, asset[loser])] = 1
