"""Business rules of the Layouts API (v2), checked black-box over HTTP against the target.

Each test names the Novu file (apps/api/src/app/layouts-v2/ unless said otherwise) whose behaviour
it follows. Layout identifiers start with ``contract-layout-``; every layout a test makes is
deleted (one that became the environment's default cannot be: Novu refuses it).
"""

from __future__ import annotations

import json
import uuid

import pytest

PREFIX = "contract-layout-"
HTML = "<html><body><p>Hi {{subscriber.firstName}}</p><div>{{content}}</div></body></html>"


@pytest.fixture
def layouts(client):
    """``layouts(name=..., **body)`` creates a layout and answers it; all are deleted after the test."""
    made: list[str] = []

    def create(name: str = "Contract layout", **body) -> dict:
        body = {"layoutId": f"{PREFIX}{uuid.uuid4().hex[:10]}", "name": name, **body}
        response = client.post("/v2/layouts", json=body)
        assert response.status_code == 201, response.text
        made.append(response.json()["data"]["layoutId"])
        return response.json()["data"]

    create.forget = made.append
    yield create
    for layout_id in made:
        client.delete(f"/v2/layouts/{layout_id}")


def test_create_answers_the_layout_with_its_controls(layouts, client) -> None:
    """usecases/upsert-layout/upsert-layout.usecase.ts, e2e/upsert-layout.e2e.ts: 201, the layout as
    get-layout answers it, no control values yet."""
    layout = layouts("Created")
    assert layout["name"] == "Created" and layout["layoutId"].startswith(PREFIX)
    assert layout["controls"]["values"] == {} and isinstance(layout["variables"], dict)
    assert layout["origin"] == "novu-cloud" and layout["type"] == "BRIDGE"
    assert client.get(f"/v2/layouts/{layout['_id']}").json()["data"]["layoutId"] == layout["layoutId"]
    assert client.get(f"/v2/layouts/{layout['slug']}").json()["data"]["_id"] == layout["_id"]


def test_a_taken_identifier_is_409(layouts, client) -> None:
    """layouts-v1/usecases/create-layout: ConflictException naming the identifier and environment."""
    layout = layouts()
    again = client.post("/v2/layouts", json={"layoutId": layout["layoutId"], "name": "Again"})
    assert again.status_code == 409
    assert again.json()["message"].startswith(f"Layout with identifier: {layout['layoutId']} already exists under environment ")


def test_an_unknown_layout_is_404(client) -> None:
    """application-generic get-layout: NotFoundException for every operation on the layout."""
    missing = f"{PREFIX}missing-{uuid.uuid4().hex[:6]}"
    answer = client.get(f"/v2/layouts/{missing}")
    assert answer.status_code == 404 and answer.json()["message"].startswith(f"Layout not found for id {missing}")
    assert client.put(f"/v2/layouts/{missing}", json={"name": "x"}).status_code == 404
    assert client.delete(f"/v2/layouts/{missing}").status_code == 404
    assert client.post(f"/v2/layouts/{missing}/duplicate", json={"name": "x"}).status_code == 404
    assert client.post(f"/v2/layouts/{missing}/preview", json={}).status_code == 404
    assert client.get(f"/v2/layouts/{missing}/usage").status_code == 404


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ({"body": "Invalid HTML content without proper structure", "editorType": "html"}, "Content must be a valid HTML content"),
        ({"body": "Invalid JSON content", "editorType": "block"}, "Content must be a valid Maily JSON content"),
        ({"body": "<html><body><div>{{subscriber.firstName}}</div></body></html>", "editorType": "html"},
         "Layout has validation issues"),
        ({"body": json.dumps({"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "x"}]}]}),
          "editorType": "block"}, "Layout has validation issues"),
    ],
)  # fmt: skip
def test_update_refuses_bodies_as_novu_does(layouts, client, email, message) -> None:
    """e2e/upsert-layout.e2e.ts, upsert-layout.usecase.ts validateLayout: 400s; the missing
    {{content}} variable is a build-layout-issues issue of email.body."""
    layout = layouts()
    refused = client.put(f"/v2/layouts/{layout['layoutId']}", json={"name": "x", "controlValues": {"email": email}})
    assert refused.status_code == 400 and refused.json()["message"] == message
    if message == "Layout has validation issues":
        assert refused.json()["controls"]["email.body"][0]["message"] == 'The layout body should contain the "content" variable'


def test_update_keeps_clears_and_replaces_control_values(layouts, client) -> None:
    """upsert-layout.usecase.ts upsertControlValues: undefined leaves them, null deletes them."""
    layout = layouts()
    path = f"/v2/layouts/{layout['layoutId']}"
    set_ = client.put(path, json={"name": "Set", "controlValues": {"email": {"body": HTML, "editorType": "html"}}})
    assert set_.status_code == 200 and set_.json()["data"]["controls"]["values"]["email"] == {"body": HTML, "editorType": "html"}
    kept = client.put(path, json={"name": "Renamed"}).json()["data"]
    assert kept["name"] == "Renamed" and kept["controls"]["values"]["email"]["body"] == HTML
    cleared = client.put(path, json={"name": "Renamed", "controlValues": None}).json()["data"]
    assert cleared["controls"]["values"] == {}


def test_duplicate_copies_control_values_and_is_not_the_default(layouts, client) -> None:
    """usecases/duplicate-layout: the original's control values under the new name's identifier."""
    layout = layouts()
    client.put(f"/v2/layouts/{layout['layoutId']}", json={"name": "Original", "controlValues": {"email": {"body": HTML, "editorType": "html"}}})
    copy_id = f"{PREFIX}{uuid.uuid4().hex[:10]}"
    copy = client.post(f"/v2/layouts/{layout['layoutId']}/duplicate", json={"name": "Copy", "layoutId": copy_id})
    assert copy.status_code == 201, copy.text
    layouts.forget(copy_id)
    data = copy.json()["data"]
    assert data["layoutId"] == copy_id and data["isDefault"] is False
    assert data["controls"]["values"]["email"]["body"] == HTML
    again = client.post(f"/v2/layouts/{layout['layoutId']}/duplicate", json={"name": "Copy", "layoutId": copy_id})
    assert again.status_code == 409


def test_list_finds_pages_and_sorts(layouts, client) -> None:
    """usecases/list-layouts and the limit-offset pagination DTO (limit 1-100, offset >= 0)."""
    tag = uuid.uuid4().hex[:8]
    first, second = layouts(f"A {tag}"), layouts(f"B {tag}")
    page = client.get("/v2/layouts", params={"query": tag, "orderBy": "name", "orderDirection": "ASC"}).json()["data"]
    assert [item["_id"] for item in page["layouts"]] == [first["_id"], second["_id"]] and page["totalCount"] == 2
    one = client.get("/v2/layouts", params={"query": tag, "limit": 1, "offset": 1, "orderBy": "name", "orderDirection": "ASC"})
    assert [item["_id"] for item in one.json()["data"]["layouts"]] == [second["_id"]]
    assert client.get("/v2/layouts", params={"limit": 0}).status_code == 422
    assert client.get("/v2/layouts", params={"offset": -1}).status_code == 422


def test_the_default_layout_cannot_be_deleted(client) -> None:
    """usecases/delete-layout: ConflictException for the default layout."""
    layouts = client.get("/v2/layouts", params={"limit": 100}).json()["data"]["layouts"]
    default = next((layout for layout in layouts if layout["isDefault"]), None)
    if default is None:
        pytest.skip("the environment has no default layout yet")
    refused = client.delete(f"/v2/layouts/{default['layoutId']}")
    assert refused.status_code == 409 and "is being used as a default layout, it can not be deleted" in refused.json()["message"]


def test_preview_renders_the_body_with_the_payload(layouts, client) -> None:
    """usecases/preview-layout, e2e/preview-layout.e2e.ts: 201, the body rendered with previewPayload."""
    layout = layouts()
    client.put(f"/v2/layouts/{layout['layoutId']}", json={"name": "P", "controlValues": {"email": {"body": HTML, "editorType": "html"}}})
    answer = client.post(f"/v2/layouts/{layout['layoutId']}/preview", json={"previewPayload": {"subscriber": {"firstName": "Alice"}}})
    assert answer.status_code == 201, answer.text
    data = answer.json()["data"]
    assert data["result"]["type"] == "email" and "Hi Alice" in data["result"]["preview"]["body"]
    assert data["previewPayloadExample"]["subscriber"]["firstName"] == "Alice"
    custom = client.post(f"/v2/layouts/{layout['layoutId']}/preview",
                         json={"controlValues": {"email": {"body": "<html><body><h1>Test</h1>{{content}}</body></html>", "editorType": "html"}}})  # fmt: skip
    assert "<h1>Test</h1>" in custom.json()["data"]["result"]["preview"]["body"]


def test_a_new_layout_is_used_by_no_workflow(layouts, client) -> None:
    """usecases/get-layout-usage: the workflows whose step controls name the layout."""
    layout = layouts()
    assert client.get(f"/v2/layouts/{layout['layoutId']}/usage").json() == {"data": {"workflows": []}}


def test_a_layout_of_one_environment_is_invisible_to_another(layouts, other_client) -> None:
    layout = layouts()
    assert other_client.get(f"/v2/layouts/{layout['layoutId']}").status_code == 404
