"""The per-process near cache: reuse within its lifetime, reload after it."""

from __future__ import annotations

from polls_site.core import near_cache as module
from polls_site.core.near_cache import NearCache


def test_values_expire_and_none_is_not_kept(monkeypatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: clock[0])
    cache = NearCache(ttl=1.0)
    loads = []

    def load(value):
        def inner():
            loads.append(value)
            return value

        return inner

    assert cache.get_or_load("k", load("a")) == "a"
    assert cache.get_or_load("k", load("b")) == "a"  # reused
    clock[0] += 1.01
    assert cache.get_or_load("k", load("c")) == "c"  # expired: loaded again
    assert cache.get_or_load("n", load(None)) is None
    assert cache.get_or_load("n", load("x")) == "x"  # None was not cached
    cache.forget("k")
    assert cache.get_or_load("k", load("d")) == "d"
    assert loads == ["a", "c", None, "x", "d"]


def test_zero_ttl_never_reuses() -> None:
    cache = NearCache(ttl=0)
    values = iter([1, 2])
    assert cache.get_or_load("k", lambda: next(values)) == 1
    assert cache.get_or_load("k", lambda: next(values)) == 2


def test_size_is_bounded() -> None:
    cache = NearCache(ttl=60, max_entries=3)
    for i in range(10):
        cache.get_or_load(i, lambda i=i: i)
    assert len(cache._entries) <= 3
