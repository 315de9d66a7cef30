"""At most N questions per session in any sliding minute, so one tab can't starve the rest.

Example:
    >>> from assistant.rate_limit import SessionRateLimit
    >>> limit = SessionRateLimit(per_minute=2)
    >>> [limit.allow("tab-1") for _ in range(3)]
    [True, True, False]
    >>> limit.allow("tab-2")
    True
"""

from __future__ import annotations

import threading
import time
from collections import deque


class SessionRateLimit:
    """Counts each session's recent questions; thread-safe."""

    def __init__(self, per_minute: int, window_s: float = 60.0) -> None:
        self.per_minute = per_minute
        self._window_s = window_s
        self._lock = threading.Lock()
        self._asked: dict[str, deque[float]] = {}

    def allow(self, session: str) -> bool:
        """Records a question and says whether it may be answered now."""
        now = time.monotonic()
        with self._lock:
            recent = self._asked.setdefault(session, deque())
            while recent and now - recent[0] > self._window_s:
                recent.popleft()
            if len(recent) >= self.per_minute:
                return False
            recent.append(now)
            # Forget sessions that went quiet, so the table doesn't grow with every visitor.
            if len(self._asked) > 10_000:
                self._asked = {s: q for s, q in self._asked.items()
                               if q and now - q[-1] <= self._window_s}
            return True

    def wait_s(self, session: str) -> int:
        """Seconds until ``session`` may ask again."""
        with self._lock:
            recent = self._asked.get(session)
            if not recent:
                return 0
            return max(1, round(self._window_s - (time.monotonic() - recent[0])))
