"""The mock's own checks of layouts: the store's rules, the preview, usage, the wire answers, fixtures, state."""

from __future__ import annotations

import json

import pytest

from mock_server.errors import BadRequest, Conflict, NotFound
from mock_server.store import Backend, Environment
from mock_server.store.layout_preview import SAMPLE_CONTENT, preview
from mock_server.store.resources import workflows_using_layout

HTML = "<html><body><h1>Hi {{subscriber.firstName}}</h1>{{content}}</body></html>"


def maily(*nodes: dict) -> str:
    return json.dumps({"type": "doc", "content": [{"type": "paragraph", "content": list(nodes)}]})


CONTENT_NODE = {"type": "variable", "attrs": {"id": "content"}}


@pytest.fixture
def backend() -> Backend:
    return Backend(Environment("e" * 24, "Development", "o" * 24, "key"))


# -- the store -----------------------------------------------------------------------------------


def test_the_first_layout_is_the_default_and_identifiers_are_unique(backend) -> None:
    first = backend.layouts.create(name="First", layout_id="first")
    second = backend.layouts.create(name="Second Layout", layout_id="")
    assert first.is_default and not second.is_default
    assert second.identifier == "second-layout", "an empty layoutId is derived from the name"
    with pytest.raises(Conflict, match=f"Layout with identifier: first already exists under environment {'e' * 24}"):
        backend.layouts.create(name="Again", layout_id="first")


def test_a_layout_is_found_by_identifier_id_and_slug(backend) -> None:
    layout = backend.layouts.create(name="Brand Frame", layout_id="brand")
    assert layout.slug.startswith("brand-frame_ly_")
    for key in ("brand", layout.id, layout.slug):
        assert backend.layouts.get(key) is layout
    with pytest.raises(NotFound, match=f"Layout not found for id nope in the environment {'e' * 24}"):
        backend.layouts.get("nope")


def test_the_default_layout_cannot_be_deleted_and_others_can(backend) -> None:
    default = backend.layouts.create(name="Default", layout_id="default")
    other = backend.layouts.create(name="Other", layout_id="other")
    with pytest.raises(Conflict, match="Layout with id default is being used as a default layout, it can not be deleted"):
        backend.layouts.delete("default")
    backend.layouts.delete(other.id)
    assert backend.layouts.find("other") is None and backend.layouts.find("default") is default


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ({"body": "just text", "editorType": "html"}, "Content must be a valid HTML content"),
        ({"body": "just text", "editorType": "block"}, "Content must be a valid Maily JSON content"),
        ({"body": maily(CONTENT_NODE), "editorType": "html"}, "Content must be a valid HTML content"),
        ({"body": HTML, "editorType": "block"}, "Content must be a valid Maily JSON content"),
        ({"body": "<html><body>no slot</body></html>", "editorType": "html"}, "Layout has validation issues"),
        ({"body": maily({"type": "text", "text": "no slot"}), "editorType": "block"}, "Layout has validation issues"),
    ],
)
def test_update_refuses_email_bodies_as_novu_does(backend, email, message) -> None:
    backend.layouts.create(name="Frame", layout_id="frame")
    with pytest.raises(BadRequest) as refused:
        backend.layouts.update("frame", name="Frame", controls={"email": email})
    assert refused.value.message == message
    if message == "Layout has validation issues":
        issue = refused.value.extra["controls"]["email.body"][0]
        assert issue == {"message": 'The layout body should contain the "content" variable', "issueType": "MISSING_VALUE"}


def test_the_body_is_checked_before_the_layout_is_looked_up(backend) -> None:
    with pytest.raises(BadRequest):
        backend.layouts.update("missing", name="x", controls={"email": {"body": "x", "editorType": "html"}})
    with pytest.raises(NotFound):
        backend.layouts.update("missing", name="x", controls={"email": {"body": HTML, "editorType": "html"}})


def test_control_values_left_out_stay_null_clears_them_and_an_object_replaces_them(backend) -> None:
    backend.layouts.create(name="Frame", layout_id="frame")
    backend.layouts.update("frame", name="Frame", controls={"email": {"body": HTML, "editorType": "html"}})
    assert backend.layouts.update("frame", name="Renamed").dto()["controls"]["values"]["email"]["body"] == HTML
    assert backend.layouts.update("frame", name="Renamed", controls=None).dto()["controls"]["values"] == {}
    assert backend.layouts.update("frame", name="Renamed", controls={}).dto()["controls"]["values"] == {}


def test_duplicate_copies_the_control_values_under_a_new_identifier(backend) -> None:
    backend.layouts.create(name="Frame", layout_id="frame", controls={"email": {"body": HTML, "editorType": "html"}})
    copy = backend.layouts.duplicate("frame", name="Frame copy")
    assert copy.identifier == "frame-copy" and not copy.is_default
    assert copy.controls == {"email": {"body": HTML, "editorType": "html"}}
    with pytest.raises(Conflict):
        backend.layouts.duplicate("frame", name="Whatever", layout_id="frame-copy")


def test_list_searches_sorts_and_pages(backend) -> None:
    for name in ("Charlie", "alpha", "Bravo"):
        backend.layouts.create(name=name, layout_id=name.lower())
    names = lambda layouts: [layout.name for layout in layouts]  # noqa: E731
    assert names(backend.layouts.list(order_by="name", direction="ASC")[0]) == ["Bravo", "Charlie", "alpha"]
    assert names(backend.layouts.list()[0]) == ["Bravo", "alpha", "Charlie"], "newest first by default"
    page, total = backend.layouts.list(offset=1, limit=1, order_by="createdAt", direction="ASC")
    assert names(page) == ["alpha"] and total == 3
    assert names(backend.layouts.list(query="RAV")[0]) == ["Bravo"]


def test_usage_lists_workflows_whose_steps_name_the_layout() -> None:
    class Workflows:
        def snapshot(self):
            return [
                {"_id": "1" * 24, "workflowId": "welcome", "name": "Welcome",
                 "steps": [{"type": "email", "controlValues": {"layoutId": "frame"}}]},
                {"_id": "2" * 24, "identifier": "digest", "name": "Digest", "steps": [{"controls": {"layoutId": "other"}}]},
                {"_id": "3" * 24, "triggers": [{"identifier": "legacy"}], "name": "Legacy", "steps": [{"layoutId": "f" * 24}]},
            ]  # fmt: skip

    assert workflows_using_layout(Workflows(), {"frame", "f" * 24}) == [
        {"name": "Welcome", "workflowId": "welcome"},
        {"name": "Legacy", "workflowId": "legacy"},
    ]
    assert workflows_using_layout(None, {"frame"}) == []


# -- the preview ---------------------------------------------------------------------------------


def test_preview_renders_html_around_sample_content_with_the_payload(backend) -> None:
    layout = backend.layouts.create(name="Frame", layout_id="frame", controls={"email": {"body": HTML, "editorType": "html"}})
    answer = preview(layout, None, {"subscriber": {"firstName": "Alice"}})
    assert answer["result"]["preview"]["body"] == f"<html><body><h1>Hi Alice</h1>{SAMPLE_CONTENT}</body></html>"
    assert answer["previewPayloadExample"] == {"subscriber": {"firstName": "Alice"}}
    placeholder = preview(layout)
    assert placeholder["previewPayloadExample"] == {"subscriber": {"firstName": "{{subscriber.firstName}}"}}
    assert "<h1>Hi {{subscriber.firstName}}</h1>" in placeholder["result"]["preview"]["body"]


def test_preview_turns_a_block_body_into_html_and_fails_softly_without_one(backend) -> None:
    body = maily({"type": "text", "text": "Hello "}, {"type": "variable", "attrs": {"id": "subscriber.firstName"}}, CONTENT_NODE)
    layout = backend.layouts.create(name="Frame", layout_id="frame")
    rendered = preview(layout, {"email": {"body": body, "editorType": "block"}}, {"subscriber": {"firstName": "Bo"}})
    assert "<p>Hello Bo" in rendered["result"]["preview"]["body"] and SAMPLE_CONTENT in rendered["result"]["preview"]["body"]
    assert preview(layout) == {"result": {"type": "email"}, "previewPayloadExample": {}}, "no stored body"
    assert preview(layout, {}) == {"result": {"type": "email"}, "previewPayloadExample": {}}, "an empty object is used as given"


# -- state ---------------------------------------------------------------------------------------


def test_snapshot_and_restore_keep_layouts_and_check_them(backend) -> None:
    backend.layouts.create(name="Frame", layout_id="frame", controls={"email": {"body": HTML, "editorType": "html"}})
    backend.layouts.create(name="Plain", layout_id="plain")
    saved = backend.layouts.snapshot()
    other = Backend(Environment("f" * 24, "Production", "o" * 24, "other"))
    other.layouts.restore(saved)
    assert [layout.dto() for layout in other.layouts.all()] == [layout.dto() for layout in backend.layouts.all()]
    two_defaults = [dict(record, isDefault=True) for record in saved]
    with pytest.raises(Conflict, match="more than one layout is the default"):
        other.layouts.restore(two_defaults)
    with pytest.raises(Conflict, match="Content must be a valid HTML content"):
        other.layouts.restore([dict(saved[0], controlValues={"email": {"body": "x", "editorType": "html"}})])
    assert len(other.layouts.all()) == 2, "a refused restore changes nothing"


# -- the wire ------------------------------------------------------------------------------------


def test_crud_over_http_answers_novus_statuses_and_envelopes(client) -> None:
    created = client.post("/v2/layouts", json={"layoutId": "wire-frame", "name": "Wire frame"})
    assert created.status_code == 201
    layout = created.json()["data"]
    assert layout["isDefault"] is False, "the fixtures' default layout stays the default"
    assert layout["controls"]["values"] == {} and layout["controls"]["uiSchema"]["group"] == "LAYOUT"
    assert client.post("/v2/layouts", json={"layoutId": "wire-frame", "name": "x"}).status_code == 409
    updated = client.put(f"/v2/layouts/{layout['slug']}", json={"name": "Wire", "controlValues": {"email": {"body": HTML, "editorType": "html"}}})
    assert updated.status_code == 200 and updated.json()["data"]["controls"]["values"]["email"]["body"] == HTML
    listed = client.get("/v2/layouts", params={"query": "wire"}).json()["data"]
    assert listed["totalCount"] == 1 and listed["layouts"][0]["controls"] == {"values": {}}
    duplicated = client.post("/v2/layouts/wire-frame/duplicate", json={"name": "Wire copy"})
    assert duplicated.status_code == 201 and duplicated.json()["data"]["layoutId"] == "wire-copy"
    shown = client.post("/v2/layouts/wire-frame/preview", json={"previewPayload": {"subscriber": {"firstName": "Zed"}}})
    assert shown.status_code == 201 and "Hi Zed" in shown.json()["data"]["result"]["preview"]["body"]
    assert client.get("/v2/layouts/wire-frame/usage").json() == {"data": {"workflows": []}}
    deleted = client.delete("/v2/layouts/wire-frame")
    assert deleted.status_code == 204 and deleted.content == b""
    assert client.get("/v2/layouts/wire-frame").status_code == 404
    refused = client.delete("/v2/layouts/default-layout")
    assert refused.status_code == 409 and "default layout" in refused.json()["message"]


def test_list_parameters_are_checked_as_novus_pagination_dto(client) -> None:
    for params in ({"limit": 0}, {"limit": 101}, {"limit": 2.5}, {"offset": -1}, {"orderBy": "slug"}, {"orderDirection": "up"}):
        assert client.get("/v2/layouts", params=params).status_code == 422, params
    assert len(client.get("/v2/layouts", params={"limit": "1.0"}).json()["data"]["layouts"]) == 1, "Number('1.0') is 1"


def test_a_layout_of_one_environment_is_invisible_to_another(client, other_client) -> None:
    client.post("/v2/layouts", json={"layoutId": "private-frame", "name": "Private"})
    assert other_client.get("/v2/layouts/private-frame").status_code == 404
    assert "private-frame" not in [item["layoutId"] for item in other_client.get("/v2/layouts").json()["data"]["layouts"]]


def test_fixtures_seed_a_default_layout_with_translations(client) -> None:
    default = client.get("/v2/layouts/default-layout").json()["data"]
    assert default["isDefault"] and default["controls"]["values"]["email"]["editorType"] == "block"
    group = client.get("/v2/translations/group/layout/default-layout").json()["data"]
    assert sorted(group["locales"]) == ["en_US", "fr_FR"]
