"""Scopes of the shown frame, computed in one background thread, latest request first.

Works like ``FrameService``: the UI captures an immutable ``ScopeRequest`` (the planes the
frame service already decoded, the scope and layout) and submits it; the ``vq-scopes``
thread keeps only the newest waiting request, drops a figure half-way when a newer request
arrives, and holds the ``PriorityGate`` while it counts, so background scoring yields to it.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

from vqinspect.app.display import scope_figure, scopes
from vqinspect.app.display.screen import ColorSpec
from vqinspect.app.inspector.frame_service import PriorityGate
from vqinspect.app.inspector.latest_request import LatestRequest


@dataclass(frozen=True)
class ScopeRequest:
    kind: str                   # a key of scope_figure.KINDS
    layout: str                 # "side-by-side" or "overlay"
    frame: int                  # reference frame index (for the caller's bookkeeping)
    ref_planes: tuple
    dist_planes: tuple
    ref_spec: ColorSpec
    dist_spec: ColorSpec
    pair: object = None         # the ClipPair the planes belong to, compared by identity
    id: int = 0                 # assigned by ScopeService.submit


@dataclass(frozen=True)
class ScopeResult:
    request: ScopeRequest
    figure: scope_figure.ScopeFigure | None = None
    error: str = ""


class ScopeService:
    """One ``vq-scopes`` thread serving the newest ``ScopeRequest``; ``on_result(ScopeResult)``
    is called from it (never for a request dropped because a newer one came)."""

    def __init__(self, on_result: Callable[[ScopeResult], None], gate: PriorityGate | None = None):
        self.on_result = on_result
        self.gate = gate or PriorityGate()
        self._requests = LatestRequest()
        self._thread = threading.Thread(target=self._run, name="vq-scopes", daemon=True)
        self._thread.start()

    def submit(self, request: ScopeRequest) -> ScopeRequest:
        """Queue ``request`` in place of any waiting one; returns it with its id."""
        return self._requests.submit(request)

    @property
    def superseded(self) -> bool:
        return self._requests.waiting or self._requests.closed

    def close(self, timeout: float | None = 10.0) -> bool:
        """Stop the worker (after its current step); True if it ended within ``timeout``."""
        self._requests.close()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        scopes.warm_up()
        while (request := self._requests.take()) is not None:
            with self.gate.hold():
                result = self._serve(request)
            if result is not None:
                self.on_result(result)

    def _serve(self, request: ScopeRequest) -> ScopeResult | None:
        try:
            figure = scope_figure.figure(request.kind, request.layout, request.ref_planes, request.dist_planes,
                                         request.ref_spec, request.dist_spec, cancelled=lambda: self.superseded)
        except ValueError as exc:
            return ScopeResult(request, error=str(exc))
        except Exception as exc:  # shown in the dock rather than ending the thread
            return ScopeResult(request, error=f"{request.kind}: {type(exc).__name__}: {exc}")
        return None if figure is None else ScopeResult(request, figure)
