"""novu-py drives every Layouts and Translations operation by changing only its server URL.

Layout identifiers start with ``contract-sdk-layout-``; the layouts a test makes are deleted (a
layout that became the environment's default cannot be, as Novu refuses it). Translations are
made on those layouts, so they go with them."""

from __future__ import annotations

import json
import uuid

import httpx
import novu_py
import pytest
from novu_py import Novu
from novu_py.utils import BackoffStrategy, RetryConfig

NO_RETRIES = RetryConfig("backoff", BackoffStrategy(1, 1, 1.0, 1), False)
PREFIX = "contract-sdk-layout-"
HTML = "<html><body><h1>Hello {{subscriber.firstName}}</h1><div>{{content}}</div></body></html>"


@pytest.fixture
def novu(target):
    with Novu(secret_key=target.api_key, server_url=target.url, retry_config=NO_RETRIES) as sdk:
        yield sdk


@pytest.fixture
def layouts(novu):
    """Makes layouts (translations enabled) and deletes them afterwards."""
    made: list[str] = []

    def make(name: str = "Sdk layout") -> novu_py.models.LayoutResponseDto:
        layout_id = f"{PREFIX}{uuid.uuid4().hex[:10]}"
        made.append(layout_id)
        return novu.layouts.create(
            create_layout_dto={"layout_id": layout_id, "name": name, "is_translation_enabled": True}
        ).result

    yield make
    for layout_id in made:
        try:
            novu.layouts.delete(layout_id=layout_id)
        except novu_py.models.NovuError:
            pass  # already gone, or the environment's default


def test_sdk_layout_crud_list_duplicate_preview_and_usage(novu, layouts) -> None:
    layout = layouts("Sdk frame")
    assert layout.layout_id.startswith(PREFIX) and layout.controls.values is not None

    updated = novu.layouts.update(
        layout_id=layout.layout_id,
        update_layout_dto={"name": "Sdk frame v2", "control_values": {"email": {"body": HTML, "editor_type": "html"}}},
    ).result
    assert updated.name == "Sdk frame v2" and updated.controls.values.email.body == HTML

    fetched = novu.layouts.retrieve(layout_id=layout.id).result
    assert fetched.layout_id == layout.layout_id and fetched.controls.values.email.editor_type == "html"

    page = novu.layouts.list(request={"query": layout.layout_id, "limit": 10}).result
    assert [item.layout_id for item in page.layouts] == [layout.layout_id] and page.total_count == 1

    copy_id = f"{PREFIX}{uuid.uuid4().hex[:10]}"
    copy = novu.layouts.duplicate(
        layout_id=layout.layout_id, duplicate_layout_dto={"name": "Sdk frame copy", "layout_id": copy_id}
    ).result
    try:
        assert copy.layout_id == copy_id and copy.controls.values.email.body == HTML and not copy.is_default
    finally:
        novu.layouts.delete(layout_id=copy_id)

    shown = novu.layouts.generate_preview(
        layout_id=layout.layout_id,
        layout_preview_request_dto={"preview_payload": {"subscriber": {"first_name": "Ada"}}},
    ).result
    assert shown.result.type == "email" and "Hello Ada" in shown.result.preview.body

    assert novu.layouts.usage(layout_id=layout.layout_id).result.workflows == []


def test_sdk_layout_errors_are_novus(novu, layouts) -> None:
    layout = layouts()
    with pytest.raises(novu_py.models.ErrorDto) as refused:
        novu.layouts.update(
            layout_id=layout.layout_id,
            update_layout_dto={"name": "x", "control_values": {"email": {"body": "plain", "editor_type": "html"}}},
        )
    assert refused.value.data.status_code == 400
    with pytest.raises(novu_py.models.NovuError) as missing:
        novu.layouts.retrieve(layout_id=f"{PREFIX}missing")
    assert missing.value.status_code == 404
    with pytest.raises(novu_py.models.NovuError) as taken:
        novu.layouts.create(create_layout_dto={"layout_id": layout.layout_id, "name": "again"})
    assert taken.value.status_code == 409


def test_sdk_translations_single_group_and_master_json(novu, layouts) -> None:
    layout = layouts("Sdk translated")
    created = novu.translations.create(
        create_translation_request_dto={"resource_id": layout.layout_id, "resource_type": "layout",
                                        "locale": "en_US", "content": {"footer": "Bye"}}  # fmt: skip
    )
    assert created.resource_id == layout.layout_id and created.content == {"footer": "Bye"}
    got = novu.translations.retrieve(resource_type="layout", resource_id=layout.layout_id, locale="en_US")
    assert got.locale == "en_US" and got.content == {"footer": "Bye"}

    imported = novu.translations.master.import_master_json(
        import_master_json_request_dto={"locale": "fr_FR", "master_json": {"layouts": {layout.layout_id: {"footer": "Salut"}}}}
    )
    assert imported.success is True and imported.successful == [layout.layout_id]
    exported = novu.translations.master.retrieve(locale="fr_FR")
    assert exported.layouts[layout.layout_id] == {"footer": "Salut"}

    group = novu.translations.groups.retrieve(resource_type="layout", resource_id=layout.layout_id)
    assert sorted(group.locales) == ["en_US", "fr_FR"] and group.resource_name == "Sdk translated"

    novu.translations.delete(resource_type="layout", resource_id=layout.layout_id, locale="fr_FR")
    with pytest.raises(novu_py.models.NovuError) as gone:
        novu.translations.retrieve(resource_type="layout", resource_id=layout.layout_id, locale="fr_FR")
    assert gone.value.status_code == 404
    novu.translations.groups.delete(resource_type="layout", resource_id=layout.layout_id)
    with pytest.raises(novu_py.models.NovuError) as no_group:
        novu.translations.groups.retrieve(resource_type="layout", resource_id=layout.layout_id)
    assert no_group.value.status_code == 404


def _sdk_multipart(model, body) -> dict:
    """The multipart parts novu-py's own serializer makes of ``body`` (field names, file names)."""
    serialized = novu_py.utils.serialize_request_body(model(**body), False, False, "multipart", model)
    assert serialized.media_type == "multipart/form-data"
    return {"data": serialized.data, "files": serialized.files}


def test_novu_py_cannot_send_its_multipart_uploads(novu, layouts) -> None:
    """novu-py 3.19's request hook rebuilds every request from ``request.content``, which httpx
    refuses for a streamed (multipart) body: both uploads fail in the client, before sending."""
    layout = layouts("Sdk uploads")
    with pytest.raises(httpx.RequestNotRead):
        novu.translations.upload(
            request_body={"resource_id": layout.layout_id, "resource_type": "layout",
                          "files": [{"file_name": "de_DE.json", "content": b"{}"}]}  # fmt: skip
        )
    with pytest.raises(httpx.RequestNotRead):
        novu.translations.master.upload(request_body={"file": {"file_name": "it_IT.json", "content": b"{}"}})


def test_the_sdks_multipart_bodies_are_taken_as_novu_takes_them(target, client, layouts) -> None:
    """What novu-py's serializer would send (``files[]`` parts, a ``file`` part), sent with httpx."""
    layout = layouts("Sdk uploads")
    parts = _sdk_multipart(
        novu_py.models.TranslationControllerUploadTranslationFilesRequestBody,
        {"resource_id": layout.layout_id, "resource_type": "layout",
         "files": [{"file_name": "de_DE.json", "content": json.dumps({"k": "Hallo"}).encode(), "content_type": "application/json"},
                   {"file_name": "es_ES.json", "content": b"not json", "content_type": "application/json"}]},
    )  # fmt: skip
    assert [field for field, _ in parts["files"]] == ["files[]", "files[]"]
    uploaded = client.post("/v2/translations/upload", **parts)
    assert uploaded.status_code == 200, uploaded.text
    counts = novu_py.models.UploadTranslationsResponseDto.model_validate(uploaded.json()["data"])
    assert (counts.total_files, counts.successful_uploads, counts.failed_uploads) == (2, 1, 1)
    assert "es_ES.json" in counts.errors[0]
    german = client.get(f"/v2/translations/layout/{layout.layout_id}/de_DE").json()["data"]
    assert german["content"] == {"k": "Hallo"}

    master = json.dumps({"layouts": {layout.layout_id: {"k": "Ciao"}}}).encode()
    parts = _sdk_multipart(
        novu_py.models.TranslationControllerUploadMasterJSONEndpointRequestBody,
        {"file": {"file_name": "it_IT.json", "content": master, "content_type": "application/json"}},
    )
    imported = client.post("/v2/translations/master-json/upload", **parts)
    assert imported.status_code == 200, imported.text
    result = novu_py.models.ImportMasterJSONResponseDto.model_validate(imported.json()["data"])
    assert result.success is True and result.successful == [layout.layout_id]
