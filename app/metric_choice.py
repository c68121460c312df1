"""Which metrics the inspector scores in the background, and which can draw maps on demand."""
from __future__ import annotations

from dataclasses import dataclass, field

from app.errors import InputError
from metrics.registry import Metric, MetricError, available, get_metric

GUI_DEFAULT = ("psnr", "ssim", "ms_ssim", "vmaf")   # those of these that are registered
PREFERRED_KEYS = ("vmaf", "ssim", "ms_ssim", "psnr_y")
PREFERRED_MAP = "ssim"


@dataclass
class MetricChoice:
    """``scored`` metrics fill the plots; ``map_metrics`` (every registered metric that
    draws maps, scored or not) feed the heatmap view."""

    scored: list[Metric]
    map_metrics: dict[str, Metric] = field(default_factory=dict)

    @classmethod
    def from_names(cls, names: list[str] | None) -> "MetricChoice":
        """Build from metric names (None: the GUI default); InputError for unknown ones."""
        known = available()
        if names is None:
            names = [n for n in GUI_DEFAULT if n in known]
        scored = []
        for name in names:
            try:
                scored.append(get_metric(name))
            except KeyError as exc:
                raise InputError(None, str(exc.args[0])) from None
        by_name = {m.name: m for m in scored}
        maps = {}
        for name in known:
            metric = by_name.get(name)
            if metric is None:
                try:
                    metric = get_metric(name)
                except (MetricError, TypeError, ValueError):
                    continue      # a metric that needs options is not offered for maps
            if metric.maps and metric.compute_map is not None:
                maps[name] = metric
        return cls(scored, maps)

    @classmethod
    def default(cls) -> "MetricChoice":
        return cls.from_names(None)

    @property
    def groups(self) -> list[tuple[str, tuple[str, ...]]]:
        """(metric name, the keys to plot) for each scored metric: one plot each.

        A metric's own keys (``psnr_y``..., ``vmaf``) are plotted; its elementary
        features (VMAF's ``vif_scale0``, ``adm2``, ``motion2``...) have other ranges and
        stay in the summary table, where they do not squash the score's curve.
        """
        groups = []
        for m in self.scored:
            own = tuple(k for k in m.keys if k.startswith(m.name))
            groups.append((m.name, own or tuple(m.keys)))
        return groups

    @property
    def keys(self) -> list[str]:
        return [k for m in self.scored for k in m.keys]

    @property
    def map_keys(self) -> list[tuple[str, str]]:
        return [(name, map_name) for name, m in self.map_metrics.items() for map_name in m.maps]

    @property
    def preferred_key(self) -> str | None:
        keys = self.keys
        return next((k for k in PREFERRED_KEYS if k in keys), keys[0] if keys else None)

    def find_map(self, name: str) -> tuple[str, str] | None:
        """A (metric, map) pair from ``map`` or ``metric:map``."""
        metric, _, map_name = name.rpartition(":")
        for key in self.map_keys:
            if key[1] == map_name and (not metric or key[0] == metric):
                return key
        return None
