"""A byte-budgeted LRU cache of decoded frames (planar numpy arrays), thread-safe."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Hashable

from vqinspect.app.media.frames import Planes, planes_nbytes


class FrameCache:
    """Least-recently-used frames, evicted once their total size exceeds ``budget_bytes``."""

    def __init__(self, budget_bytes: int = 512 * 2**20):
        self.budget_bytes = budget_bytes
        self._items: OrderedDict[Hashable, Planes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Planes | None:
        with self._lock:
            planes = self._items.get(key)
            if planes is not None:
                self._items.move_to_end(key)
            return planes

    def put(self, key: Hashable, planes: Planes) -> None:
        size = planes_nbytes(planes)
        if size > self.budget_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= planes_nbytes(old)
            self._items[key] = planes
            self._bytes += size
            while self._bytes > self.budget_bytes:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= planes_nbytes(evicted)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
