"""An over-long URI is 414, but only once the request is otherwise valid: bad input learns its 422 first."""

from __future__ import annotations


def test_long_but_valid_request_is_414(client) -> None:
    response = client.get("/v2/subscribers", params={"unknown": "a" * 9000})
    assert response.status_code == 414
    assert response.json()["statusCode"] == 414 and "8192" in response.json()["message"]


def test_long_and_invalid_request_is_422(client) -> None:
    response = client.get("/v2/layouts", params={"limit": ["x"] * 2000})
    assert response.status_code == 422
    messages = response.json()["errors"]["general"]["messages"]
    assert "limit must be a number conforming to the specified constraints" in messages


def test_long_request_refused_by_novus_command_is_400(client) -> None:
    # /v2/subscribers reads `limit` in its controller and its command refuses it (a 400)
    response = client.get("/v2/subscribers", params={"limit": ["x"] * 2000})
    assert response.status_code == 400
    assert "limit must be a number conforming to the specified constraints" in response.json()["message"]


def test_long_request_without_key_is_401(app) -> None:
    from starlette.testclient import TestClient

    with TestClient(app) as anonymous:
        assert anonymous.get("/v2/subscribers", params={"q": "a" * 9000}).status_code == 401
