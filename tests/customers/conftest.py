import base64
import gzip
import json

import pytest
from django.test import Client

from customers.services import source_create


@pytest.fixture
def source_key(team_a, alice):
    """A web source of team A and its write key."""
    return source_create(team=team_a, actor=alice, name="Shop website", kind="web")


@pytest.fixture
def source(source_key):
    return source_key[0]


@pytest.fixture
def write_key(source_key):
    return source_key[1]


@pytest.fixture
def send(client: Client, write_key):
    """Post a tracking call: ``send("track", {...})``; ``auth="basic"|"body"|None``, ``gzipped``."""

    def post(call, body, *, auth="basic", key=None, gzipped=False, content_type="application/json", **headers):
        key = write_key if key is None else key
        body = dict(body)
        if auth == "body":
            body["writeKey"] = key
        if auth == "basic":
            headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
        data = json.dumps(body).encode()
        if gzipped:
            data = gzip.compress(data)
            headers["HTTP_CONTENT_ENCODING"] = "gzip"
        return client.post(f"/v1/{call}", data=data, content_type=content_type, **headers)

    return post
