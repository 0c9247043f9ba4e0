"""Per-process caches of rows that rarely change, kept coherent through versions in the shared cache.

A hot path (the public survey endpoint) should ask neither the database nor the shared cache, once
per thing, for what changes a few times a day: a survey's definition, the themes of a team, the
event types a team's webhooks want. A ``LocalCache`` keeps what it loaded in the process's memory,
for a few seconds at most, and only while the *version* of its name in the shared cache (Redis in
production) is the one it loaded under. Every write that changes what such a cache holds calls
``bump(name)``, at once and again when the transaction commits, so the next request of every
process reloads (the second bump keeps a process that reloaded between the change and its commit
from keeping the old rows under the new version).

With Redis, a request does not read the versions itself: the background thread of
``teams.shared_state`` reads every version in use a few times a second, and a cache compares its
entries with what that thread last read, so a change in one process reaches the others within
about ``SHARED_STATE_SYNC_SECONDS``. With a process-local cache (development, tests) the version is
read from it directly. A caller that already holds versions can run inside ``using_versions(...)``.
When Redis cannot be reached, entries live for their TTL alone.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.cache import cache
from django.db import transaction

from . import shared_state

logger = logging.getLogger(__name__)

UNREACHABLE = "unreachable"

# Versions read at the start of the current request, by name (see ``using_versions``).
_known: ContextVar[dict[str, Any] | None] = ContextVar("waymark_local_cache_versions", default=None)
_caches: dict[str, list[LocalCache]] = {}


def version_key(name: str) -> str:
    """The shared-cache key holding the version of ``name`` (pass it to ``cache.make_and_validate_key``)."""
    return f"local-cache:{name}:version"


def _bump_now(name: str) -> None:
    for local in _caches.get(name, ()):
        local.clear()
    key = version_key(name)
    try:
        try:
            cache.incr(key)
        except ValueError:  # no version yet (first use, evicted, flushed): start at a random one
            cache.add(key, secrets.randbelow(2**62), timeout=None)
            cache.incr(key)
    except Exception:  # the shared cache is down: the entries expire within their TTL anyway
        logger.warning("local cache %s: could not bump the shared version", name, exc_info=True)


def bump(name: str) -> None:
    """Make every process reload what the caches of ``name`` hold: now, and again on commit."""
    _bump_now(name)
    transaction.on_commit(lambda: _bump_now(name))


def read_versions(names: list[str]) -> dict[str, Any]:
    """Return the current version of each name, in one round trip (missing ones are created)."""
    keys = {version_key(name): name for name in names}
    try:
        found = cache.get_many(list(keys))
        return {name: found[key] if found.get(key) is not None else _start(name) for key, name in keys.items()}
    except Exception:
        logger.warning("local cache: the shared cache is unreachable", exc_info=True)
        return dict.fromkeys(names, UNREACHABLE)


def _start(name: str) -> Any:
    key = version_key(name)
    cache.add(key, secrets.randbelow(2**62), timeout=None)
    return cache.get(key, UNREACHABLE)


def current_version(name: str) -> Any:
    known = _known.get()
    if known is not None and known.get(name) is not None:
        return known[name]
    if shared_state.active():
        # Redis: the version as the background thread last read it (at most a sync or two old),
        # so a request does not wait on Redis; None when Redis was unreachable at that sync.
        found = shared_state.syncer().version(name, lambda: _read_one(name))
        return UNREACHABLE if found is None else found
    return read_versions([name])[name]


def _read_one(name: str) -> Any:
    found = read_versions([name])[name]
    return None if found == UNREACHABLE else found


@contextmanager
def using_versions(versions: dict[str, Any]) -> Iterator[None]:
    """Within the block, caches take their version from ``versions`` (read once by the caller)."""
    token = _known.set({**(_known.get() or {}), **{k: v for k, v in versions.items() if v is not None}})
    try:
        yield
    finally:
        _known.reset(token)


class LocalCache:
    """A process-local map of ``key -> value`` valid while ``name``'s shared version holds.

    ``ttl`` (seconds, or a callable returning them) bounds how long an entry lives when the
    shared cache is unreachable; 0 turns the cache off. Values are shared between the requests of
    the process: read them, never change them.
    """

    def __init__(self, name: str, *, ttl: float | Callable[[], float] = 5.0, max_entries: int = 1000):
        self.name = name
        self._ttl = ttl
        self._max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Any, Any]] = {}
        _caches.setdefault(name, []).append(self)

    @property
    def ttl(self) -> float:
        return float(self._ttl() if callable(self._ttl) else self._ttl)

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """Return the value of ``key``, calling ``load()`` when this process has no valid copy."""
        ttl = float(self._ttl() if callable(self._ttl) else self._ttl)
        if ttl <= 0:
            return load()
        version = current_version(self.name)
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[1] == version and now - entry[0] < ttl:
            return entry[2]
        value = load()
        if len(self._entries) >= self._max_entries:
            self._entries.clear()
        self._entries[key] = (now, version, value)
        return value

    def forget(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
