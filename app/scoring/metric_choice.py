"""Which metrics the inspector scores in the background, and which can draw maps on demand."""
from __future__ import annotations

from dataclasses import dataclass, field

from vqinspect.app.shared.errors import InputError
from vqinspect.metrics.registry import (Metric, MetricError, available, get_metric, plot_groups,
                                        ranking_key)

GUI_DEFAULT = ("psnr", "ssim", "ms_ssim", "vmaf")   # those of these that are registered


@dataclass
class MetricChoice:
    """``scored`` metrics fill the plots; ``map_metrics`` (every registered metric that
    draws maps, scored or not) feed the heatmap view."""

    scored: list[Metric]
    map_metrics: dict[str, Metric] = field(default_factory=dict)

    @classmethod
    def from_names(cls, names: list[str] | None, options: dict[str, dict] | None = None) -> "MetricChoice":
        """Build from metric names (None: the GUI default) with per-metric ``options``;
        InputError for unknown names or unusable options."""
        known = available()
        if names is None:
            names = [n for n in GUI_DEFAULT if n in known]
        scored = []
        for name in names:
            try:
                scored.append(get_metric(name, **(options or {}).get(name, {})))
            except KeyError as exc:
                raise InputError(None, str(exc.args[0])) from None
            except ValueError as exc:      # an unusable option, e.g. a bad VMAF model file
                raise InputError(None, str(exc)) from None
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

    def for_size(self, width: int, height: int) -> tuple["MetricChoice", list[str]]:
        """The choice limited to the metrics that can score frames of this size, and one line
        per metric left out (why), so a small clip still gets the others scored."""
        kept, left_out = [], []
        for metric in self.scored:
            try:
                metric.check_size(width, height)
            except MetricError as exc:
                left_out.append(str(exc))
            else:
                kept.append(metric)
        return MetricChoice(kept, self.map_metrics), left_out

    @property
    def groups(self) -> list[tuple[str, tuple[str, ...]]]:
        """(plot group, the keys to plot): the registry's plot groups of the scored keys. A
        metric's scores are plotted; its elementary features (VMAF's ``vif_scale0``...) have
        other ranges and stay in the summary table, where they do not squash the score's curve."""
        return plot_groups(self.keys)

    @property
    def keys(self) -> list[str]:
        return [k for m in self.scored for k in m.keys]

    @property
    def map_keys(self) -> list[tuple[str, str]]:
        return [(name, map_name) for name, m in self.map_metrics.items() for map_name in m.maps]

    @property
    def preferred_key(self) -> str | None:
        return ranking_key([m.name for m in self.scored], self.keys)

    def find_map(self, name: str) -> tuple[str, str] | None:
        """A (metric, map) pair from ``map`` or ``metric:map``."""
        metric, _, map_name = name.rpartition(":")
        for key in self.map_keys:
            if key[1] == map_name and (not metric or key[0] == metric):
                return key
        return None
