"""What a web process mirrors from Redis so that its hot path never waits on it.

A background thread per process (started on first use, so after gunicorn forks its workers) runs
``Syncer.sync`` every ``SHARED_STATE_SYNC_SECONDS`` (0.2 s by default), one pipelined round trip:

- it adds the hits counted here since the last sync to the shared rate-limit counters (``INCRBY``)
  and reads their totals back (``teams.ratelimit.hit_local``);
- it reads the versions of the per-process caches (``teams.local_cache``), so a change made in
  any process reaches every other within a sync or two, instead of each request reading them;
- it says the process is alive and counts the live ones, which is how a process knows its share
  of a rate limit.

When Redis cannot be reached the thread keeps trying; meanwhile the rate limits count per process
and the local caches keep their entries for their TTL alone. Nothing here is needed when the
cache is not Redis (development, tests): the thread is then never started.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

PROCESSES_KEY = "shared-state:processes"
# A version read longer ago than this is not trusted: the entries then live for their TTL alone.
STALE_AFTER = 1.0
# A rate-limit key hit here within this many seconds has its total read at every sync.
RECENT = 10.0


def interval() -> float:
    return float(getattr(settings, "SHARED_STATE_SYNC_SECONDS", 0.2))


@dataclass
class _Counter:
    limit: int
    expires_at: float  # monotonic
    ttl: int
    seen: int = 0  # the shared total at the last sync (this process's pushed hits included)
    since_sync: int = 0  # hits let through here since the last sync
    pending: int = 0  # hits let through here and not pushed yet
    total: int = 0  # hits let through here in the window (the per-process limit when Redis is down)
    touched: bool = True  # hit since the last sync
    hit_at: float = 0.0  # monotonic time of the last hit


def _as_int(raw) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


class Syncer:
    def __init__(self):
        self.pid = os.getpid()
        self.id = f"{socket.gethostname()}:{self.pid}:{secrets.token_hex(4)}"
        self.lock = threading.Lock()
        self.counters: dict[str, _Counter] = {}
        self.processes = 1
        self.version_names: set[str] = set()
        self.versions: dict[str, Any] = {}
        self.synced_at = -math.inf  # monotonic time of the last successful sync
        self.reachable = True  # whether the last sync reached Redis
        self.thread: threading.Thread | None = None
        self.stopped = threading.Event()

    # --- the thread -----------------------------------------------------------------------------

    def ensure_thread(self) -> None:
        if self.thread is not None or interval() <= 0:
            return
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="waymark-shared-state", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        while not self.stopped.wait(interval()):
            try:
                self.sync()
            except Exception:  # never let the thread die: the next sync tries again
                logger.exception("shared state: sync failed")

    def stop(self) -> None:
        self.stopped.set()

    # --- one sync -----------------------------------------------------------------------------

    def sync(self) -> bool:
        """Push the local hits, pull the totals and the versions: one round trip. True if it reached Redis."""
        backend = caches[DEFAULT_CACHE_ALIAS]
        if not isinstance(backend, RedisCache):
            return False
        now = time.monotonic()
        with self.lock:
            self.counters = {k: c for k, c in self.counters.items() if c.expires_at > now}
            pushed = {k: c.pending for k, c in self.counters.items() if c.touched}
            ttls = {k: self.counters[k].ttl for k in pushed}
            for key in pushed:
                self.counters[key].pending = 0
                self.counters[key].touched = False
            # Keys hit here lately but not since the last sync: read their totals too, since other
            # processes may be counting them.
            recent = [k for k, c in self.counters.items() if k not in pushed and now - c.hit_at < RECENT]
            names = sorted(self.version_names)
        make_key = backend.make_and_validate_key
        try:
            client = backend._cache.get_client(write=True)
            pipe = client.pipeline(transaction=False)
            for key, delta in pushed.items():
                pipe.incrby(make_key(key), delta)
                pipe.expire(make_key(key), ttls[key])
            if recent:
                pipe.mget([make_key(k) for k in recent])
            if names:
                pipe.mget([make_key(f"local-cache:{n}:version") for n in names])
            wall = time.time()
            members = make_key(PROCESSES_KEY)
            pipe.zadd(members, {self.id: wall})
            pipe.zremrangebyscore(members, "-inf", wall - max(3.0, 10 * interval()))
            pipe.zcard(members)
            pipe.expire(members, 60)
            replies = pipe.execute()
        except Exception:
            logger.warning("shared state: Redis unreachable", exc_info=self.reachable)
            with self.lock:
                self.reachable = False
                for key, delta in pushed.items():  # pushed with the next sync that reaches Redis
                    if key in self.counters:
                        self.counters[key].pending += delta
                        self.counters[key].touched = True
            return False
        totals = replies[0 : 2 * len(pushed) : 2]
        at = 2 * len(pushed)
        others = replies[at] if recent else []
        found = replies[at + bool(recent)] if names else []
        processes = replies[-2]
        with self.lock:
            for key, total in zip(pushed, totals, strict=True):
                counter = self.counters.get(key)
                if counter is not None:
                    counter.seen = int(total)
                    counter.since_sync = counter.pending
            for key, total in zip(recent, others, strict=True):
                counter = self.counters.get(key)
                if counter is not None and total is not None and not counter.touched:
                    counter.seen = int(total)
                    counter.since_sync = 0
            self.versions.update({n: _as_int(raw) for n, raw in zip(names, found, strict=True)})
            self.processes = max(1, int(processes))
            self.synced_at = time.monotonic()
            self.reachable = True
        return True

    # --- rate limits ----------------------------------------------------------------------------

    def counter_hit(self, key: str, limit: int, *, expires: float, ttl: int) -> bool:
        """Count one hit of ``key`` here; return whether it is within ``limit`` (see ``teams.ratelimit``)."""
        self.ensure_thread()
        with self.lock:
            counter = self.counters.get(key)
            if counter is None:
                counter = self.counters[key] = _Counter(limit=limit, expires_at=time.monotonic() + expires + 1, ttl=ttl)
            counter.touched = True
            counter.hit_at = time.monotonic()
            if self.reachable:
                left = limit - counter.seen
                allowed = left > 0 and counter.since_sync < math.ceil(left / self.processes)
            else:
                allowed = counter.total < limit
            if allowed:
                counter.since_sync += 1
                counter.pending += 1
                counter.total += 1
            return allowed

    # --- versions of the per-process caches ------------------------------------------------------

    def version(self, name: str, read_now) -> Any:
        """The shared version of ``name`` as of the last sync; ``read_now()`` reads it when unknown.

        Returns None when Redis could not be reached at the last sync: then nothing is read here.
        """
        # Without the lock first: every per-process cache read of an answer asks this, and a fresh
        # sync knows the name. The sync thread replaces each of these values whole, which a
        # reader sees before or after, never half-way.
        if self.thread is not None and self.reachable and time.monotonic() - self.synced_at < STALE_AFTER:
            found = self.versions.get(name)
            if found is not None:
                return found
        self.ensure_thread()
        with self.lock:
            if not self.reachable:
                return None
            fresh = time.monotonic() - self.synced_at < STALE_AFTER
            if fresh and self.versions.get(name) is not None:
                return self.versions[name]
            self.version_names.add(name)
        value = read_now()
        if value is not None:
            with self.lock:
                self.versions[name] = value
        return value

    def forget_version(self, name: str) -> None:
        """Read ``name`` again on its next use (after this process bumped it)."""
        with self.lock:
            self.versions.pop(name, None)


_syncer: Syncer | None = None
_create = threading.Lock()


def syncer() -> Syncer:
    """This process's syncer (a fresh one in a forked child: threads do not survive a fork)."""
    global _syncer
    found = _syncer
    if found is not None and found.pid == os.getpid():
        return found
    with _create:
        if _syncer is None or _syncer.pid != os.getpid():
            _syncer = Syncer()
        return _syncer


def active() -> bool:
    """Whether the shared state lives in Redis (and so is mirrored by the background thread)."""
    # Decided from the settings rather than from ``caches[...]`` (a lookup in a thread-local
    # store): every per-process cache read of an answer asks this.
    return _is_redis(settings.CACHES[DEFAULT_CACHE_ALIAS]["BACKEND"])


@functools.lru_cache(maxsize=16)
def _is_redis(backend: str) -> bool:
    return issubclass(import_string(backend), RedisCache)


def reset() -> None:
    """Stop the thread and forget everything mirrored (tests)."""
    global _syncer
    with _create:
        if _syncer is not None:
            _syncer.stop()
        _syncer = None
