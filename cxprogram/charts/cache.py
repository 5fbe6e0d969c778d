"""A bounded, thread-safe, in-process cache of drawn charts."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from markupsafe import Markup

MAX_ENTRIES = 512


@dataclass(frozen=True)
class CacheInfo:
    """Counters of the chart cache, for tests and the benchmark."""

    hits: int
    misses: int
    size: int
    max_entries: int


class ChartCache:
    """Least-recently-used map of key -> Markup, bounded to max_entries."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[Hashable, Markup] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries
        self._hits = 0
        self._misses = 0

    def get_or_build(self, key: Hashable, build: Callable[[], Markup]) -> Markup:
        """The cached chart of key, or build() stored under key."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self._hits += 1
                return found
            self._misses += 1
        # Drawn outside the lock: a slow chart must not hold up readers of other keys.
        # Two threads missing the same key at once both draw it; the result is the same.
        built = build()
        with self._lock:
            self._entries[key] = built
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return built

    def info(self) -> CacheInfo:
        """Hits, misses and size so far."""
        with self._lock:
            return CacheInfo(self._hits, self._misses, len(self._entries), self._max)

    def clear(self) -> None:
        """Forget every chart and reset the counters."""
        with self._lock:
            self._entries.clear()
            self._hits = self._misses = 0
