"""Translations v2: per-locale content of workflows and layouts (TranslationController)."""

from __future__ import annotations

from typing import Any

from connexion.context import scope

from mock_server.store import Backend
from mock_server.validation import UPLOADS_KEY


def _uploaded(*fields: str) -> list[tuple[str, bytes]]:
    """The files of the multipart body under ``fields`` (file name and bytes), in the order sent,
    as the request's validation read them."""
    uploads = scope["extensions"].get(UPLOADS_KEY, [])
    return [(file_name, content) for field, file_name, content in uploads if field in fields]


async def create_translation_endpoint(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    translation = backend.translations.upsert(body["resourceType"], body["resourceId"], body["locale"], body["content"])
    return translation.dto()


async def get_single_translation(backend: Backend, resource_type: str, resource_id: str, locale: str) -> dict[str, Any]:
    return backend.translations.get(resource_type, resource_id, locale).dto()


async def delete_translation_endpoint(backend: Backend, resource_type: str, resource_id: str, locale: str) -> None:
    backend.translations.delete(resource_type, resource_id, locale)


async def get_translation_group_endpoint(backend: Backend, resource_type: str, resource_id: str) -> dict[str, Any]:
    return backend.translations.group(resource_type, resource_id)


async def delete_translation_group_endpoint(backend: Backend, resource_type: str, resource_id: str) -> None:
    backend.translations.delete_group(resource_type, resource_id)


async def get_master_json_endpoint(backend: Backend, locale: str | None = None) -> dict[str, Any]:
    return backend.translations.master_json(locale)


async def import_master_json_endpoint(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    return backend.translations.import_master_json(body["locale"], body["masterJson"])


async def upload_master_json_endpoint(backend: Backend, body: dict[str, Any] | None = None) -> dict[str, Any]:
    return backend.translations.upload_master_json(_uploaded("file"))


async def upload_translation_files(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    files = _uploaded("files", "files[]")
    return backend.translations.upload(body["resourceType"], body["resourceId"], files)
