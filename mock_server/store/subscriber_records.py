"""A subscriber as the store keeps it, and the shapes its lists answer (pages, bulk outcomes)."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.errors import BadRequest, ValidationFailed, field_error
from mock_server.store.ids import iso
from mock_server.store.values import clone

# camelCase field of the API -> attribute of the record
PROFILE_FIELDS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
    "phone": "phone",
    "avatar": "avatar",
    "locale": "locale",
    "timezone": "timezone",
    "data": "data",
}
# The credential fields Novu's update-subscriber-channel keeps; any other field sent is dropped.
STORED_CREDENTIALS = ("webhookUrl", "deviceTokens", "channel")
# Novu's system limit of device tokens per subscriber channel (after merging).
MAX_DEVICE_TOKENS = 100
# No profile field left unset: what records built field by field (fixtures, imports) have.
_NONE_UNSET: frozenset[str] = frozenset()
# One shared frozenset per distinct set of unset fields, so a million records share a handful.
_UNSET_SETS: dict[frozenset[str], frozenset[str]] = {}


def unset_fields(given: Iterable[str]) -> frozenset[str]:
    """The profile fields (API names) not among ``given``: Novu never stored them, so its
    answers leave them out rather than sending null."""
    missing = frozenset(PROFILE_FIELDS).difference(given)
    return _UNSET_SETS.setdefault(missing, missing)


@dataclass(slots=True)
class ChannelSettings:
    provider_id: str
    integration_id: str
    integration_identifier: str
    credentials: dict[str, Any]

    def to_dto(self) -> dict[str, Any]:
        # What Novu pushes into the subscriber's channels: the integration's identifier is
        # not kept there.
        return {
            "credentials": clone(self.credentials),
            "_integrationId": self.integration_id,
            "providerId": self.provider_id,
        }


@dataclass(slots=True)
class Subscriber:
    id: str
    environment_id: str
    organization_id: str
    subscriber_id: str
    created_at: datetime
    updated_at: datetime
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    avatar: str | None = None
    locale: str | None = None
    timezone: str | None = None
    data: dict[str, Any] | None = None
    # Never changed in place: a change binds a new list, so bulk-loaded records can share one
    # empty tuple here (see ``bulk_load``).
    channels: Sequence[ChannelSettings] = field(default_factory=list)
    topics: Sequence[str] = field(default_factory=list)
    is_online: bool | None = None
    last_online_at: datetime | None = None
    # Raised by every change: what caches of rendered DTOs (the inbox's) compare against.
    version: int = 0
    # Mongo's version key (``__v``): Novu's updates never raise it, so it stays what the record
    # came with.
    document_version: int = 0
    # Profile fields (API names) never given: absent from the answers, not null.
    unset: frozenset[str] = _NONE_UNSET

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def _profile(self, name: str) -> Any:
        value = getattr(self, PROFILE_FIELDS[name])
        return clone(value) if name == "data" else value

    def to_dto(self) -> dict[str, Any]:
        """The v2 SubscriberResponseDto (Novu's mapSubscriberEntityToDto): no ``__v`` nor
        ``topics``; ``isOnline`` / ``lastOnlineAt`` null when never set; profile fields never
        given are left out."""
        unset = self.unset
        dto: dict[str, Any] = {"_id": self.id}
        for name in ("firstName", "lastName", "email", "phone", "avatar"):
            if name not in unset:
                dto[name] = self._profile(name)
        dto.update(
            subscriberId=self.subscriber_id,
            createdAt=iso(self.created_at),
            updatedAt=iso(self.updated_at),
            _environmentId=self.environment_id,
            _organizationId=self.organization_id,
            deleted=False,
        )
        if "data" not in unset:
            dto["data"] = self._profile("data")
        dto["lastOnlineAt"] = iso(self.last_online_at) if self.last_online_at else None
        dto["isOnline"] = self.is_online
        dto["channels"] = [channel.to_dto() for channel in self.channels]
        for name in ("locale", "timezone"):
            if name not in unset:
                dto[name] = self._profile(name)
        return dto

    def to_entity(self) -> dict[str, Any]:
        """The stored document as Novu's v1 routes answer it: ``__v`` and ``deleted`` included,
        fields never given (online status included) left out."""
        unset = self.unset
        entity: dict[str, Any] = {
            "_id": self.id,
            "_organizationId": self.organization_id,
            "_environmentId": self.environment_id,
        }
        for name in PROFILE_FIELDS:
            if name not in unset:
                entity[name] = self._profile(name)
        entity["subscriberId"] = self.subscriber_id
        entity["channels"] = [channel.to_dto() for channel in self.channels]
        if self.topics:
            entity["topics"] = list(self.topics)
        if self.is_online is not None:
            entity["isOnline"] = self.is_online
        if self.last_online_at is not None:
            entity["lastOnlineAt"] = iso(self.last_online_at)
        entity.update(deleted=False, createdAt=iso(self.created_at), updatedAt=iso(self.updated_at), __v=self.document_version)
        return entity


@dataclass(slots=True)
class CursorPage:
    items: list[Subscriber]
    next: str | None
    previous: str | None
    total_count: int
    total_count_capped: bool

    def to_dto(self) -> dict[str, Any]:
        return {
            "data": [subscriber.to_dto() for subscriber in self.items],
            "next": self.next,
            "previous": self.previous,
            "totalCount": self.total_count,
            "totalCountCapped": self.total_count_capped,
        }


@dataclass(slots=True)
class BulkOutcome:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def to_dto(self) -> dict[str, Any]:
        return {
            "updated": [{"subscriberId": s} for s in self.updated],
            "created": [{"subscriberId": s} for s in self.created],
            "failed": [{"message": message, "subscriberId": s} for s, message in self.failed],
        }


@functools.cache
def _time_zones() -> dict[str, str]:
    """IANA time-zone names by their lower-cased form (Intl, behind class-validator's
    IsTimeZone, takes them in any case). Empty when this system has no tz database."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def check_time_zone(value: Any) -> None:
    """Novu's IsTimeZone rule for ``timezone`` (null passes): 422 otherwise."""
    if value is None or not isinstance(value, str):
        return
    zones = _time_zones()
    if zones and value.lower() not in zones:
        raise ValidationFailed(field_error("timezone", "timezone must be a valid IANA time-zone", value))


def check_device_tokens(tokens: list[str]) -> None:
    if len(tokens) > MAX_DEVICE_TOKENS:
        raise BadRequest(
            f"Device tokens limit exceeded. Maximum allowed tokens per subscriber channel is {MAX_DEVICE_TOKENS}, "
            f"but got {len(tokens)} tokens.",
            extra={"currentCount": len(tokens), "limit": MAX_DEVICE_TOKENS},
        )
