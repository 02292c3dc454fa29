"""Business rules of the Contexts API, checked black-box over HTTP against the target.

Each test names the Novu file (apps/api/src/app/contexts/ unless said otherwise) whose behaviour
it follows. Ids start with ``contract-``; every context a test makes is deleted.
"""

from __future__ import annotations

import uuid

import pytest

PREFIX = "contract-ctx-"


def _id() -> str:
    return f"{PREFIX}{uuid.uuid4().hex[:12]}"


@pytest.fixture
def contexts(client):
    """``contexts(type, id=None, data=None)`` creates a context; every one named is deleted after."""
    made: list[tuple[str, str]] = []

    def create(context_type: str = "tenant", context_id: str | None = None, data: dict | None = None) -> dict:
        context_id = context_id or _id()
        made.append((context_type, context_id))
        body = {"type": context_type, "id": context_id, **({"data": data} if data is not None else {})}
        response = client.post("/v2/contexts", json=body)
        assert response.status_code == 201, response.text
        return response.json()["data"]

    create.forget = made.append  # contexts made another way (by a trigger) are deleted too
    yield create
    for context_type, context_id in made:
        client.delete(f"/v2/contexts/{context_type}/{context_id}")


def test_create_answers_the_context_and_a_second_one_is_409(client, contexts) -> None:
    """usecases/create-context/create-context.usecase.ts, dtos/get-context-response.dto.ts"""
    made = contexts("tenant", data={"tenantName": "Acme"})
    assert set(made) == {"type", "id", "data", "createdAt", "updatedAt"}
    assert made["type"] == "tenant" and made["data"] == {"tenantName": "Acme"}
    again = client.post("/v2/contexts", json={"type": "tenant", "id": made["id"]})
    assert again.status_code == 409
    assert again.json()["message"] == f"Context with type 'tenant' and id '{made['id']}' already exists"
    assert contexts("app", made["id"])["data"] == {}, "same id, other type: a context of its own, data {}"


@pytest.mark.parametrize("body", [{"type": "tenant"}, {"type": "has space", "id": "x"}, {"type": "tenant", "id": "a/b"},
                                  {"type": "tenant", "id": "x" * 101}, {"type": "tenant", "id": "ok", "data": "text"}])
def test_create_refuses_what_the_dto_refuses(client, body) -> None:
    """dtos/create-context-request.dto.ts: type and id 1-100 of [a-zA-Z0-9_-], data an object."""
    response = client.post("/v2/contexts", json=body)
    assert response.status_code in (400, 422), response.text


def test_get_patch_delete_and_their_404s(client, contexts) -> None:
    """usecases/get-context, update-context (data replaced, nothing else), delete-context"""
    made = contexts("tenant", data={"a": 1, "b": 2})
    path = f"/v2/contexts/tenant/{made['id']}"
    assert client.get(path).json()["data"]["data"] == {"a": 1, "b": 2}
    patched = client.patch(path, json={"data": {"c": 3}})
    assert patched.status_code == 200
    body = patched.json()["data"]
    assert body["data"] == {"c": 3} and body["createdAt"] == made["createdAt"] and body["updatedAt"] >= made["updatedAt"]
    assert client.delete(path).status_code == 204
    missing = client.get(path)
    assert missing.status_code == 404
    assert missing.json()["message"].startswith(f"Context with id '{made['id']}' and type 'tenant' not found")
    gone = client.patch(path, json={"data": {}})
    assert gone.status_code == 404
    assert gone.json()["message"] == f"Context with type 'tenant' and id '{made['id']}' not found"
    assert client.delete(path).status_code == 404


def test_list_filters_by_type_id_and_search_and_pages(client, contexts) -> None:
    """usecases/list-contexts/list-contexts.usecase.ts: exact type / id, search as escaped text in the key"""
    kind = f"ctype{uuid.uuid4().hex[:8]}"
    made = [contexts(kind, f"{PREFIX}{number}-{uuid.uuid4().hex[:6]}") for number in range(3)]
    page = client.get("/v2/contexts", params={"type": kind, "limit": 2}).json()
    assert [item["id"] for item in page["data"]] == [made[2]["id"], made[1]["id"]], "newest first"
    assert page["totalCount"] == 3 and page["next"] and page["previous"] is None
    rest = client.get("/v2/contexts", params={"type": kind, "limit": 2, "after": page["next"]}).json()
    assert [item["id"] for item in rest["data"]] == [made[0]["id"]] and rest["next"] is None
    one = client.get("/v2/contexts", params={"type": kind, "id": made[1]["id"]}).json()
    assert [item["id"] for item in one["data"]] == [made[1]["id"]]
    searched = client.get("/v2/contexts", params={"search": f"{kind.upper()}:{PREFIX.upper()}1-"}).json()
    assert [item["id"] for item in searched["data"]] == [made[1]["id"]], "case-insensitive text in type:id"


def test_a_trigger_creates_the_contexts_it_names(client, contexts, created_at) -> None:
    """libs/dal context.repository.ts findOrCreateContextsFromPayload, called for a trigger's context"""
    from contract_tests.test_trigger_family import WORKFLOW

    subscriber_id = created_at("/v2/subscribers", "subscriberId").create({"subscriberId": _id()})["subscriberId"]
    context_id = _id()
    contexts.forget(("tenant", context_id))
    answer = client.post("/v1/events/trigger", json={
        "name": WORKFLOW, "to": subscriber_id, "context": {"tenant": {"id": context_id, "data": {"plan": "pro"}}}})
    assert answer.status_code == 201, answer.text
    from contract_tests.test_parity_inbox import eventually

    found = eventually(lambda: client.get(f"/v2/contexts/tenant/{context_id}"), lambda r: r.status_code == 200)
    assert found.status_code == 200 and found.json()["data"]["data"] == {"plan": "pro"}
