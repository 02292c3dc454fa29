"""The mock's own checks of translations: the store's rules, master JSON, uploads (multipart), state."""

from __future__ import annotations

import json

import pytest

from mock_server.errors import BadRequest, Conflict, NotFound
from mock_server.store import Backend, Environment
from mock_server.store.translations import locale_of_file, valid_locale


@pytest.fixture
def backend() -> Backend:
    backend = Backend(Environment("e" * 24, "Development", "o" * 24, "key"))
    backend.workflows.create(identifier="welcome", name="Welcome", channels=["email"])
    backend.layouts.create(name="Frame", layout_id="frame")
    return backend


# -- the store -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "valid"),
    [("en_US", True), ("en-US", True), ("zh_Hans_CN", True), ("es_419", True), ("fr", True),
     ("123", False), ("invalid-locale", False), ("invalid-locale-123", False), ("en_us", False), ("", False)],
)  # fmt: skip
def test_locales_are_language_script_region(locale, valid) -> None:
    assert valid_locale(locale) is valid


@pytest.mark.parametrize(
    ("name", "locale"),
    [("en_US.json", "en_US"), ("fr-FR.json", "fr_FR"), ("zh_Hans_CN.json", "zh_Hans_CN"), ("en.json", None),
     ("en_US.txt", None), ("en_US-master.json", None), ("notlocale.json", None), ("invalid-filename.json", None)],
)  # fmt: skip
def test_uploaded_files_are_named_after_a_locale_with_its_region(name, locale) -> None:
    assert locale_of_file(name) == locale


def test_upsert_creates_replaces_and_answers_the_resource_identifier(backend) -> None:
    workflow = backend.workflows.get("welcome")
    first = backend.translations.upsert("workflow", workflow.id, "en-US", {"a": "1", "b": "2"})
    assert (first.resource_id, first.locale) == ("welcome", "en_US"), "by _id, a dash read as an underscore"
    again = backend.translations.upsert("workflow", "welcome", "en_US", {"c": "3"})
    assert again is first and again.content == {"c": "3"}, "the content is replaced whole"
    layout = backend.layouts.get("frame")
    assert backend.translations.upsert("layout", layout.slug, "fr_FR", {}).resource_id == "frame"


def test_unknown_resources_and_translations_are_404_and_bad_path_locales_400(backend) -> None:
    with pytest.raises(NotFound, match="Workflow cannot be found") as missing:
        backend.translations.upsert("workflow", "nope", "en_US", {})
    assert missing.value.extra == {"workflowId": "nope"}
    with pytest.raises(NotFound, match="Layout not found for id nope"):
        backend.translations.upsert("layout", "nope", "en_US", {})
    with pytest.raises(NotFound):
        backend.translations.get("workflow", "welcome", "fr_FR")
    with pytest.raises(BadRequest, match="Invalid locale format: invalid-locale-123"):
        backend.translations.get("workflow", "welcome", "invalid-locale-123")


def test_deleting_one_locale_keeps_the_others_and_the_group(backend) -> None:
    translations = backend.translations
    translations.upsert("workflow", "welcome", "en_US", {"k": "v"})
    translations.upsert("workflow", "welcome", "fr_FR", {"k": "w"})
    translations.delete("workflow", "welcome", "en-US")
    assert translations.get("workflow", "welcome", "fr_FR").content == {"k": "w"}
    with pytest.raises(NotFound):
        translations.delete("workflow", "welcome", "en_US")
    assert translations.group("workflow", "welcome")["locales"] == ["fr_FR"]
    translations.delete_group("workflow", "welcome")
    with pytest.raises(NotFound, match="Translation group not found"):
        translations.group("workflow", "welcome")
    with pytest.raises(NotFound):
        translations.get("workflow", "welcome", "fr_FR")


def test_a_resource_without_translations_has_no_group(backend) -> None:
    with pytest.raises(NotFound):
        backend.translations.group("layout", "frame")
    with pytest.raises(NotFound):
        backend.translations.delete_group("workflow", "welcome")


def test_deleting_a_layout_deletes_its_translations(backend) -> None:
    backend.layouts.create(name="Second", layout_id="second")
    backend.translations.upsert("layout", "second", "en_US", {"k": "v"})
    backend.layouts.delete("second")
    backend.layouts.create(name="Second", layout_id="second")
    with pytest.raises(NotFound):
        backend.translations.group("layout", "second")


def test_master_json_exports_one_locale_and_imports_with_novus_result(backend) -> None:
    translations = backend.translations
    translations.upsert("workflow", "welcome", "en_US", {"old": "x", "kept": "y"})
    translations.upsert("layout", "frame", "es_ES", {"l": "z"})
    assert translations.master_json() == {"workflows": {"welcome": {"old": "x", "kept": "y"}}, "layouts": {}}
    assert translations.master_json("es-ES") == {"workflows": {}, "layouts": {"frame": {"l": "z"}}}
    result = translations.import_master_json("en_US", {"workflows": {"welcome": {"new": "n"}, "ghost": {"a": "b"}}})
    assert result["success"] is True and result["message"].startswith("Partial import completed")
    assert (result["successful"], result["failed"]) == (["welcome"], ["ghost"])
    assert translations.get("workflow", "welcome", "en_US").content == {"new": "n"}, "replaced, not merged"
    everything = translations.import_master_json("en_US", {"workflows": {"welcome": {}}, "layouts": {"frame": {}}})
    assert everything == {"success": True, "successful": ["welcome", "frame"],
                          "message": "Successfully imported translations for 2 resources: welcome, frame"}  # fmt: skip
    failed = translations.import_master_json("en_US", {"workflows": {"ghost": {}}})
    assert failed["success"] is False and failed["message"].startswith("Failed to import any resources")
    assert "successful" not in failed and failed["failed"] == ["ghost"]
    empty = translations.import_master_json("en_US", {"workflows": {}})
    assert empty["success"] is False and "No supported resources found" in empty["message"]
    assert "successful" not in empty and "failed" not in empty


def test_upload_counts_files_and_refuses_as_novu_does(backend) -> None:
    translations = backend.translations
    good, bad = json.dumps({"k": "v"}).encode(), b"not json"
    result = translations.upload("workflow", "welcome", [("en_US.json", good), ("es_ES.json", bad), ("fr_FR.json", good)])
    assert result["totalFiles"] == 3 and result["successfulUploads"] == 2 and result["failedUploads"] == 1
    assert result["errors"][0].startswith("Failed to process file 'es_ES.json'")
    with pytest.raises(BadRequest, match="invalid names or formats") as misnamed:
        translations.upload("workflow", "welcome", [("en_US.json", good), ("invalid-name.json", good)])
    assert "invalid-name.json" in misnamed.value.extra["errors"][0]
    with pytest.raises(BadRequest, match="No valid translation files were found"):
        translations.upload("workflow", "welcome", [("en_US.json", bad)])
    with pytest.raises(BadRequest):
        translations.upload("workflow", "welcome", [])
    with pytest.raises(NotFound):
        translations.upload("workflow", "ghost", [("en_US.json", good)])


def test_master_json_upload_takes_exactly_one_well_named_json_object(backend) -> None:
    master = json.dumps({"workflows": {"welcome": {"k": "v"}}}).encode()
    assert backend.translations.upload_master_json([("de_DE.json", master)])["successful"] == ["welcome"]
    assert backend.translations.get("workflow", "welcome", "de_DE").content == {"k": "v"}
    for files in ([], [("en_US.json", master), ("fr_FR.json", master)], [("en.json", master)],
                  [("en_US.json", b"")], [("en_US.json", b"<xml/>")], [("en_US.json", b"[1]")]):  # fmt: skip
        with pytest.raises(BadRequest):
            backend.translations.upload_master_json(files)


def test_snapshot_and_restore_keep_groups_and_check_layout_references(backend) -> None:
    backend.translations.upsert("workflow", "welcome", "en_US", {"k": "v"})
    backend.translations.upsert("layout", "frame", "fr_FR", {"l": "w"})
    saved = backend.export_state()
    other = Backend(Environment("f" * 24, "Production", "o" * 24, "other"))
    other.import_state(saved)
    assert other.translations.master_json("fr_FR") == {"workflows": {}, "layouts": {"frame": {"l": "w"}}}
    assert other.translations.group("workflow", "welcome")["locales"] == ["en_US"]
    broken = dict(saved, layouts=[])
    with pytest.raises(Conflict, match="layout frame does not exist"):
        other.import_state(broken)
    assert other.translations.get("layout", "frame", "fr_FR").content == {"l": "w"}, "all or nothing"


# -- the wire ------------------------------------------------------------------------------------


def test_translation_crud_over_http(client) -> None:
    created = client.post("/v2/translations", json={"resourceId": "welcome-onboarding", "resourceType": "workflow",
                                                   "locale": "it_IT", "content": {"t": "Ciao"}})  # fmt: skip
    assert created.status_code == 200 and created.json()["data"]["locale"] == "it_IT"
    assert client.get("/v2/translations/workflow/welcome-onboarding/it-IT").json()["data"]["content"] == {"t": "Ciao"}
    assert client.get("/v2/translations/workflow/welcome-onboarding/invalid-locale-123").status_code == 400
    assert client.get("/v2/translations/workflow/ghost/it_IT").status_code == 404
    assert client.get("/v2/translations/folder/welcome-onboarding/it_IT").status_code == 422
    bad_body = client.post("/v2/translations", json={"resourceId": "x", "resourceType": "workflow", "locale": "123", "content": {}})
    assert bad_body.status_code == 422 and "locale" in bad_body.json()["errors"]
    assert client.get("/v2/translations/master-json", params={"locale": "invalid-locale"}).status_code == 422
    assert client.get("/v2/translations/master-json", params={"locale": "it_IT"}).json()["data"]["workflows"] == {
        "welcome-onboarding": {"t": "Ciao"}
    }
    deleted = client.delete("/v2/translations/workflow/welcome-onboarding/it_IT")
    assert deleted.status_code == 204 and deleted.content == b""
    assert client.delete("/v2/translations/workflow/welcome-onboarding").status_code == 204
    assert client.get("/v2/translations/group/workflow/welcome-onboarding").status_code == 404


def test_uploads_take_multipart_bodies_as_novu_does(client) -> None:
    fields = {"resourceId": "password-reset", "resourceType": "workflow"}
    good = json.dumps({"k": "v"}).encode()
    both = client.post("/v2/translations/upload", data=fields,
                       files=[("files[]", ("pt_BR.json", good)), ("files", ("nl_NL.json", good))])  # fmt: skip
    assert both.status_code == 200 and both.json()["data"]["successfulUploads"] == 2
    assert client.get("/v2/translations/workflow/password-reset/nl_NL").status_code == 200
    missing_fields = client.post("/v2/translations/upload", files=[("files", ("en_US.json", good))])
    assert missing_fields.status_code == 422 and set(missing_fields.json()["errors"]) == {"resourceId", "resourceType"}
    misnamed = client.post("/v2/translations/upload", data=fields, files=[("files", ("english.json", good))])
    assert misnamed.status_code == 400 and misnamed.json()["errors"] == [
        "Invalid file name 'english.json': expected <locale>.json, such as en_US.json"
    ]
    master = json.dumps({"workflows": {"password-reset": {"m": "n"}}}).encode()
    uploaded = client.post("/v2/translations/master-json/upload", files=[("file", ("ja_JP.json", master))])
    assert uploaded.status_code == 200 and uploaded.json()["data"]["successful"] == ["password-reset"]
    two = client.post("/v2/translations/master-json/upload", files=[("file", ("ja_JP.json", master)), ("file", ("de_DE.json", master))])
    assert two.status_code == 400


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"no boundary"),
        ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"en_US.json\"\r\n\r\n{}"),
        ("multipart/form-data; boundary=xyz", b"--xyz\r\nno headers at all\r\n--xyz--\r\n"),
        ("multipart/form-data; boundary=xyz", b"\xff\xfe garbage \x00"),
        ("multipart/form-data; boundary=xyz", b""),
    ],
)
def test_a_malformed_multipart_body_is_a_4xx_never_a_500(client, content_type, body) -> None:
    for path in ("/v2/translations/upload", "/v2/translations/master-json/upload"):
        answer = client.post(path, content=body, headers={"content-type": content_type})
        assert 400 <= answer.status_code < 500, (path, answer.status_code, answer.text)
        assert answer.json()["statusCode"] == answer.status_code


def test_an_idempotency_key_replays_multipart_uploads_whatever_the_parts(client) -> None:
    """Novu's idempotency interceptor runs before multer parses the body: it sees ``{}`` for every
    multipart request, so a reused key replays the first answer (novu-py sends a new key per call)."""
    first_file = [("file", ("it_IT.json", json.dumps({"layouts": {"default-layout": {"a": "1"}}}).encode()))]
    other_file = [("file", ("it_IT.json", json.dumps({"layouts": {"default-layout": {"a": "2"}}}).encode()))]
    headers = {"idempotency-key": "multipart-upload-key"}
    first = client.post("/v2/translations/master-json/upload", files=first_file, headers=headers)
    again = client.post("/v2/translations/master-json/upload", files=other_file, headers=headers)
    assert first.status_code == again.status_code == 200 and again.headers["idempotency-replay"] == "true"
    assert again.json() == first.json()
    assert client.get("/v2/translations/layout/default-layout/it_IT").json()["data"]["content"] == {"a": "1"}
