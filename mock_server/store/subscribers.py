"""Subscribers of one environment, their chat/push credentials and online status.

Search and paging never scan every subscriber: sorted indexes live beside the records.

- ``_order[order_by]``: every subscriber's sort key, ascending: ``(_id,)`` for creation order,
  ``(updatedAt, _id)`` for ``updatedAt``. A cursor page is two bisections and a slice.
- ``_text[field]``: a ``TextColumn`` (``text_search.py``) of the lower-cased ``email``,
  ``phone`` and ``name`` (the trimmed "first last"). Novu's filters on these find the text
  anywhere in the value, ignoring case (an escaped, unanchored regular expression), so no sorted
  index narrows them: one column is searched whole (``str.find`` over its joined values) and the
  other filters are checked on its matches only. ``subscriberId`` must be equal (case and all):
  one dictionary look-up.
- ``_retired``: the ``_id``s of deleted subscribers, never given out again.

A cursor (``after`` / ``before``) that names no subscriber of the environment (deleted, of
another environment, never made) answers an empty page counted 0, as Novu's ``listSubscribers``
does when its look-up of the cursor finds nothing.

Any other ``orderBy`` (Novu takes any field name) sorts the matching subscribers' documents on
each request, as ``subscriber_order.py`` describes.
"""

from __future__ import annotations

import bisect
import random
import threading
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from datetime import datetime
from typing import Any

from sortedcontainers import SortedList

from mock_server.errors import BadRequest, Conflict, NotFound
from mock_server.store.ids import now, object_id, parse_time
from mock_server.store import subscriber_order
from mock_server.store.integrations import Integration, IntegrationsBackend
from mock_server.store.text_search import TextColumn
from mock_server.store.values import clone
from mock_server.store.subscriber_records import (
    PROFILE_FIELDS,
    STORED_CREDENTIALS,
    unset_fields,
    ChannelSettings,
    Subscriber,
    CursorPage,
    BulkOutcome,
    check_device_tokens,
)
SEARCH_FIELDS = ("email", "phone", "subscriberId", "name")
# The filters Novu matches as text anywhere in the value, ignoring case; subscriberId is exact.
TEXT_FIELDS = ("email", "phone", "name")
ORDER_FIELDS = ("_id", "updatedAt")
# The real API stops counting matches somewhere; so does the mock, and says so.
DEFAULT_TOTAL_COUNT_CAP = 50_000
# What MongoDB's $trim removes by default from both ends (Novu trims the joined full name).
_MONGO_WHITESPACE = "\u0000 \t\n\u000b\u000c\r\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"


def _sort_key(subscriber: Subscriber, order_by: str) -> tuple:
    return (subscriber.updated_at, subscriber.id) if order_by == "updatedAt" else (subscriber.id,)


def _searched_value(subscriber: Subscriber, name: str) -> str | None:
    """The lower-cased text a filter on ``name`` (``email``, ``phone`` or ``name``) looks in, or
    None when there is none (nothing is found in it). ``name`` is Novu's full name: first name,
    a space, last name (a missing part as empty), trimmed."""
    if name == "name":
        value = f"{subscriber.first_name or ''} {subscriber.last_name or ''}".strip(_MONGO_WHITESPACE)
    else:
        value = getattr(subscriber, name)
    return value.lower() if isinstance(value, str) and value else None


# The profile fields (API names) each text filter's value is made of; subscriberId never changes.
_SEARCHED_IN = {"email": frozenset({"email"}), "phone": frozenset({"phone"}), "name": frozenset({"firstName", "lastName"})}


def _pair_sorted(keys: list[tuple]) -> list[tuple]:
    """``keys`` in tuple order, sorted in place. For pairs, two stable sorts on one field each
    (second field, then first) give the same order as comparing the tuples, about three times
    faster on a million keys."""
    if keys and len(keys[0]) == 2:
        keys.sort(key=itemgetter(1))
        keys.sort(key=itemgetter(0))
    else:
        keys.sort()
    return keys


def _text_values(subscriber: Subscriber) -> dict[str, str | None]:
    return {name: _searched_value(subscriber, name) for name in TEXT_FIELDS}


def _bisect_left(sequence: Sequence, key: tuple) -> int:
    return sequence.bisect_left(key) if isinstance(sequence, SortedList) else bisect.bisect_left(sequence, key)


def _bisect_right(sequence: Sequence, key: tuple) -> int:
    return sequence.bisect_right(key) if isinstance(sequence, SortedList) else bisect.bisect_right(sequence, key)


class SubscribersBackend:
    # The spec schema each snapshot record is checked against on import: the API's own DTO,
    # which carries everything (credentials, online status, version) a subscriber holds.
    RECORD_SCHEMA = "SubscriberResponseDto"

    def __init__(
        self,
        environment_id: str,
        organization_id: str,
        lock: threading.RLock,
        *,
        integrations: IntegrationsBackend,
        total_count_cap: int = DEFAULT_TOTAL_COUNT_CAP,
    ) -> None:
        self.environment_id = environment_id
        self.organization_id = organization_id
        self.total_count_cap = total_count_cap
        self._lock = lock
        self._integrations = integrations
        self._by_subscriber_id: dict[str, Subscriber] = {}
        self._by_id: dict[str, Subscriber] = {}
        self._order: dict[str, SortedList] = {name: SortedList() for name in ORDER_FIELDS}
        self._text: dict[str, TextColumn] = {name: TextColumn() for name in TEXT_FIELDS}
        self._retired: set[str] = set()
        # Called with each deleted subscriber, under the lock: what hangs off it goes too.
        self.removal_listeners: list[Callable[[Subscriber], None]] = []

    def __len__(self) -> int:
        return len(self._by_id)

    # -- reads ---------------------------------------------------------------------------

    def get(self, subscriber_id: str, *, missing: str | None = None, error: type = NotFound) -> Subscriber:
        """The subscriber; ``error(missing)`` when there is none (Novu words this differently
        route by route: the callers pass their route's sentence)."""
        with self._lock:
            subscriber = self._by_subscriber_id.get(subscriber_id)
        if subscriber is None:
            raise error(missing or f"Subscriber {subscriber_id} was not found")
        return subscriber

    def find(self, subscriber_id: str) -> Subscriber | None:
        with self._lock:
            return self._by_subscriber_id.get(subscriber_id)

    def page(self, *, page: int, limit: int) -> tuple[list[Subscriber], int, bool]:
        """v1 page style, creation order: (subscribers, total count, has more)."""
        with self._lock:
            order = self._order["_id"]
            total = len(order)
            start = min(page * limit, total)
            keys = list(order.islice(start, min(start + limit, total)))
            return [self._by_id[key[-1]] for key in keys], total, start + limit < total

    def search(
        self,
        *,
        email: str | None = None,
        name: str | None = None,
        phone: str | None = None,
        subscriber_id: str | None = None,
        after: str | None = None,
        before: str | None = None,
        limit: int = 10,
        order_by: str = "_id",
        order_direction: str = "DESC",
        include_cursor: bool = False,
    ) -> CursorPage:
        # An empty filter filters nothing (Novu skips a falsy one).
        filters = {
            field_name: value if field_name == "subscriberId" else value.lower()
            for field_name, value in (("email", email), ("name", name), ("phone", phone), ("subscriberId", subscriber_id))
            if value
        }
        with self._lock:
            after_record = self._cursor_record(after) if after else None
            before_record = self._cursor_record(before) if before else None
            if (after and after_record is None) or (before and before_record is None):
                return CursorPage(items=[], next=None, previous=None, total_count=0, total_count_capped=False)
            if order_by not in self._order:
                return self._search_by_field(
                    filters, order_by, after_record, before_record, limit, order_direction, include_cursor
                )
            after_key = _sort_key(after_record, order_by) if after_record else None
            before_key = _sort_key(before_record, order_by) if before_record else None
            keys = self._order[order_by] if not filters else self._matching_keys(filters, order_by)
            total = len(keys)
            descending = order_direction == "DESC"
            # Bounds in ascending key space: [lo, hi) positions of the window the cursors leave.
            lo, hi = 0, total
            low_cursor, high_cursor = (before_key, after_key) if descending else (after_key, before_key)
            if low_cursor is not None:
                lo = _bisect_left(keys, low_cursor) if include_cursor else _bisect_right(keys, low_cursor)
            if high_cursor is not None:
                hi = _bisect_right(keys, high_cursor) if include_cursor else _bisect_left(keys, high_cursor)
            hi = max(lo, hi)
            # Fill from the side the walk comes from: after a cursor (or at the start), from that
            # cursor on; with only `before`, the items just before it.
            backwards = before_key is not None and after_key is None
            from_high = descending != backwards
            start, stop = (max(lo, hi - limit), hi) if from_high else (lo, min(hi, lo + limit))
            window = [self._by_id[key[-1]] for key in self._slice(keys, start, stop)]
            if descending:
                window.reverse()
            # In walking order: items before the page exist below `start` (ASC) or above `stop` (DESC).
            has_before = stop < total if descending else start > 0
            has_after = start > 0 if descending else stop < total
            return CursorPage(
                items=window,
                next=window[-1].id if window and has_after else None,
                previous=window[0].id if window and has_before else None,
                total_count=min(total, self.total_count_cap),
                total_count_capped=total > self.total_count_cap,
            )

    def _search_by_field(
        self,
        filters: dict[str, str],
        field: str,
        after: Subscriber | None,
        before: Subscriber | None,
        limit: int,
        order_direction: str,
        include_cursor: bool,
    ) -> CursorPage:
        """Any other order: the matching subscribers' documents, paged as Novu's DAL pages them."""
        if filters:
            matching: Iterable[Subscriber] = [self._by_id[key[-1]] for key in self._matching_keys(filters, "_id")]
        else:
            matching = self._by_id.values()
        found = subscriber_order.page(
            matching,
            field=field,
            after=after,
            before=before,
            limit=limit,
            descending=order_direction == "DESC",
            include_cursor=include_cursor,
        )
        return CursorPage(
            items=[self._by_id[record_id] for record_id in found.ids],
            next=found.next,
            previous=found.previous,
            total_count=min(found.total, self.total_count_cap),
            total_count_capped=found.total > self.total_count_cap,
        )

    def _cursor_record(self, cursor: str) -> Subscriber | None:
        """The live subscriber a cursor names. Novu reads the cursor as an ObjectId, whose hex
        digits may come in either case."""
        return self._by_id.get(cursor.lower())

    # -- writes --------------------------------------------------------------------------

    def create(
        self,
        *,
        subscriber_id: str,
        profile: dict[str, Any] | None = None,
        fail_if_exists: bool = False,
        created_at: datetime | None = None,
        rng: random.Random | None = None,
    ) -> tuple[Subscriber, bool]:
        """Create, or set the fields given when the subscriber exists: (subscriber, created).
        Fields not in ``profile`` stay unset (absent from the answers)."""
        profile = profile or {}
        with self._lock:
            existing = self._by_subscriber_id.get(subscriber_id)
            if existing is not None:
                if fail_if_exists:
                    raise Conflict(f'Subscriber with id "{subscriber_id}" already exists')
                return self._change(existing, profile), False
            moment = created_at or now()
            record_id = object_id(moment, rng)
            while record_id in self._by_id or record_id in self._retired:
                record_id = object_id(moment, rng)
            subscriber = Subscriber(
                id=record_id,
                environment_id=self.environment_id,
                organization_id=self.organization_id,
                subscriber_id=subscriber_id,
                created_at=moment,
                updated_at=moment,
                unset=unset_fields(profile),
            )
            self._apply_profile(subscriber, profile)
            self._by_subscriber_id[subscriber_id] = subscriber
            self._by_id[subscriber.id] = subscriber
            self._index(subscriber)
            return subscriber, True

    def patch(self, subscriber_id: str, changes: dict[str, Any]) -> Subscriber:
        """Set the fields given (null clears); nothing given or nothing different changes
        nothing, ``updatedAt`` included."""
        with self._lock:
            return self._change(self.get(subscriber_id), changes)

    def remove(self, subscriber_id: str) -> None:
        with self._lock:
            subscriber = self.get(subscriber_id)  # the caller words the 404
            self._unindex(subscriber)
            del self._by_subscriber_id[subscriber_id]
            del self._by_id[subscriber.id]
            self._retired.add(subscriber.id)
            for listener in self.removal_listeners:
                listener(subscriber)

    def bulk_create(self, items: list[dict[str, Any]]) -> BulkOutcome:
        """One upsert per item, in order (Novu's bulkWrite): an item sets the fields it gives.
        A subscriberId met again later in the same request updates what the first created,
        so it is reported in ``created`` and in ``updated``."""
        outcome = BulkOutcome()
        with self._lock:
            for item in items:
                subscriber_id = item["subscriberId"]
                profile = {key: value for key, value in item.items() if key in PROFILE_FIELDS}
                _, created = self.create(subscriber_id=subscriber_id, profile=profile)
                (outcome.created if created else outcome.updated).append(subscriber_id)
        return outcome

    def bulk_load(self, records: Iterable[Subscriber]) -> int:
        """Add many ready-made subscribers at once (large fixtures): the number added.

        The same rules as ``create``: unique ``_id`` and ``subscriberId`` (among the records and
        against those already here or deleted), records of this environment, ``updatedAt`` not
        before ``createdAt``, credentials only for integrations of this environment. All or
        nothing: the first broken rule raises and nothing is added. The indexes come out exactly
        as record-by-record creation leaves them, but are built by one sort per index instead of
        one insertion per record.
        """
        added: dict[str, Subscriber] = {}
        by_subscriber_id: dict[str, Subscriber] = {}
        lowered: dict[str, str] = {}  # one lower-cased string per distinct name (names repeat)
        text: dict[str, dict[str, str]] = {name: {} for name in TEXT_FIELDS}
        order: dict[str, list[tuple]] = {"_id": [], "updatedAt": []}
        id_keys, updated_keys = order["_id"], order["updatedAt"]
        name_texts = text["name"]
        with self._lock:
            for subscriber in records:
                if subscriber.environment_id != self.environment_id or subscriber.organization_id != self.organization_id:
                    raise Conflict(f"Subscriber {subscriber.subscriber_id} belongs to another environment")
                if subscriber.id in self._by_id or subscriber.id in self._retired or subscriber.id in added:
                    raise Conflict(f"_id {subscriber.id} is used by two subscribers; ids must be unique")
                if subscriber.subscriber_id in self._by_subscriber_id or subscriber.subscriber_id in by_subscriber_id:
                    raise Conflict(f"Subscriber {subscriber.subscriber_id} already exists")
                if subscriber.updated_at < subscriber.created_at:
                    raise Conflict(f"Subscriber {subscriber.subscriber_id} was updated before it was created")
                for settings in subscriber.channels:
                    integration = self._integrations.get(settings.integration_id)
                    if integration.provider_id != settings.provider_id:
                        raise Conflict(f"Subscriber {subscriber.subscriber_id} holds {settings.provider_id} credentials "
                                       f"for integration {integration.id}, which is a {integration.provider_id} integration")  # fmt: skip
                added[subscriber.id] = subscriber
                by_subscriber_id[subscriber.subscriber_id] = subscriber
                record_id = subscriber.id
                id_keys.append((record_id,))
                updated_keys.append((subscriber.updated_at, record_id))
                # the values _searched_value gives, without its per-call cost
                for name, value in (("email", subscriber.email), ("phone", subscriber.phone)):
                    if isinstance(value, str) and value:
                        text[name][record_id] = value.lower()
                first, last = subscriber.first_name, subscriber.last_name
                if first or last:
                    full = f"{first or ''} {last or ''}"
                    low = lowered.get(full)
                    if low is None:
                        low = lowered[full] = _searched_value(subscriber, "name") or ""
                    if low:
                        name_texts[record_id] = low
            if not added:
                return 0
            self._by_id.update(added)
            self._by_subscriber_id.update(by_subscriber_id)
            for name, keys in order.items():
                self._order[name] = SortedList(_pair_sorted([*self._order[name], *keys]))
            for name, values in text.items():
                self._text[name].update(values)
            return len(added)

    def set_credentials(
        self,
        subscriber_id: str,
        *,
        provider_id: str,
        credentials: dict[str, Any],
        integration_identifier: str | None = None,
        merge: bool = False,
        at: datetime | None = None,
    ) -> Subscriber:
        """Novu's update-subscriber-channel. The integration is the newest active one of the
        provider (with that identifier when given); only ``webhookUrl``, ``deviceTokens`` and
        ``channel`` are kept. A channel the subscriber already has for that integration gets
        the fields given over its own, and its device tokens become the ones given (PUT,
        ``merge=False``) or the union with its own (PATCH); none given empties them."""
        with self._lock:
            subscriber = self.get(subscriber_id, missing=f"SubscriberId: {subscriber_id} not found", error=BadRequest)
            integration = self._credentials_integration(provider_id, integration_identifier)
            incoming = {name: clone(credentials[name]) for name in STORED_CREDENTIALS if credentials.get(name) is not None}
            if "deviceTokens" in incoming:
                incoming["deviceTokens"] = list(dict.fromkeys(incoming["deviceTokens"]))
            current = next(
                (c for c in subscriber.channels if c.provider_id == provider_id and c.integration_id == integration.id),
                None,
            )
            if current is None:
                check_device_tokens(incoming.get("deviceTokens") or [])
                subscriber.channels = [
                    *subscriber.channels, ChannelSettings(provider_id, integration.id, integration.identifier, incoming)
                ]
            elif current.credentials == incoming:
                return subscriber
            else:
                tokens: list[str] = []
                if "deviceTokens" in incoming and incoming["deviceTokens"]:
                    kept = (current.credentials.get("deviceTokens") or []) if merge else []
                    tokens = list(dict.fromkeys([*kept, *incoming["deviceTokens"]]))
                    check_device_tokens(tokens)
                current.credentials = {**current.credentials, **incoming, "deviceTokens": tokens}
            return self._change(subscriber, {}, at, touch=True)

    def delete_credentials(self, subscriber_id: str, provider_id: str) -> None:
        """Every channel of that provider goes; a provider the subscriber holds nothing for
        (or no provider at all) changes nothing and is no error."""
        with self._lock:
            subscriber = self.get(subscriber_id, missing=f"Subscriber not found for id {subscriber_id}")
            kept = [c for c in subscriber.channels if c.provider_id != provider_id]
            if len(kept) != len(subscriber.channels):
                subscriber.channels = kept
                self._change(subscriber, {}, touch=True)

    def set_online(
        self, subscriber_id: str, is_online: bool, *, at: datetime | None = None, stamp: bool | None = None
    ) -> Subscriber:
        """``stamp``: whether ``lastOnlineAt`` becomes the moment; by default when going offline (the
        online-status route); Novu's socket server stamps it at every disconnection."""
        with self._lock:
            subscriber = self.get(subscriber_id, missing="Subscriber not found")
            moment = at or now()
            if (not is_online) if stamp is None else stamp:
                subscriber.last_online_at = moment
            subscriber.is_online = is_online
            return self._change(subscriber, {}, moment, touch=True)

    def store_oauth_webhook(self, subscriber_id: str, integration: Integration, webhook_url: str) -> Subscriber:
        """The end of a chat OAuth: the subscriber's incoming-webhook URL for that integration."""
        with self._lock:
            subscriber = self.get(subscriber_id)
            current = next((c for c in subscriber.channels if c.integration_id == integration.id), None)
            if current is None:
                subscriber.channels = [
                    *subscriber.channels,
                    ChannelSettings(integration.provider_id, integration.id, integration.identifier, {"webhookUrl": webhook_url}),
                ]
            else:
                current.credentials["webhookUrl"] = webhook_url
            return self._change(subscriber, {}, touch=True)

    def oauth_integration(self, provider_id: str, integration_identifier: str | None) -> Integration:
        with self._lock:
            return self._integration_for(provider_id, integration_identifier)

    def by_record_id(self, record_id: str) -> Subscriber | None:
        """The subscriber whose ``_id`` this is (None when there is none)."""
        with self._lock:
            return self._by_id.get(record_id)

    # -- state export / import ----------------------------------------------------------

    def snapshot(self) -> list[dict[str, Any]]:
        """Every subscriber as its API DTO, in creation order (credentials included)."""
        with self._lock:
            return [self._by_id[key[-1]].to_entity() for key in self._order["_id"]]

    def restore(self, records: list[dict[str, Any]] | None) -> None:
        """Replace every subscriber by ``records`` (a ``snapshot()``; None empties the service).

        Every rule is checked before anything changes: unique ``_id`` and ``subscriberId``, and
        each credential names an integration of this environment with that provider. The search
        and order indexes are rebuilt from the records.
        """
        by_id: dict[str, Subscriber] = {}
        by_subscriber_id: dict[str, Subscriber] = {}
        for index, record in enumerate(records or []):
            where = f"subscribers.{index}"
            created_at = parse_time(record["createdAt"], f"{where}.createdAt")
            updated_at = parse_time(record["updatedAt"], f"{where}.updatedAt")
            record_id = record.get("_id") or object_id(created_at)
            if record_id in by_id:
                raise Conflict(f"_id {record_id} is used by two subscribers; ids must be unique")
            if record["subscriberId"] in by_subscriber_id:
                raise Conflict(f"subscriberId {record['subscriberId']} is used twice; it must be unique in the environment")
            channels = []
            for settings in record.get("channels") or []:
                try:
                    integration = self._integrations.get(settings["_integrationId"])
                except NotFound:
                    integration = None
                if integration is None:
                    # Novu's remove-integration leaves the subscribers' credentials of it in place
                    # (remove-integration.usecase.ts touches the integrations collection only).
                    channels.append(ChannelSettings(
                        settings["providerId"], settings["_integrationId"], "", clone(settings["credentials"])
                    ))  # fmt: skip
                    continue
                if integration.provider_id != settings["providerId"]:
                    raise Conflict(
                        f"Subscriber {record['subscriberId']} holds {settings['providerId']} credentials for integration "
                        f"{settings['_integrationId']}, which is no {settings['providerId']} integration of this environment"
                    )
                channels.append(ChannelSettings(
                    integration.provider_id, integration.id, integration.identifier, clone(settings["credentials"])
                ))  # fmt: skip
            subscriber = Subscriber(
                id=record_id,
                environment_id=self.environment_id,
                organization_id=self.organization_id,
                subscriber_id=record["subscriberId"],
                created_at=created_at,
                updated_at=updated_at,
                channels=channels,
                topics=list(record.get("topics") or []),
                is_online=record.get("isOnline"),
                last_online_at=parse_time(record.get("lastOnlineAt"), f"{where}.lastOnlineAt"),
                document_version=int(record.get("__v") or 0),
                unset=unset_fields(name for name in PROFILE_FIELDS if name in record),
            )
            self._apply_profile(subscriber, {name: record[name] for name in PROFILE_FIELDS if name in record})
            by_id[subscriber.id] = subscriber
            by_subscriber_id[subscriber.subscriber_id] = subscriber
        with self._lock:
            self._by_id, self._by_subscriber_id = by_id, by_subscriber_id
            self._order = {name: SortedList() for name in ORDER_FIELDS}
            self._text = {name: TextColumn() for name in TEXT_FIELDS}
            self._retired = set()
            for subscriber in by_id.values():
                self._index(subscriber)

    # -- helpers -------------------------------------------------------------------------

    def _integration_for(self, provider_id: str, identifier: str | None) -> Integration:
        if identifier:
            integration = self._integrations.by_identifier(identifier)
            if integration.provider_id != provider_id:
                raise NotFound(
                    f"Integration {identifier} is a {integration.provider_id} integration, not {provider_id}; "
                    f"no {provider_id} integration with that identifier in this environment"
                )
            return integration
        candidates = [i for i in self._integrations.list() if i.provider_id == provider_id and i.active]
        if not candidates:
            raise NotFound(f"This environment has no active {provider_id} integration; create one first")
        return next((i for i in candidates if i.primary), candidates[0])

    def _credentials_integration(self, provider_id: str, identifier: str | None) -> Integration:
        """The newest active integration of the provider (with that identifier when given):
        400 when there is none, as Novu's update-subscriber-channel answers."""
        candidates = [
            i for i in self._integrations.list()
            if i.provider_id == provider_id and i.active and (not identifier or i.identifier == identifier)
        ]  # fmt: skip
        if not candidates:
            raise BadRequest(
                f"Subscribers environment ({self.environment_id}) do not have active {provider_id} integration."
            )
        return max(candidates, key=lambda i: (i.created_at, i.id))

    def _change(
        self, subscriber: Subscriber, changes: dict[str, Any], at: datetime | None = None, *, touch: bool = False
    ) -> Subscriber:
        """Every write goes through here: the indexes see the old keys that changed leave and the
        new ones come (a new first name moves one search key, not all of them). Profile
        ``changes`` that change nothing write nothing (Novu skips the update, so ``updatedAt``
        stays); ``touch`` is for the callers that changed something else themselves."""
        changes = {
            name: value for name, value in changes.items()
            if name in PROFILE_FIELDS and (name in subscriber.unset or subscriber._profile(name) != value)
        }  # fmt: skip
        if not changes and not touch:
            return subscriber
        order_before = {name: _sort_key(subscriber, name) for name in self._order}
        moved = [name for name, inputs in _SEARCHED_IN.items() if not inputs.isdisjoint(changes)]
        self._apply_profile(subscriber, changes)
        if not subscriber.unset.isdisjoint(changes):
            subscriber.unset = unset_fields((set(PROFILE_FIELDS) - subscriber.unset) | set(changes))
        subscriber.updated_at = max(at or now(), subscriber.updated_at)
        subscriber.version += 1
        for name, order in self._order.items():
            key = _sort_key(subscriber, name)
            if key != order_before[name]:
                order.discard(order_before[name])
                order.add(key)
        for name in moved:
            self._set_text(name, subscriber.id, _searched_value(subscriber, name))
        return subscriber

    @staticmethod
    def _apply_profile(subscriber: Subscriber, profile: dict[str, Any]) -> None:
        for api_name, value in profile.items():
            attribute = PROFILE_FIELDS.get(api_name)
            if attribute is not None:
                setattr(subscriber, attribute, clone(value))

    def _index(self, subscriber: Subscriber) -> None:
        for name, order in self._order.items():
            order.add(_sort_key(subscriber, name))
        for name, value in _text_values(subscriber).items():
            self._set_text(name, subscriber.id, value)

    def _unindex(self, subscriber: Subscriber) -> None:
        for name, order in self._order.items():
            order.discard(_sort_key(subscriber, name))
        for name in TEXT_FIELDS:
            self._text[name].set(subscriber.id, None)

    def _set_text(self, name: str, record_id: str, value: str | None) -> None:
        self._text[name].set(record_id, value)

    def _matching_keys(self, filters: dict[str, str], order_by: str) -> list[tuple]:
        """Sort keys of the subscribers matching every filter, ascending: ``subscriberId`` equal,
        the lower-cased text of the others found anywhere in the subscriber's lower-cased value."""
        texts = [(name, needle) for name, needle in filters.items() if name != "subscriberId"]
        if "subscriberId" in filters:
            found = self._by_subscriber_id.get(filters["subscriberId"])
            ids: Iterable[str] = [found.id] if found is not None else []
        else:
            # one field read whole (the longest text's: likely the fewest matches), the other
            # filters checked on its matches only
            texts.sort(key=lambda pair: len(pair[1]))
            name, needle = texts.pop()
            ids = self._text[name].find(needle)
        for name, needle in texts:
            column = self._text[name]
            ids = [record_id for record_id in ids if needle in column.get(record_id)]
        by_id = self._by_id
        keys = [(record_id,) for record_id in ids] if order_by == "_id" else [_sort_key(by_id[i], order_by) for i in ids]
        keys.sort()
        return keys

    @staticmethod
    def _slice(keys: Sequence, start: int, stop: int) -> list[tuple]:
        if isinstance(keys, SortedList):
            return list(keys.islice(start, stop))
        return list(keys[start:stop])
