"""Channel preferences of subscribers: global ones and one set per workflow.

What applies to a workflow's channel, first match wins: the workflow is critical (always on);
the subscriber chose for that workflow; the subscriber chose globally; the workflow's default.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.errors import BadRequest, Conflict, NotFound
from mock_server.store.ids import iso, now, parse_time
from mock_server.store.subscriber_records import Subscriber
from mock_server.store.subscribers import SubscribersBackend
from mock_server.store.workflows import Workflow, WorkflowsBackend
from mock_server.store.values import clone


@dataclass(slots=True)
class ChannelChoices:
    channels: dict[str, bool] = field(default_factory=dict)
    updated_at: datetime | None = None


@dataclass(slots=True)
class SubscriberPreferences:
    global_choices: ChannelChoices = field(default_factory=ChannelChoices)
    schedule: dict[str, Any] | None = None
    # workflow _id -> the subscriber's choices for it
    workflows: dict[str, ChannelChoices] = field(default_factory=dict)


def _choices_record(choices: ChannelChoices) -> dict[str, Any]:
    return {"channels": dict(choices.channels), "updatedAt": iso(choices.updated_at) if choices.updated_at else None}


def _choices(record: dict[str, Any] | None, where: str) -> ChannelChoices:
    record = record or {}
    channels = {name: value for name, value in (record.get("channels") or {}).items() if isinstance(value, bool)}
    return ChannelChoices(channels, parse_time(record.get("updatedAt"), f"{where}.updatedAt"))


# What a subscriber who never chose anything has (read only: ``_for`` stores a new one to change).
_NO_CHOICES = SubscriberPreferences()


def _choice(preferences: SubscriberPreferences, own: dict[str, bool], workflow: Workflow, channel: str) -> bool:
    """Whether ``workflow`` delivers on ``channel`` (one of its channels): always when it is
    critical, else the subscriber's choice for the workflow, their global choice, the default."""
    if workflow.critical:
        return True
    if channel in own:
        return own[channel]
    return preferences.global_choices.channels.get(channel, workflow.default_for(channel))


class PreferencesBackend:
    # The schema (admin document) each snapshot record is checked against on import.
    RECORD_SCHEMA = "SubscriberPreferencesStateRecord"

    def __init__(
        self, lock: threading.RLock, *, subscribers: SubscribersBackend, workflows: WorkflowsBackend
    ) -> None:
        self._lock = lock
        self._subscribers = subscribers
        self._workflows = workflows
        # keyed by the subscriber's _id, so a subscriber created again starts afresh
        self._by_subscriber: dict[str, SubscriberPreferences] = {}
        subscribers.removal_listeners.append(self._forget)

    # -- reads ---------------------------------------------------------------------------

    def get(self, subscriber_id: str, *, channels: list[str], criticality: str = "nonCritical") -> dict[str, Any]:
        """GetSubscriberPreferencesDto. ``channels`` are every channel type the API knows."""
        with self._lock:
            subscriber = self._subscribers.get(subscriber_id, missing=f"Subscriber with id: {subscriber_id} not found")
            return self._dto(subscriber, channels, criticality)

    def delivers(self, subscriber: Subscriber, workflow: Workflow, channel: str) -> bool:
        """Whether ``workflow`` delivers on ``channel`` to ``subscriber`` (the rule above)."""
        with self._lock:
            if channel not in workflow.channels:
                return False
            preferences = self._by_subscriber.get(subscriber.id, _NO_CHOICES)
            own = preferences.workflows.get(workflow.id)
            return _choice(preferences, own.channels if own else {}, workflow, channel)

    # -- writes --------------------------------------------------------------------------

    def update(
        self,
        subscriber_id: str,
        *,
        channels: list[str],
        choices: dict[str, bool] | None = None,
        workflow_id: str | None = None,
        schedule: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Novu's order: the workflow is looked up first (404), then the subscriber (404),
        then a critical workflow is refused (400). ``schedule`` only counts for the global
        preferences; with a ``workflowId`` it is ignored."""
        with self._lock:
            workflow = self._workflow(workflow_id) if workflow_id else None
            subscriber = self._subscribers.get(subscriber_id, missing=f"Subscriber with id: {subscriber_id} is not found")
            if workflow is not None and workflow.critical:
                raise BadRequest(f"Critical workflow with id: {workflow.id} can not be updated")
            preferences = self._for(subscriber)
            moment = at or now()
            if choices:
                target = (
                    preferences.workflows.setdefault(workflow.id, ChannelChoices())
                    if workflow
                    else preferences.global_choices
                )
                target.channels.update(choices)
                target.updated_at = moment
            if schedule is not None and workflow is None:
                preferences.schedule = clone(schedule)
                preferences.global_choices.updated_at = moment
            return self._dto(subscriber, channels, "nonCritical")

    def bulk_update(self, subscriber_id: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Novu's bulk update, all or nothing: the subscriber (404), an empty list (400), every
        workflow named (one 404 naming all the unknown ones), no critical one (400 naming
        their ``_id``s). A workflow named twice (by identifier or ``_id``) is updated once,
        at its first place, with its last entry."""
        with self._lock:
            subscriber = self._subscribers.get(subscriber_id, missing=f"Subscriber with id: {subscriber_id} is not found")
            if not items:
                raise BadRequest("No preferences provided for bulk update")
            found: dict[str, Workflow | None] = {}
            for item in items:
                if item["workflowId"] not in found:
                    try:
                        found[item["workflowId"]] = self._workflows.get(item["workflowId"])
                    except NotFound:
                        found[item["workflowId"]] = None
            unknown = [item["workflowId"] for item in items if found[item["workflowId"]] is None]
            if unknown:
                raise NotFound(f"Workflows with ids: {', '.join(unknown)} not found")
            chosen: dict[str, tuple[Workflow, dict[str, bool]]] = {}
            for item in items:
                workflow = found[item["workflowId"]]
                chosen[workflow.id] = (workflow, item.get("channels") or {})
            critical = [workflow.id for workflow, _ in chosen.values() if workflow.critical]
            if critical:
                raise BadRequest(f"Critical workflows with ids: {', '.join(critical)} cannot be updated")
            preferences = self._for(subscriber)
            moment = now()
            for workflow, choices in chosen.values():
                target = preferences.workflows.setdefault(workflow.id, ChannelChoices())
                target.channels.update(choices)
                target.updated_at = moment
            return [
                {
                    "level": "template",
                    "enabled": any(values.values()),
                    "channels": values,
                    "workflow": workflow.preference_dto(),
                }
                for workflow, _ in chosen.values()
                for values in [self._workflow_channels(preferences, workflow)[0]]
            ]

    # -- the inbox's view (InboxPreference, /v1/inbox/preferences) -------------------------

    def inbox_list(
        self,
        subscriber_id: str,
        *,
        channels: list[str],
        tags: list[str] | None = None,
        severity: list[str] | None = None,
        criticality: str = "nonCritical",
    ) -> list[dict[str, Any]]:
        """The global preference, then one per workflow kept by the filters (a workflow with any
        of ``tags``, of one of the ``severity`` levels, critical or not as ``criticality`` asks),
        oldest workflow first: Novu's GetInboxPreferences."""
        with self._lock:
            subscriber = self._subscribers.get(subscriber_id, missing=f"Subscriber {subscriber_id} not found")
            preferences = self._by_subscriber.get(subscriber.id, _NO_CHOICES)
            answers = [self._inbox_global(preferences, channels)]
            kept = [
                workflow
                for workflow in self._workflows.list()
                if _criticality_keeps(criticality, workflow)
                and (not tags or set(tags).intersection(workflow.tags))
                and (not severity or workflow.severity in severity)
            ]
            for workflow in sorted(kept, key=lambda workflow: workflow.created_at):
                values, overrides, _ = self._workflow_channels(preferences, workflow)
                answers.append({
                    "enabled": any(values.values()),
                    "channels": values,
                    "overrides": overrides,
                    "level": "template",
                    "workflow": _inbox_workflow(workflow),
                })  # fmt: skip
            return answers

    def inbox_global(self, subscriber_id: str, *, channels: list[str]) -> dict[str, Any]:
        """``GET /v1/inbox/preferences/global``: the global preference with its schedule."""
        with self._lock:
            subscriber = self._subscribers.get(subscriber_id, missing=f"Subscriber {subscriber_id} not found")
            return self._inbox_global(self._by_subscriber.get(subscriber.id, _NO_CHOICES), channels)

    def inbox_update(
        self,
        subscriber_id: str,
        *,
        channels: list[str],
        choices: dict[str, bool],
        workflow_id: str | None = None,
        schedule: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Novu's UpdatePreferences as the inbox calls it: the subscriber first (404), then the
        workflow (404) and a critical one refused (400, naming the id as given). The answer is
        the InboxPreference after the change, global or for the workflow."""
        with self._lock:
            missing = f"Subscriber with id: {subscriber_id} is not found"
            subscriber = self._subscribers.get(subscriber_id, missing=missing)
            workflow = self.updatable_workflow(workflow_id) if workflow_id is not None else None
            self.update(subscriber_id, channels=channels, choices=choices,
                        workflow_id=workflow.id if workflow else None, schedule=schedule)  # fmt: skip
            preferences = self._by_subscriber.get(subscriber.id, _NO_CHOICES)
            if workflow is None:
                return self._inbox_global(preferences, channels)
            return self.inbox_workflow_dto(preferences, workflow)

    def updatable_workflow(self, workflow_id: str) -> Workflow:
        """The workflow a preference change names (404 when unknown, 400 when critical)."""
        workflow = self._workflow(workflow_id)
        if workflow.critical:
            raise BadRequest(f"Critical workflow with id: {workflow_id} can not be updated")
        return workflow

    def inbox_workflow_dto(self, preferences: SubscriberPreferences | None, workflow: Workflow) -> dict[str, Any]:
        values, _, _ = self._workflow_channels(preferences or _NO_CHOICES, workflow)
        return {"level": "template", "enabled": any(values.values()), "channels": values,
                "workflow": _inbox_workflow(workflow) | {"data": clone(workflow.data)}}  # fmt: skip

    def of(self, subscriber: Subscriber) -> SubscriberPreferences | None:
        """The choices ``subscriber`` made (None: none yet). Read only."""
        return self._by_subscriber.get(subscriber.id)

    def _inbox_global(self, preferences: SubscriberPreferences, channels: list[str]) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "level": "global",
            "enabled": True,
            "channels": {channel: preferences.global_choices.channels.get(channel, True) for channel in channels},
        }
        if preferences.schedule is not None:
            answer["schedule"] = clone(preferences.schedule)
        return answer

    # -- state export / import ----------------------------------------------------------

    def snapshot(self) -> list[dict[str, Any]]:
        """The choices subscribers made, one record per subscriber, by ``subscriberId`` and
        workflow ``identifier`` (what stays true when ids are re-imported elsewhere)."""
        with self._lock:
            records = []
            for record_id, preferences in self._by_subscriber.items():
                subscriber = self._subscribers.by_record_id(record_id)
                if subscriber is None:
                    continue
                workflows = []
                for workflow_id, choices in preferences.workflows.items():
                    try:
                        workflow = self._workflows.get(workflow_id)
                    except NotFound:
                        continue
                    workflows.append({"workflowId": workflow.identifier, **_choices_record(choices)})
                records.append({
                    "subscriberId": subscriber.subscriber_id,
                    "global": _choices_record(preferences.global_choices),
                    "workflows": workflows,
                } | ({"schedule": clone(preferences.schedule)} if preferences.schedule is not None else {}))  # fmt: skip
            return records

    def restore(self, records: list[dict[str, Any]] | None) -> None:
        """Replace every subscriber's choices by ``records`` (None empties the service).
        Subscribers and workflows are restored before; every record must name ones that exist,
        once per subscriber, and no choice may be kept for a critical workflow."""
        by_subscriber: dict[str, SubscriberPreferences] = {}
        with self._lock:
            for index, record in enumerate(records or []):
                where = f"preferences.{index}"
                try:
                    subscriber = self._subscribers.get(record["subscriberId"])
                except NotFound:
                    raise Conflict(f"preferences of subscriber {record['subscriberId']}, who is not among the subscribers") from None
                if subscriber.id in by_subscriber:
                    raise Conflict(f"subscriber {record['subscriberId']} has two preference records; give one")
                preferences = SubscriberPreferences(
                    global_choices=_choices(record.get("global"), f"{where}.global"),
                    schedule=clone(record.get("schedule")),
                )
                for position, entry in enumerate(record.get("workflows") or []):
                    try:
                        workflow = self._workflows.get(entry["workflowId"])
                    except NotFound:
                        raise Conflict(f"preferences of subscriber {record['subscriberId']} name workflow "
                                       f"{entry['workflowId']}, which is not among the workflows") from None  # fmt: skip
                    if workflow.critical:
                        raise Conflict(f"Workflow {workflow.identifier} is critical; subscriber {record['subscriberId']} "
                                       "cannot hold preferences for it")  # fmt: skip
                    if workflow.id in preferences.workflows:
                        raise Conflict(f"preferences of subscriber {record['subscriberId']} name workflow {workflow.identifier} twice")
                    preferences.workflows[workflow.id] = _choices(entry, f"{where}.workflows.{position}")
                by_subscriber[subscriber.id] = preferences
            self._by_subscriber = by_subscriber

    # -- helpers -------------------------------------------------------------------------

    def _workflow(self, workflow_id: str) -> Workflow:
        try:
            return self._workflows.get(workflow_id)
        except NotFound:
            raise NotFound("Workflow cannot be found", extra={"workflowId": workflow_id}) from None

    def _for(self, subscriber: Subscriber) -> SubscriberPreferences:
        return self._by_subscriber.setdefault(subscriber.id, SubscriberPreferences())

    def _forget(self, subscriber: Subscriber) -> None:
        self._by_subscriber.pop(subscriber.id, None)

    def _workflow_channels(
        self, preferences: SubscriberPreferences, workflow: Workflow
    ) -> tuple[dict[str, bool], list[dict[str, str]], datetime | None]:
        own = preferences.workflows.get(workflow.id, ChannelChoices())
        values = {channel: _choice(preferences, own.channels, workflow, channel) for channel in workflow.channels}
        overrides = [
            {"channel": channel, "source": "subscriber"}
            for channel in workflow.channels
            if not workflow.critical and channel in own.channels
        ]
        return values, overrides, own.updated_at

    def _dto(self, subscriber: Subscriber, channels: list[str], criticality: str) -> dict[str, Any]:
        preferences = self._by_subscriber.get(subscriber.id, _NO_CHOICES)
        global_values = {channel: preferences.global_choices.channels.get(channel, True) for channel in channels}
        # The global ``enabled`` is a stored flag of its own, true unless set, which no API in
        # scope sets; it does not follow the channels.
        global_dto: dict[str, Any] = {"enabled": True, "channels": global_values}
        if preferences.schedule is not None:
            global_dto["schedule"] = clone(preferences.schedule)
        workflows = []
        for workflow in self._workflows.list():
            if (criticality == "critical" and not workflow.critical) or (
                criticality == "nonCritical" and workflow.critical
            ):
                continue
            values, overrides, updated_at = self._workflow_channels(preferences, workflow)
            entry: dict[str, Any] = {
                "enabled": any(values.values()),
                "channels": values,
                "overrides": overrides,
                "workflow": workflow.info_dto(),
            }
            if updated_at is not None:
                entry["updatedAt"] = iso(updated_at)
            workflows.append(entry)
        return {"global": global_dto, "workflows": workflows}


def _criticality_keeps(criticality: str, workflow: Workflow) -> bool:
    return criticality == "all" or (criticality == "critical") == workflow.critical


def _inbox_workflow(workflow: Workflow) -> dict[str, Any]:
    """The workflow as an InboxPreference names it (severity ``none`` when it has none)."""
    return {
        "id": workflow.id,
        "identifier": workflow.identifier,
        "name": workflow.name,
        "critical": workflow.critical,
        "tags": list(workflow.tags),
        "severity": workflow.severity or "none",
    }
