"""Fixed-window rate limits: the API keys, the public survey endpoints and the tracking API's sources.

Two ways to count, one limiter:

- ``hit_exact``: every hit is counted atomically in the shared cache (one Redis script, ``SET … NX
  EX`` then ``INCR``), so exactly ``limit`` hits of a window pass however many threads and processes
  send them. The API keys and the tracking API's sources use it: such a call already costs
  several queries.
- ``hit_local``: the hit is counted in the process's memory and the background thread of
  ``teams.shared_state`` pushes the counts to Redis and pulls the totals every
  ``SHARED_STATE_SYNC_SECONDS``. Between two syncs a process lets through at most its share of
  what was left (what is left divided by the processes counting), so the total stays close to the
  limit without a round trip per hit. The public survey endpoints use it.

Without Redis (``LocMemCache`` in development and tests) both count in the process's cache,
exactly. When Redis cannot be reached both fall back to a limit per process, counted in memory.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
import time
import weakref

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache

from . import shared_state

logger = logging.getLogger(__name__)

_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_UNITS |= {"d": 86400, "day": 86400}


@functools.lru_cache(maxsize=64)
def parse_rate(rate: str) -> tuple[int, int]:
    """``"120/min"`` → ``(120, 60)``; a multiple of the unit is allowed: ``"2000/10s"`` → ``(2000, 10)``."""
    count, _, period = rate.partition("/")
    match = re.fullmatch(r"\s*(\d*)\s*([a-z]*)\s*", period.lower())
    if not match:
        raise ValueError(f"Not a rate: {rate!r}")
    multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _UNITS.get(unit or "min", 60)


def window_of(period: int, now: float | None = None) -> tuple[int, float]:
    """The fixed window ``now`` falls in: ``(its number, seconds until it ends)``."""
    now = time.time() if now is None else now
    window = int(now // period)
    return window, (window + 1) * period - now


def retry_after(period: int, now: float | None = None) -> int:
    return max(1, math.ceil(window_of(period, now)[1]))


def _redis_backend():
    backend = caches[DEFAULT_CACHE_ALIAS]
    return backend if isinstance(backend, RedisCache) else None


# SET key 0 EX ttl NX (start the window's counter with its expiry), INCR key: one round trip.
_COUNT = """
redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
return redis.call('INCR', KEYS[1])
"""
_scripts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _script(backend: RedisCache):
    found = _scripts.get(backend._cache)
    if found is None:
        client = backend._cache.get_client(write=True)
        found = _scripts[backend._cache] = (client, client.register_script(_COUNT))
    return found


class _LocalWindows:
    """Counts per ``(key, window)`` in this process's memory: the fallback when Redis is down."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[float, int]] = {}

    def incr(self, key: str, expires: float) -> int:
        with self._lock:
            now = time.monotonic()
            if len(self._counts) > 10_000:
                self._counts = {k: v for k, v in self._counts.items() if v[0] > now}
            _, count = self._counts.get(key, (0.0, 0))
            self._counts[key] = (now + expires, count + 1)
            return count + 1

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


_fallback = _LocalWindows()


def _count_in_cache(backend, key: str, timeout: int) -> int:
    if backend.add(key, 1, timeout=timeout):
        return 1
    try:
        return backend.incr(key)
    except ValueError:  # expired between add and incr
        backend.set(key, 1, timeout=timeout)
        return 1


def hit_exact(name: str, limit: int, period: int) -> int | None:
    """Count one hit of ``name``; return the seconds to wait when it is over ``limit`` per ``period``."""
    now = time.time()
    window, left = window_of(period, now)
    key = f"rate:{name}:{window}"
    backend = _redis_backend()
    if backend is None:
        try:
            count = _count_in_cache(caches[DEFAULT_CACHE_ALIAS], key, period + 1)
        except Exception:
            logger.warning("rate limit %s: cache unreachable, counting in this process", name, exc_info=True)
            count = _fallback.incr(key, left + 1)
    else:
        try:
            client, script = _script(backend)
            count = int(script(keys=[backend.make_and_validate_key(key)], args=[period + 1], client=client))
        except Exception:
            logger.warning("rate limit %s: Redis unreachable, counting in this process", name, exc_info=True)
            count = _fallback.incr(key, left + 1)
    return retry_after(period, now) if count > limit else None


def hit_local(name: str, limit: int, period: int) -> int | None:
    """Like ``hit_exact`` without waiting on Redis: counted here, reconciled in the background."""
    if not shared_state.active():
        return hit_exact(name, limit, period)
    now = time.time()
    window, left = window_of(period, now)
    allowed = shared_state.syncer().counter_hit(f"rate:{name}:{window}", limit, expires=left, ttl=period + 1)
    return None if allowed else retry_after(period, now)


def reset() -> None:
    """Forget every count kept in this process (tests)."""
    _fallback.clear()
    shared_state.reset()
