"""Translations (v2): per-locale JSON content of a workflow or a layout, grouped per resource.

A translation is keyed by (resource type, resource identifier, locale). The resource must exist
(a workflow of the workflows service, read through ``resources``; a layout of the layouts
service); it is named by its identifier, ``_id`` or slug, and answered by its identifier.
Locales are language[_Script][_REGION] (``en_US``, ``zh_Hans_CN``); a dash is read as an
underscore. A resource's group (its list of locales) appears with its first translation and
goes with ``DELETE /v2/translations/{type}/{id}``; deleting a layout deletes its translations.
The master JSON is every translation of one locale, ``{"workflows": {...}, "layouts": {...}}``,
exported and imported whole.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mock_server import jsoncodec
from mock_server.errors import BadRequest, Conflict, NovuError, NotFound
from mock_server.store.ids import iso, now, parse_time
from mock_server.store.layouts import Layout, LayoutsBackend
from mock_server.store.resources import find_workflow
from mock_server.store.values import clone

RESOURCE_TYPES = ("workflow", "layout")
# what master JSON calls each resource type
_MASTER_KEYS = {"workflow": "workflows", "layout": "layouts"}
DEFAULT_LOCALE = "en_US"

# language (2-3 letters), optional script (4 letters), optional region (2 letters or 3 digits)
_LOCALE = re.compile(r"[a-zA-Z]{2,3}(?:[_-][A-Z][a-z]{3})?(?:[_-](?:[A-Z]{2}|[0-9]{3}))?")
# an uploaded file's name: a locale with its region, then .json (en_US.json, zh_Hans_CN.json)
_FILE_NAME = re.compile(r"([a-z]{2,3}(?:[_-][A-Z][a-z]{3})?[_-](?:[A-Z]{2}|[0-9]{3}))\.json")


def valid_locale(locale: str) -> bool:
    return bool(_LOCALE.fullmatch(locale))


def normalize_locale(locale: str) -> str:
    return locale.replace("-", "_")


def locale_of_file(file_name: str) -> str | None:
    """The locale an uploaded file's name gives (``fr_FR.json`` -> ``fr_FR``), or None."""
    match = _FILE_NAME.fullmatch(file_name or "")
    return normalize_locale(match.group(1)) if match else None


@dataclass(slots=True)
class Translation:
    resource_type: str
    resource_id: str
    locale: str
    content: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    def dto(self) -> dict[str, Any]:
        return {
            "resourceId": self.resource_id,
            "resourceType": self.resource_type,
            "locale": self.locale,
            "content": clone(self.content),
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }


@dataclass(slots=True)
class Group:
    resource_type: str
    resource_id: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Resource:
    type: str
    id: str  # the identifier translations are kept under
    name: str


class TranslationsBackend:
    # The spec schema each snapshot record is checked against on import.
    RECORD_SCHEMA = "TranslationStateRecord"

    def __init__(self, lock: threading.RLock, *, layouts: LayoutsBackend, workflows: Any = None) -> None:
        self._lock = lock
        self._layouts = layouts
        self._workflows = workflows
        # (resource type, resource id) -> locale -> translation
        self._by_resource: dict[tuple[str, str], dict[str, Translation]] = {}
        self._groups: dict[tuple[str, str], Group] = {}
        layouts.removal_listeners.append(self._forget_layout)

    # -- resources -----------------------------------------------------------------------------

    def resource(self, resource_type: str, key: str) -> Resource | None:
        if resource_type == "layout":
            layout = self._layouts.find(key)
            return Resource("layout", layout.identifier, layout.name) if layout else None
        workflow = find_workflow(self._workflows, key)
        return Resource("workflow", workflow.workflow_id, workflow.name) if workflow else None

    def _resource(self, resource_type: str, key: str) -> Resource:
        found = self.resource(resource_type, key)
        if found is None:
            if resource_type == "layout":
                self._layouts.get(key)  # raises Novu's layout 404
            raise NotFound("Workflow cannot be found", extra={"workflowId": key})
        return found

    @staticmethod
    def path_locale(locale: str) -> str:
        """A locale from a URL: checked (400) and normalized."""
        if not valid_locale(locale):
            raise BadRequest(f"Invalid locale format: {locale}. Expected a locale such as en_US or zh_Hans_CN")
        return normalize_locale(locale)

    # -- single translations -------------------------------------------------------------------

    def upsert(self, resource_type: str, resource_key: str, locale: str, content: dict[str, Any],
               *, at: datetime | None = None) -> Translation:  # fmt: skip
        """Create the translation, or replace its content."""
        with self._lock:
            resource = self._resource(resource_type, resource_key)
            return self._put(resource, normalize_locale(locale), content, at or now())

    def _put(self, resource: Resource, locale: str, content: dict[str, Any], moment: datetime) -> Translation:
        key = (resource.type, resource.id)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = Group(resource.type, resource.id, moment, moment)
        group.updated_at = moment
        locales = self._by_resource.setdefault(key, {})
        existing = locales.get(locale)
        if existing is not None:
            existing.content = clone(content)
            existing.updated_at = moment
            return existing
        translation = locales[locale] = Translation(resource.type, resource.id, locale, clone(content), moment, moment)
        return translation

    def get(self, resource_type: str, resource_key: str, locale: str) -> Translation:
        locale = self.path_locale(locale)
        with self._lock:
            resource = self._resource(resource_type, resource_key)
            translation = self._by_resource.get((resource.type, resource.id), {}).get(locale)
        if translation is None:
            raise NotFound(f"Translation for locale {locale} not found for {resource_type} {resource_key}")
        return translation

    def delete(self, resource_type: str, resource_key: str, locale: str) -> None:
        locale = self.path_locale(locale)
        with self._lock:
            resource = self._resource(resource_type, resource_key)
            locales = self._by_resource.get((resource.type, resource.id), {})
            if locale not in locales:
                raise NotFound(f"Translation for locale {locale} not found for {resource_type} {resource_key}")
            del locales[locale]
            self._groups[(resource.type, resource.id)].updated_at = now()

    # -- groups --------------------------------------------------------------------------------

    def group(self, resource_type: str, resource_key: str) -> dict[str, Any]:
        """``TranslationGroupDto``; 404 when the resource has no translation group."""
        with self._lock:
            resource = self.resource(resource_type, resource_key)
            group = self._groups.get((resource.type, resource.id)) if resource else None
            if resource is None or group is None:
                raise NotFound(f"Translation group not found for {resource_type} {resource_key}")
            return {
                "resourceId": resource.id,
                "resourceType": resource.type,
                "resourceName": resource.name,
                "locales": list(self._by_resource.get((resource.type, resource.id), {})),
                "createdAt": iso(group.created_at),
                "updatedAt": iso(group.updated_at),
            }

    def delete_group(self, resource_type: str, resource_key: str) -> None:
        with self._lock:
            resource = self.resource(resource_type, resource_key)
            if resource is None or (resource.type, resource.id) not in self._groups:
                raise NotFound(f"Translation group not found for {resource_type} {resource_key}")
            del self._groups[(resource.type, resource.id)]
            self._by_resource.pop((resource.type, resource.id), None)

    def _forget_layout(self, layout: Layout) -> None:
        with self._lock:
            self._groups.pop(("layout", layout.identifier), None)
            self._by_resource.pop(("layout", layout.identifier), None)

    # -- master JSON ---------------------------------------------------------------------------

    def master_json(self, locale: str | None = None) -> dict[str, Any]:
        """Every translation of ``locale`` (the default locale when None), by resource type and identifier."""
        wanted = normalize_locale(locale) if locale else DEFAULT_LOCALE
        master: dict[str, dict[str, Any]] = {"workflows": {}, "layouts": {}}
        with self._lock:
            for (resource_type, resource_id), locales in self._by_resource.items():
                if wanted in locales:
                    master[_MASTER_KEYS[resource_type]][resource_id] = clone(locales[wanted].content)
        return master

    def import_master_json(self, locale: str, master: dict[str, Any]) -> dict[str, Any]:
        """Each resource of ``master`` gets the locale's content replaced; resources that do not
        exist (or whose content is not an object) fail, the others are imported."""
        locale = normalize_locale(locale)
        successful: list[str] = []
        failed: list[str] = []
        moment = now()
        with self._lock:
            for resource_type, master_key in _MASTER_KEYS.items():
                entries = master.get(master_key)
                if not isinstance(entries, dict):
                    continue
                for key, content in entries.items():
                    resource = self.resource(resource_type, key)
                    if resource is None or not isinstance(content, dict):
                        failed.append(key)
                        continue
                    self._put(resource, locale, content, moment)
                    successful.append(key)
        return _import_result(successful, failed)

    # -- uploads (multipart) -------------------------------------------------------------------

    def upload(self, resource_type: str, resource_key: str, files: list[tuple[str, bytes]]) -> dict[str, Any]:
        """``POST /v2/translations/upload``: one translation per file, its locale from the file's
        name. Any badly named file refuses the whole upload (400); files that are not a JSON
        object fail one by one, and when none is left the upload is refused (400)."""
        if not files:
            raise BadRequest("No files were uploaded; send one or more JSON files in the field files")
        misnamed = [name for name, _ in files if locale_of_file(name) is None]
        if misnamed:
            raise BadRequest(
                "Some files have invalid names or formats; name each file after its locale, such as en_US.json",
                extra={"errors": [f"Invalid file name '{name}': expected <locale>.json, such as en_US.json" for name in misnamed]},
            )
        errors: list[str] = []
        parsed: list[tuple[str, dict[str, Any]]] = []
        for name, raw in files:
            try:
                parsed.append((locale_of_file(name), _json_object(raw)))  # type: ignore[arg-type]
            except ValueError as error:
                errors.append(f"Failed to process file '{name}': {error}")
        if not parsed:
            raise BadRequest("No valid translation files were found", extra={"errors": errors})
        moment = now()
        with self._lock:
            resource = self._resource(resource_type, resource_key)
            for locale, content in parsed:
                self._put(resource, locale, content, moment)
        return {"totalFiles": len(files), "successfulUploads": len(parsed), "failedUploads": len(errors), "errors": errors}

    def upload_master_json(self, files: list[tuple[str, bytes]]) -> dict[str, Any]:
        """``POST /v2/translations/master-json/upload``: exactly one file, named after its locale."""
        if not files:
            raise BadRequest("A master JSON file is required in the field file")
        if len(files) > 1:
            raise BadRequest("Only one master JSON file can be uploaded at a time")
        name, raw = files[0]
        locale = locale_of_file(name)
        if locale is None:
            raise BadRequest(f"Invalid file name '{name}': name the master JSON after its locale, such as en_US.json")
        try:
            master = _json_object(raw)
        except ValueError as error:
            raise BadRequest(f"Invalid JSON in file {name}: {error}") from None
        return self.import_master_json(locale, master)

    # -- state export / import -----------------------------------------------------------------

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {
                    "resourceType": group.resource_type,
                    "resourceId": group.resource_id,
                    "createdAt": iso(group.created_at),
                    "updatedAt": iso(group.updated_at),
                    "translations": [
                        {"locale": t.locale, "content": clone(t.content), "createdAt": iso(t.created_at), "updatedAt": iso(t.updated_at)}
                        for t in self._by_resource.get(key, {}).values()
                    ],
                }
                for key, group in self._groups.items()
            ]

    def restore(self, records: list[dict[str, Any]] | None) -> None:
        """Replace every translation by ``records`` (a ``snapshot()``; None empties the service).
        Layouts are restored before: a layout group must name a layout; locales are valid and
        used once per group, and a resource has one group."""
        groups: dict[tuple[str, str], Group] = {}
        by_resource: dict[tuple[str, str], dict[str, Translation]] = {}
        for index, record in enumerate(records or []):
            where = f"translations.{index}"
            key = (record["resourceType"], record["resourceId"])
            if key in groups:
                raise Conflict(f"{where}: {key[0]} {key[1]} has two translation groups")
            if key[0] == "layout" and self._layouts.find(key[1]) is None:
                raise Conflict(f"{where}: layout {key[1]} does not exist")
            created_at = parse_time(record["createdAt"], f"{where}.createdAt")
            groups[key] = Group(key[0], key[1], created_at, parse_time(record.get("updatedAt"), f"{where}.updatedAt") or created_at)
            locales = by_resource[key] = {}
            for position, item in enumerate(record.get("translations") or []):
                locale = item["locale"]
                if not valid_locale(locale) or normalize_locale(locale) in locales:
                    raise Conflict(f"{where}.translations.{position}.locale: {locale} is invalid or used twice")
                moment = parse_time(item["createdAt"], f"{where}.translations.{position}.createdAt")
                updated = parse_time(item.get("updatedAt"), f"{where}.translations.{position}.updatedAt") or moment
                locale = normalize_locale(locale)
                locales[locale] = Translation(key[0], key[1], locale, clone(item["content"]), moment, updated)
        with self._lock:
            self._groups, self._by_resource = groups, by_resource


def _json_object(raw: bytes) -> dict[str, Any]:
    """A file's bytes as a JSON object, read as Novu's JSON.parse reads them; ValueError otherwise."""
    if not raw.strip():
        raise ValueError("the file is empty")
    try:
        value = jsoncodec.read_body(raw)
    except (NovuError, UnicodeDecodeError) as error:
        reason = str(getattr(error, "message", error)).removeprefix("Request body is not valid JSON: ")
        raise ValueError(f"the file is not valid JSON ({reason})") from None
    if not isinstance(value, dict):
        raise ValueError("the file must hold a JSON object")
    return value


def _import_result(successful: list[str], failed: list[str]) -> dict[str, Any]:
    """``ImportMasterJsonResponseDto`` worded as Novu words it; empty lists are left out."""
    if not successful and not failed:
        return {"success": False, "message": "No supported resources found in the master JSON"}
    result: dict[str, Any] = {"success": bool(successful)}
    if successful and failed:
        result["message"] = (
            f"Partial import completed. Successfully imported translations for {len(successful)} resources: "
            f"{', '.join(successful)}. Failed to import {len(failed)} resources: {', '.join(failed)}"
        )
    elif successful:
        result["message"] = f"Successfully imported translations for {len(successful)} resources: {', '.join(successful)}"
    else:
        result["message"] = f"Failed to import any resources. Failed resources: {', '.join(failed)}"
    if successful:
        result["successful"] = successful
    if failed:
        result["failed"] = failed
    return result
