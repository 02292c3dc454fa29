"""The mock's own checks of contexts: the store's rules (Novu's contexts use cases), the wire
answers, the contexts triggers and channel connections create, and state export / import."""

from __future__ import annotations

import pytest

from mock_server.errors import BadRequest, Conflict, NotFound, ValidationFailed
from mock_server.store import Backend, Environment
from mock_server.store.cursor import CursorQuery


@pytest.fixture
def backend() -> Backend:
    backend = Backend(Environment("e" * 24, "Development", "o" * 24, "key"))
    backend.subscribers.create(subscriber_id="ada", profile={})
    backend.workflows.create(identifier="alert", name="Alert", channels=["in_app"])
    return backend


def _ids(page: dict) -> list[str]:
    return [f"{item['type']}:{item['id']}" for item in page["data"]]


# -- the store -----------------------------------------------------------------------------------


def test_create_get_update_delete_follow_novus_use_cases(backend) -> None:
    made = backend.contexts.create("tenant", "acme", {"plan": "pro"})
    assert made.to_dto()["data"] == {"plan": "pro"} and made.created_at == made.updated_at
    with pytest.raises(Conflict, match="Context with type 'tenant' and id 'acme' already exists"):
        backend.contexts.create("tenant", "acme")
    assert backend.contexts.create("app", "acme").data == {}, "same id, other type: another context"
    changed = backend.contexts.update("tenant", "acme", {"plan": "free"})
    assert changed.data == {"plan": "free"} and changed.updated_at >= changed.created_at
    with pytest.raises(NotFound, match="Context with type 'tenant' and id 'nope' not found"):
        backend.contexts.update("tenant", "nope", {})
    with pytest.raises(NotFound, match=f"Context with id 'nope' and type 'tenant' not found in environment {'e' * 24}"):
        backend.contexts.get("tenant", "nope")
    backend.contexts.delete("tenant", "acme")
    with pytest.raises(NotFound):
        backend.contexts.delete("tenant", "acme")
    assert [context.key for context in backend.contexts.find_or_create({"app": "acme"})] == ["app:acme"]


def test_data_over_64_kb_is_refused_as_novu_words_it(backend) -> None:
    big = {"blob": "x" * (70 * 1024)}
    with pytest.raises(ValidationFailed) as refused:
        backend.contexts.create("tenant", "big", big)
    assert refused.value.errors["data"]["messages"] == ["Data is too large: 70KB exceeds 64KB limit"]
    backend.contexts.create("tenant", "small", {"blob": "x" * 1000})
    with pytest.raises(ValidationFailed):
        backend.contexts.update("tenant", "small", big)


def test_list_filters_search_and_pages_with_cursors(backend) -> None:
    for index in range(5):
        backend.contexts.create("tenant", f"t{index}")
    backend.contexts.create("app", "Jira")
    everything = backend.contexts.list(CursorQuery(limit=100))
    assert _ids(everything)[0] == "app:Jira", "newest first"
    assert everything["totalCount"] == 6 and everything["totalCountCapped"] is False
    assert _ids(backend.contexts.list(CursorQuery(), context_type="app")) == ["app:Jira"]
    assert _ids(backend.contexts.list(CursorQuery(), context_id="t3")) == ["tenant:t3"]
    assert _ids(backend.contexts.list(CursorQuery(), search="JIRA")) == ["app:Jira"], "any case"
    assert _ids(backend.contexts.list(CursorQuery(order_direction="ASC"), search="TENANT:T")) == [
        "tenant:t0", "tenant:t1", "tenant:t2", "tenant:t3", "tenant:t4"]  # fmt: skip
    assert _ids(backend.contexts.list(CursorQuery(), search="^tenant:t[12]$")) == [], "escaped: plain text only"
    assert _ids(backend.contexts.list(CursorQuery(), search="t[")) == [], "plain text"
    first = backend.contexts.list(CursorQuery(limit=2, order_direction="ASC"))
    assert _ids(first) == ["tenant:t0", "tenant:t1"] and first["previous"] is None
    second = backend.contexts.list(CursorQuery(limit=2, order_direction="ASC", after=first["next"]))
    assert _ids(second) == ["tenant:t2", "tenant:t3"]
    back = backend.contexts.list(CursorQuery(limit=2, order_direction="ASC", before=second["previous"]))
    assert _ids(back) == ["tenant:t0", "tenant:t1"]
    with_cursor = backend.contexts.list(
        CursorQuery(limit=2, order_direction="ASC", after=first["next"], include_cursor=True))
    assert _ids(with_cursor) == ["tenant:t1", "tenant:t2"]
    unknown = backend.contexts.list(CursorQuery(after="f" * 24))
    assert unknown == {"data": [], "next": None, "previous": None, "totalCount": 0, "totalCountCapped": False}
    with pytest.raises(BadRequest):
        backend.contexts.list(CursorQuery(after=first["next"], before=second["previous"]))


def test_list_orders_by_any_field_name_as_novus_repository_does(backend) -> None:
    """CursorPaginationQueryDto checks orderBy with IsString only and the repository sorts by that
    field, then by _id: a field contexts lack (``_id``, ``nope``) leaves creation order."""
    for context_type, context_id in (("tenant", "b"), ("app", "c"), ("tenant", "a")):
        backend.contexts.create(context_type, context_id)
    ascending = {"order_direction": "ASC"}
    assert _ids(backend.contexts.list(CursorQuery(order_by="id", **ascending))) == ["tenant:a", "tenant:b", "app:c"]
    assert _ids(backend.contexts.list(CursorQuery(order_by="key", **ascending))) == ["app:c", "tenant:a", "tenant:b"]
    for creation_order in ("_id", "nope"):
        assert _ids(backend.contexts.list(CursorQuery(order_by=creation_order, **ascending))) == [
            "tenant:b", "app:c", "tenant:a"]  # fmt: skip
    first = backend.contexts.list(CursorQuery(order_by="type", limit=2, **ascending))
    assert _ids(first) == ["app:c", "tenant:b"]
    rest = backend.contexts.list(CursorQuery(order_by="type", limit=2, after=first["next"], **ascending))
    assert _ids(rest) == ["tenant:a"], "ties on the field follow _id"


def test_wire_order_by_takes_any_field_name(client) -> None:
    for context_id in ("zeta", "alpha"):
        assert client.post("/v2/contexts", json={"type": "ordered", "id": context_id}).status_code == 201
    mine = {"type": "ordered", "orderDirection": "ASC"}
    by_id = client.get("/v2/contexts", params={"orderBy": "id", **mine})
    assert by_id.status_code == 200 and [item["id"] for item in by_id.json()["data"]] == ["alpha", "zeta"]
    unknown = client.get("/v2/contexts", params={"orderBy": "noSuchField", **mine})
    assert unknown.status_code == 200 and [item["id"] for item in unknown.json()["data"]] == ["zeta", "alpha"]


def test_find_or_create_creates_keeps_and_replaces_data(backend) -> None:
    backend.contexts.create("tenant", "acme", {"plan": "pro"})
    found = backend.contexts.find_or_create({"tenant": "acme", "app": {"id": "jira", "data": {"v": 1}}})
    assert [context.key for context in found] == ["app:jira", "tenant:acme"], "sorted by key"
    assert backend.contexts.get("tenant", "acme").data == {"plan": "pro"}, "a bare id keeps the data"
    backend.contexts.find_or_create({"tenant": {"id": "acme", "data": {"plan": "free"}}})
    assert backend.contexts.get("tenant", "acme").data == {"plan": "free"}


def test_trigger_context_creates_contexts_and_marks_notifications(backend) -> None:
    answer = backend.inbox.trigger_event(workflow_id="alert", to="ada", context={"tenant": "acme", "app": "jira"})
    assert answer["status"] == "processed"
    assert backend.contexts.get("tenant", "acme").id == "acme"
    page = backend.inbox.notifications(page=0, limit=10, transaction_ids=[answer["transactionId"]])
    assert [item.to_dto()["contextKeys"] for item in page.items] == [["app:jira", "tenant:acme"]]


def test_state_export_and_import_keep_contexts_and_check_them(backend) -> None:
    backend.contexts.create("tenant", "acme", {"plan": "pro"})
    state = backend.export_state()
    assert [record["id"] for record in state["contexts"]] == ["acme"]
    other = Backend(Environment("f" * 24, "Other", "o" * 24, "other"))
    other.import_state(state)
    assert other.contexts.get("tenant", "acme").data == {"plan": "pro"}
    twice = state | {"contexts": state["contexts"] * 2}
    with pytest.raises(Conflict, match="tenant:acme is used twice"):
        other.import_state(twice)
    assert other.contexts.get("tenant", "acme").data == {"plan": "pro"}, "all or nothing"


# -- the wire ------------------------------------------------------------------------------------


def test_wire_create_list_get_patch_delete(client, other_client) -> None:
    created = client.post("/v2/contexts", json={"type": "tenant", "id": "org-acme", "data": {"name": "Acme"}})
    assert created.status_code == 201
    body = created.json()["data"]
    assert body["type"] == "tenant" and body["id"] == "org-acme" and body["data"] == {"name": "Acme"}
    assert set(body) == {"type", "id", "data", "createdAt", "updatedAt"}
    again = client.post("/v2/contexts", json={"type": "tenant", "id": "org-acme"})
    assert again.status_code == 409
    assert again.json()["message"] == "Context with type 'tenant' and id 'org-acme' already exists"
    bad = client.post("/v2/contexts", json={"type": "tenant", "id": "has space"})
    assert bad.status_code == 422
    assert client.get("/v2/contexts/tenant/org-acme").json()["data"]["data"] == {"name": "Acme"}
    patched = client.patch("/v2/contexts/tenant/org-acme", json={"data": {"name": "Acme Inc"}})
    assert patched.status_code == 200 and patched.json()["data"]["data"] == {"name": "Acme Inc"}
    page = client.get("/v2/contexts", params={"type": "tenant", "id": "org-acme"}).json()
    assert [item["id"] for item in page["data"]] == ["org-acme"] and page["totalCount"] == 1
    assert other_client.get("/v2/contexts/tenant/org-acme").status_code == 404, "one environment only"
    assert client.delete("/v2/contexts/tenant/org-acme").status_code == 204
    missing = client.get("/v2/contexts/tenant/org-acme")
    assert missing.status_code == 404 and "not found in environment" in missing.json()["message"]
    assert client.patch("/v2/contexts/tenant/org-acme", json={"data": {}}).status_code == 404
    assert client.delete("/v2/contexts/tenant/org-acme").status_code == 404


def test_wire_unknown_cursor_is_an_empty_page_counted_zero(client) -> None:
    answer = client.get("/v2/contexts", params={"after": "0" * 24})
    assert answer.status_code == 200
    assert answer.json() == {"data": [], "next": None, "previous": None, "totalCount": 0, "totalCountCapped": False}


def test_wire_before_and_after_together_are_400(client) -> None:
    answer = client.get("/v2/contexts", params={"after": "0" * 24, "before": "1" * 24})
    assert answer.status_code == 400
    assert answer.json()["message"] == 'Cannot specify both "before" and "after" cursors at the same time.'


def test_wire_channel_connection_creates_its_context(client) -> None:
    integrations = client.get("/v1/integrations").json()["data"]
    chat = next((item for item in integrations if item["channel"] == "chat"), None)
    assert chat is not None, "the fixtures hold a chat integration"
    subscriber_id = client.get("/v2/subscribers", params={"limit": 1}).json()["data"][0]["subscriberId"]
    made = client.post("/v1/channel-connections", json={
        "integrationIdentifier": chat["identifier"], "subscriberId": subscriber_id,
        "context": {"workspace": "ws-9", "tenant": {"id": "t-9", "data": {"tier": "gold"}}},
        "workspace": {"id": "T9"}, "auth": {"accessToken": "xoxb-1"},
    })  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["data"]["contextKeys"] == ["tenant:t-9", "workspace:ws-9"], "Novu keeps them sorted"
    assert client.get("/v2/contexts/tenant/t-9").json()["data"]["data"] == {"tier": "gold"}
    assert client.get("/v2/contexts/workspace/ws-9").status_code == 200


def test_wire_trigger_context_is_validated_like_novu(client) -> None:
    subscriber_id = client.get("/v2/subscribers", params={"limit": 1}).json()["data"][0]["subscriberId"]
    workflow = client.get("/v1/notifications", params={"limit": 1}).json()["data"][0]["template"]["triggers"][0]
    too_many = {f"k{index}": "v" for index in range(6)}
    answer = client.post("/v1/events/trigger", json={"name": workflow["identifier"], "to": subscriber_id,
                                                     "context": too_many})  # fmt: skip
    assert answer.status_code == 422, "at most 5 contexts"
    answer = client.post("/v1/events/trigger", json={"name": workflow["identifier"], "to": subscriber_id,
                                                     "context": {"tenant": "bad id"}})  # fmt: skip
    assert answer.status_code == 422, "ids follow the identifier rule"
    answer = client.post("/v1/events/trigger", json={"name": workflow["identifier"], "to": subscriber_id,
                                                     "context": {"tenant": "org-7"}})  # fmt: skip
    assert answer.status_code == 201
    assert client.get("/v2/contexts/tenant/org-7").status_code == 200


def test_each_environment_has_its_own_contexts(client, other_client) -> None:
    client.post("/v2/contexts", json={"type": "app", "id": "shared-name"})
    assert other_client.post("/v2/contexts", json={"type": "app", "id": "shared-name"}).status_code == 201
