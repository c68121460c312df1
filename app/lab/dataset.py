"""SUREAL datasets: read ``.py`` files as data (a literal parser, never executed) and ``.json``
files; build SUREAL's opinion-score arrays from them.

A SUREAL ``.py`` dataset is a list of top-level assignments of literals, where a string may be
built from an earlier name (``'path': dis_dir + '/x.yuv'``). Only that subset is accepted.
"""
from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vqinspect.app.shared.errors import InputError

_FLOAT_WORDS = {"nan", "inf", "-inf", "+inf", "infinity", "-infinity"}


@dataclass
class Dataset:
    """A subjective dataset in SUREAL's layout: ``fields`` holds every top-level name
    (``dataset_name``, ``ref_score``, ...); ``ref_videos`` and ``dis_videos`` are lists of dicts."""

    fields: dict
    ref_videos: list
    dis_videos: list
    path: str = ""
    observers_hint: list = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.fields.get("dataset_name", Path(self.path).stem or "dataset"))

    @property
    def ref_score(self):
        return self.fields.get("ref_score")

    @property
    def is_pair_comparison(self) -> bool:
        """SUREAL's paired-comparison layout: ``os`` keys are (subject, other asset_id)."""
        keys = [k for v in self.dis_videos if isinstance(v["os"], dict) for k in v["os"]]
        return bool(keys) and all(isinstance(k, tuple) for k in keys)

    @property
    def content_ids(self) -> list[int]:
        return [int(v["content_id"]) for v in self.dis_videos]

    @property
    def num_contents(self) -> int:
        return max(int(r["content_id"]) for r in self.ref_videos) + 1

    @property
    def content_names(self) -> list[str]:
        """Content names by content id, as SUREAL's output lists them."""
        names = {int(r["content_id"]): str(r.get("content_name", r["content_id"])) for r in self.ref_videos}
        return [names[k] for k in sorted(names)]

    @property
    def dis_video_names(self) -> list[str]:
        return [str(v.get("path", v.get("asset_id"))) for v in self.dis_videos]

    @property
    def is_reference(self) -> list[bool]:
        """SUREAL's hidden-reference test: a dis_video whose path is its content's reference path."""
        ref_path = {int(r["content_id"]): r.get("path") for r in self.ref_videos}
        return [ref_path[int(v["content_id"])] == v.get("path") for v in self.dis_videos]


def read_dataset(path: str | Path) -> Dataset:
    """A SUREAL dataset from a ``.py`` (parsed, not run) or ``.json`` file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
    if path.suffix.lower() == ".py":
        names = parse_python_literals(text, str(path))
    elif path.suffix.lower() == ".json":
        try:
            names = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(str(path), f"not valid JSON: {exc}") from None
        if not isinstance(names, dict):
            raise InputError(str(path), "a dataset JSON file holds one object")
    else:
        raise InputError(str(path), "a SUREAL dataset is a .py or .json file")
    return dataset_from_fields(names, str(path))


def dataset_from_fields(names: dict, source: str = "") -> Dataset:
    """Check the SUREAL keys and build a Dataset (one clear error line for each problem)."""
    for key in ("ref_videos", "dis_videos"):
        if not isinstance(names.get(key), list) or not names[key]:
            raise InputError(source, f"the dataset has no '{key}' list")
    refs, dis = names["ref_videos"], names["dis_videos"]
    ref_ids = set()
    for ref in refs:
        if not isinstance(ref, dict) or "content_id" not in ref:
            raise InputError(source, "every ref_videos entry needs a content_id")
        ref_ids.add(ref["content_id"])
    if not all(isinstance(c, int) and 0 <= c <= max(ref_ids) for c in ref_ids):
        raise InputError(source, "ref_videos content_ids must be integers 0..C-1")
    for k, video in enumerate(dis):
        if not isinstance(video, dict) or "os" not in video or "content_id" not in video:
            raise InputError(source, f"dis_videos[{k}] needs 'content_id' and 'os'")
        if video["content_id"] not in ref_ids:
            raise InputError(source, f"dis_videos[{k}] has content_id {video['content_id']} with no reference")
        if not isinstance(video["os"], (list, tuple, dict)):
            raise InputError(source, f"dis_videos[{k}]['os'] must be a list or a dict")
    if isinstance(dis[0]["os"], (list, tuple)):
        sizes = {len(v["os"]) for v in dis if isinstance(v["os"], (list, tuple))}
        if len(sizes) != 1 or not all(isinstance(v["os"], (list, tuple)) for v in dis):
            raise InputError(source, "list-style 'os' must have the same number of observers everywhere")
    fields_ = {k: v for k, v in names.items() if k not in ("ref_videos", "dis_videos")}
    return Dataset(fields_, refs, dis, source)


def parse_python_literals(text: str, source: str = "") -> dict:
    """The top-level assignments of a SUREAL ``.py`` dataset, evaluated as literals.

    Accepted: constants, lists, tuples, dicts, sets, signed numbers, ``+`` of two values,
    names assigned earlier, and ``float('nan')``. Anything else is refused with its line."""
    try:
        tree = ast.parse(text, filename=source or "<dataset>")
    except SyntaxError as exc:
        raise InputError(source, f"not a Python literal file (line {exc.lineno}: {exc.msg})") from None
    names: dict = {}
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring or a bare string
        if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            value = _literal(node.value, names, source)
            for target in node.targets:
                names[target.id] = value
            continue
        raise InputError(source, f"line {node.lineno}: only 'name = literal' statements are read "
                                 f"(found {type(node).__name__}); the file is never executed")
    return names


def _literal(node: ast.AST, names: dict, source: str):
    def ev(n):
        return _literal(n, names, source)

    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List):
        return [ev(e) for e in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(ev(e) for e in node.elts)
    if isinstance(node, ast.Set):
        return {ev(e) for e in node.elts}
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise InputError(source, f"line {node.lineno}: '**' in a dict is not a literal")
        return {ev(k): ev(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = ev(node.operand)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = ev(node.left), ev(node.right)
        if type(left) is type(right) and isinstance(left, (str, int, float, list, tuple)):
            return left + right
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        raise InputError(source, f"line {node.lineno}: name '{node.id}' is not assigned earlier in the file")
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float"
            and len(node.args) == 1 and not node.keywords and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str) and node.args[0].value.strip().lower() in _FLOAT_WORDS):
        return float(node.args[0].value)
    raise InputError(source, f"line {getattr(node, 'lineno', '?')}: {ast.unparse(node)[:60]!r} is not a literal")


def observers(dataset: Dataset) -> list | None:
    """Observer ids in SUREAL's order: sorted unique keys for dict-style ``os``; None for
    list-style (SUREAL then names them ``observer0``, ``observer1``...)."""
    if dataset.is_pair_comparison:
        return sorted({key[0] for v in dataset.dis_videos for key in v["os"]})
    if isinstance(dataset.dis_videos[0]["os"], dict):
        try:
            return sorted({key for v in dataset.dis_videos for key in v["os"]})
        except TypeError:
            raise InputError(dataset.path, "observer ids mix types and cannot be ordered") from None
    return None


def observer_names(dataset: Dataset, count: int) -> list[str]:
    ids = observers(dataset)
    return [str(o) for o in ids] if ids is not None else [f"observer{k}" for k in range(count)]


def opinion_scores(dataset: Dataset) -> np.ndarray:
    """SUREAL's ``opinion_score_3darray``: x[e, s, r], NaN where a vote is missing."""
    dis = dataset.dis_videos
    ids = observers(dataset)
    if ids is None:
        num_obs = len(dis[0]["os"])
        votes = [list(enumerate(v["os"])) for v in dis]
    else:
        index = {o: k for k, o in enumerate(ids)}
        num_obs = len(ids)
        votes = [[(index[o], x) for o, x in v["os"].items()] for v in dis]
    reps = max([len(x) for row in votes for _, x in row if isinstance(x, (list, tuple))] + [1])
    scores = np.full((len(dis), num_obs, reps), np.nan)
    for e, row in enumerate(votes):
        for s, x in row:
            x = list(x) if isinstance(x, (list, tuple)) else [x]
            scores[e, s, :len(x)] = [_number(v, dataset.path) for v in x]
    return scores


def pair_scores(dataset: Dataset) -> np.ndarray:
    """SUREAL's paired-comparison array x[i, j, s]: 1 when observer s preferred i over j, 0.5 a
    tie; later votes on the same pair overwrite earlier ones, in file order, as SUREAL does."""
    dis = dataset.dis_videos
    ids = observers(dataset)
    index = {o: k for k, o in enumerate(ids)}
    count = len(dis)
    scores = np.full((count, count, len(ids)), np.nan)
    for i, video in enumerate(dis):
        aid = video.get("asset_id")
        if not isinstance(aid, int) or not 0 <= aid < count:
            raise InputError(dataset.path, f"paired-comparison asset_id must be in [0, {count}) but is {aid!r}")
        for (subject, j), value in video["os"].items():
            if value not in (0, 0.5, 1):
                raise InputError(dataset.path, f"a paired-comparison vote is 0, 0.5 or 1, not {value!r}")
            if not isinstance(j, int) or not 0 <= j < count:
                raise InputError(dataset.path, f"compared-against asset_id {j!r} is out of range")
            scores[i, j, index[subject]] = value
            scores[j, i, index[subject]] = 1.0 - value
    return scores


def _number(value, source: str) -> float:
    """A vote as a float; None (JSON null) is a missing vote."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(source, f"an opinion score must be a number, not {value!r}")
    return float(value)
