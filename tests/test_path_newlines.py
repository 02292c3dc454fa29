"""A newline in a path segment is part of the id, as in Novu's Express routes: the key is checked
first (401), then the id is looked up (404 naming it), on both the compiled path and Connexion's."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.settings import Settings

KEY = "nv-mock-development-secret-key"


@pytest.fixture(params=[True, False], ids=["compiled", "connexion"])
def client(request):
    with TestClient(create_app(Settings(fast_path=request.param))) as client:
        yield client


@pytest.mark.parametrize("encoded", ["a%0A", "a%0Ab", "%0A"])
def test_a_newline_in_an_id_reaches_the_key_check_and_the_lookup(client, encoded) -> None:
    path = f"/v2/subscribers/{encoded}"
    assert client.get(path, headers={"Authorization": "ApiKey wrong"}).status_code == 401
    found = client.get(path, headers={"Authorization": f"ApiKey {KEY}"})
    assert found.status_code == 404
    assert found.json()["message"].startswith("Subscriber") and "not found" in found.json()["message"]
    created = client.post("/v2/subscribers", headers={"Authorization": f"ApiKey {KEY}"}, json={"subscriberId": "line\nbreak"})
    assert created.status_code == 201
    assert client.get("/v2/subscribers/line%0Abreak", headers={"Authorization": f"ApiKey {KEY}"}).json()["data"][
        "subscriberId"
    ] == "line\nbreak"
