"""Business rules of the Translations API (v2), checked black-box over HTTP against the target.

Novu's translations live in its enterprise package; the rules here follow its end-to-end tests
(apps/api/src/app/translations/e2e/v2/*.e2e-ee.ts). The translated resources are layouts this
suite makes (``contract-tr-``), deleted with their translations after each test.
"""

from __future__ import annotations

import json
import uuid

import pytest

PREFIX = "contract-tr-"


@pytest.fixture
def layout(client):
    """A layout with translations enabled, deleted after the test."""
    layout_id = f"{PREFIX}{uuid.uuid4().hex[:10]}"
    created = client.post("/v2/layouts", json={"layoutId": layout_id, "name": "Translated", "isTranslationEnabled": True})
    assert created.status_code == 201, created.text
    yield created.json()["data"]
    client.delete(f"/v2/translations/layout/{layout_id}")
    client.delete(f"/v2/layouts/{layout_id}")


def _put(client, layout_id: str, locale: str, content: dict):
    return client.post("/v2/translations", json={"resourceId": layout_id, "resourceType": "layout", "locale": locale, "content": content})


def test_create_then_replace_answers_200_with_the_translation(client, layout) -> None:
    """create-translation.e2e-ee.ts: 200 both times; the second content replaces the first."""
    first = _put(client, layout["layoutId"], "en_US", {"key1": "original", "key2": "kept?"})
    assert first.status_code == 200, first.text
    data = first.json()["data"]
    assert (data["resourceId"], data["resourceType"], data["locale"]) == (layout["layoutId"], "layout", "en_US")
    again = _put(client, layout["layoutId"], "en_US", {"key1": "updated", "key3": "new"})
    assert again.status_code == 200 and again.json()["data"]["content"] == {"key1": "updated", "key3": "new"}


def test_locales_are_checked_and_dashes_read_as_underscores(client, layout) -> None:
    """create-translation (422 for '123'), get/delete-translation (400 in the path, en-US is en_US),
    export-master-json (422 for a bad query locale)."""
    assert _put(client, layout["layoutId"], "123", {"k": "v"}).status_code == 422
    assert _put(client, layout["layoutId"], "zh_Hans_CN", {"k": "v"}).status_code == 200
    assert client.get(f"/v2/translations/layout/{layout['layoutId']}/invalid-locale-123").status_code == 400
    _put(client, layout["layoutId"], "en_US", {"k": "v"})
    assert client.delete(f"/v2/translations/layout/{layout['layoutId']}/en-US").status_code == 204
    assert client.get(f"/v2/translations/layout/{layout['layoutId']}/en_US").status_code == 404
    assert client.get("/v2/translations/master-json", params={"locale": "invalid-locale"}).status_code == 422


def test_unknown_resources_and_translations_are_404(client, layout) -> None:
    """get-translation / delete-translation / get-translation-group e2e: 404s."""
    fake = "507f1f77bcf86cd799439011"
    assert client.get(f"/v2/translations/workflow/{fake}/en_US").status_code == 404
    assert client.get(f"/v2/translations/layout/{layout['layoutId']}/fr_FR").status_code == 404
    assert client.delete(f"/v2/translations/layout/{layout['layoutId']}/fr_FR").status_code == 404
    assert client.get(f"/v2/translations/group/workflow/{fake}").status_code == 404
    assert client.delete(f"/v2/translations/workflow/{fake}").status_code == 404


def test_group_lists_locales_and_deleting_it_deletes_them(client, layout) -> None:
    """get-translation-group.e2e-ee.ts, delete-translation-group.e2e-ee.ts."""
    for locale in ("en_US", "es_ES", "fr_FR"):
        assert _put(client, layout["layoutId"], locale, {"t": locale}).status_code == 200
    group = client.get(f"/v2/translations/group/layout/{layout['layoutId']}").json()["data"]
    assert sorted(group["locales"]) == ["en_US", "es_ES", "fr_FR"] and group["resourceName"] == "Translated"
    assert client.delete(f"/v2/translations/layout/{layout['layoutId']}/en_US").status_code == 204
    assert client.get(f"/v2/translations/layout/{layout['layoutId']}/fr_FR").json()["data"]["content"] == {"t": "fr_FR"}
    assert client.delete(f"/v2/translations/layout/{layout['layoutId']}").status_code == 204
    for locale in ("es_ES", "fr_FR"):
        assert client.get(f"/v2/translations/layout/{layout['layoutId']}/{locale}").status_code == 404


def test_master_json_export_and_import(client, layout) -> None:
    """export-master-json.e2e-ee.ts and import-master-json.e2e-ee.ts."""
    _put(client, layout["layoutId"], "es_ES", {"old": "x"})
    exported = client.get("/v2/translations/master-json", params={"locale": "es_ES"}).json()["data"]
    assert exported["layouts"][layout["layoutId"]] == {"old": "x"} and isinstance(exported["workflows"], dict)
    ghost = "507f1f77bcf86cd799439011"
    imported = client.post("/v2/translations/master-json", json={
        "locale": "es_ES", "masterJson": {"layouts": {layout["layoutId"]: {"new": "y"}}, "workflows": {ghost: {"a": "b"}}}})  # fmt: skip
    data = imported.json()["data"]
    assert imported.status_code == 200 and data["success"] is True and "Partial import completed" in data["message"]
    assert data["successful"] == [layout["layoutId"]] and data["failed"] == [ghost]
    assert client.get(f"/v2/translations/layout/{layout['layoutId']}/es_ES").json()["data"]["content"] == {"new": "y"}
    empty = client.post("/v2/translations/master-json", json={"locale": "es_ES", "masterJson": {"workflows": {}}}).json()["data"]
    assert empty["success"] is False and "No supported resources found" in empty["message"]
    assert "successful" not in empty and "failed" not in empty


def test_upload_translation_files(client, layout) -> None:
    """upload-translations.e2e-ee.ts: files named after locales; bad names refuse the upload,
    bad JSON fails file by file, missing fields are 422."""
    fields = {"resourceId": layout["layoutId"], "resourceType": "layout"}
    good = json.dumps({"welcome.title": "Welcome"}).encode()
    mixed = client.post("/v2/translations/upload", data=fields,
                        files=[("files", ("en_US.json", good)), ("files", ("es_ES.json", b"invalid json")), ("files", ("fr_FR.json", good))])  # fmt: skip
    assert mixed.status_code == 200, mixed.text
    counts = mixed.json()["data"]
    assert (counts["totalFiles"], counts["successfulUploads"], counts["failedUploads"]) == (3, 2, 1)
    assert "Failed to process file 'es_ES.json'" in counts["errors"][0]
    assert client.get(f"/v2/translations/layout/{layout['layoutId']}/fr_FR").json()["data"]["content"] == {"welcome.title": "Welcome"}
    misnamed = client.post("/v2/translations/upload", data=fields, files=[("files", ("invalid-filename.json", good))])
    assert misnamed.status_code == 400 and "invalid names or formats" in misnamed.json()["message"]
    assert "invalid-filename.json" in misnamed.json()["errors"][0]
    only_bad = client.post("/v2/translations/upload", data=fields, files=[("files", ("en_US.json", b"invalid json content"))])
    assert only_bad.status_code == 400 and "No valid translation files were found" in only_bad.json()["message"]
    assert client.post("/v2/translations/upload", files=[("files", ("en_US.json", good))]).status_code == 422


def test_upload_master_json_file(client, layout) -> None:
    """upload-master-json.e2e-ee.ts: one file named after its locale, holding a JSON object."""
    master = json.dumps({"layouts": {layout["layoutId"]: {"unicode.test": "Hello 👋 世界"}}}).encode()
    uploaded = client.post("/v2/translations/master-json/upload", files=[("file", ("pt_BR.json", master))])
    assert uploaded.status_code == 200 and uploaded.json()["data"]["successful"] == [layout["layoutId"]]
    assert client.get(f"/v2/translations/layout/{layout['layoutId']}/pt_BR").json()["data"]["content"] == {"unicode.test": "Hello 👋 世界"}
    for name in ("invalid-filename.json", "en_US-master.json", "en_US.txt", "notlocale.json", "en.json"):
        assert client.post("/v2/translations/master-json/upload", files=[("file", (name, master))]).status_code == 400, name
    for content in (b"invalid json content", b"", b"<xml>not json</xml>"):
        assert client.post("/v2/translations/master-json/upload", files=[("file", ("en_US.json", content))]).status_code == 400
    two = [("file", ("en_US.json", master)), ("file", ("fr_FR.json", master))]
    assert client.post("/v2/translations/master-json/upload", files=two).status_code == 400
    assert client.post("/v2/translations/master-json/upload", files=[("other", ("en_US.json", master))]).status_code == 400


def test_translations_of_one_environment_are_invisible_to_another(client, other_client, layout) -> None:
    _put(client, layout["layoutId"], "en_US", {"k": "v"})
    assert other_client.get(f"/v2/translations/layout/{layout['layoutId']}/en_US").status_code == 404
    exported = other_client.get("/v2/translations/master-json", params={"locale": "en_US"}).json()["data"]
    assert layout["layoutId"] not in exported["layouts"]
