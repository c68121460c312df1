"""The mailbox of the on-demand services (frames, scopes): one waiting request at a time, the
newest; an older one still waiting is dropped. Requests are frozen dataclasses with an ``id``."""
from __future__ import annotations

import threading
from dataclasses import replace


class LatestRequest:
    """``submit`` from the UI thread, ``take`` from the service's worker thread."""

    def __init__(self):
        self._cond = threading.Condition()
        self._pending = None
        self._next_id = 0
        self.closed = False

    def submit(self, request):
        """Queue ``request`` in place of any waiting one; returns it with its id."""
        with self._cond:
            self._next_id += 1
            request = replace(request, id=self._next_id)
            self._pending = request
            self._cond.notify_all()
        return request

    @property
    def waiting(self) -> bool:
        """Whether a newer request waits (a service checks between stages to drop stale work)."""
        return self._pending is not None

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._pending = None
            self._cond.notify_all()

    def take(self):
        """The newest request, waiting for one; None once closed."""
        with self._cond:
            self._cond.wait_for(lambda: self.closed or self._pending is not None)
            if self.closed:
                return None
            request, self._pending = self._pending, None
            return request
