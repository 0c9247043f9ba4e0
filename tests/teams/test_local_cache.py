"""Per-process caches kept coherent through versions in the shared cache (``teams.local_cache``)."""

import pytest
from django.core.cache import cache

from teams import local_cache


@pytest.fixture
def numbers(db):
    loads = []
    store = {"a": 1}

    def load():
        loads.append(store["a"])
        return store["a"]

    return local_cache.LocalCache("test.numbers", ttl=60), store, load, loads


def test_a_value_is_loaded_once_while_the_version_holds(numbers):
    local, _store, load, loads = numbers
    assert [local.get("k", load) for _ in range(3)] == [1, 1, 1]
    assert loads == [1]


def test_a_bump_in_this_process_reloads_at_once(numbers):
    local, store, load, loads = numbers
    assert local.get("k", load) == 1
    store["a"] = 2
    local_cache.bump("test.numbers")
    assert local.get("k", load) == 2
    assert loads == [1, 2]


def test_a_bump_in_another_process_reloads_on_the_next_read(numbers):
    local, store, load, _loads = numbers
    assert local.get("k", load) == 1
    store["a"] = 3
    cache.incr(local_cache.version_key("test.numbers"))  # what another process's bump does
    assert local.get("k", load) == 3


def test_versions_read_once_are_used_inside_the_block(numbers):
    local, store, load, _loads = numbers
    versions = local_cache.read_versions(["test.numbers", "test.other"])
    assert set(versions) == {"test.numbers", "test.other"} and None not in versions.values()
    assert local.get("k", load) == 1
    cache.incr(local_cache.version_key("test.numbers"))
    store["a"] = 4
    with local_cache.using_versions(versions):  # the request read its versions before the change
        assert local.get("k", load) == 1
    assert local.get("k", load) == 4


def test_entries_expire_after_their_ttl_when_nothing_bumps(numbers, monkeypatch):
    local, store, load, _loads = numbers
    clock = [1000.0]
    monkeypatch.setattr(local_cache.time, "monotonic", lambda: clock[0])
    assert local.get("k", load) == 1
    store["a"] = 5
    clock[0] += 59
    assert local.get("k", load) == 1
    clock[0] += 2
    assert local.get("k", load) == 5


def test_a_ttl_of_zero_turns_the_cache_off():
    calls = []
    off = local_cache.LocalCache("test.off", ttl=0)
    assert [off.get("k", lambda: calls.append(1) or len(calls)) for _ in range(2)] == [1, 2]


def test_an_unreachable_shared_cache_leaves_the_ttl_alone_in_charge(numbers, monkeypatch):
    local, store, load, loads = numbers

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "get_many", down)
    assert local_cache.read_versions(["test.numbers"]) == {"test.numbers": local_cache.UNREACHABLE}
    assert local.get("k", load) == 1
    store["a"] = 6
    assert local.get("k", load) == 1  # same "unreachable" version, within the TTL
    assert loads == [1]
