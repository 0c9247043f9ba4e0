"""Per-key rate limits: 429 with Retry-After in the API's error shape, counted per key."""

from __future__ import annotations

import pytest

from teams.api_auth import ApiKeyRateThrottle


@pytest.fixture
def low_rate(monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "3/min"})


def test_key_over_its_rate_gets_429_with_retry_after(low_rate, key_client):
    client = key_client()
    statuses = [client.get("/api/v1/teams/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/teams/")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    body = response.json()
    assert body["code"] == "throttled"
    assert body["errors"] == {}
    assert "throttled" in body["detail"].lower()


def test_each_key_has_its_own_budget(low_rate, key_client):
    first, second = key_client(), key_client()
    for _ in range(3):
        first.get("/api/v1/teams/")
    assert first.get("/api/v1/teams/").status_code == 429
    assert second.get("/api/v1/teams/").status_code == 200


def test_people_in_the_browser_are_not_limited(low_rate, api_as, alice):
    client = api_as(alice)
    assert {client.get("/api/v1/teams/").status_code for _ in range(6)} == {200}
