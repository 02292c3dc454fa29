"""What the inbox (a subscriber's session) changes of preferences: across the preferences and
topics services, so a choice made in `<Inbox />` is the one the secret-key API answers.

Novu's rules (apps/api/src/app/inbox/usecases/update-preferences, bulk-update-preferences):
one update is the subscriber (404), the workflow (404, a critical one 400), then either the
subscriber's own preference for the workflow or, given a ``subscriptionIdentifier``, the
preference the subscription to a topic keeps for it. Only public methods of the services
change state (the state file notes which services changed through them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mock_server.errors import BadRequest, NotFound, UnprocessableEntity
from mock_server.store.workflows import Workflow

if TYPE_CHECKING:
    from mock_server.store import Backend

# The channels an inbox preference change may name (Novu's UpdatePreferencesRequestDto).
PREFERENCE_CHANNELS = ("email", "sms", "in_app", "chat", "push")
MAX_BULK_ITEMS = 100


def channel_choices(body: dict[str, Any]) -> dict[str, bool]:
    """The channels a request body sets (flat booleans, as @novu/js sends them)."""
    return {channel: body[channel] for channel in PREFERENCE_CHANNELS if isinstance(body.get(channel), bool)}


def update(
    backend: Backend,
    subscriber_id: str,
    body: dict[str, Any],
    *,
    channels: list[str],
    workflow_id: str | None = None,
    subscription_identifier: str | None = None,
    workflow: Workflow | None = None,
) -> dict[str, Any]:
    """One InboxPreference change: global (no workflow), for a workflow, or for a workflow within
    one of the subscriber's topic subscriptions."""
    with backend.lock:
        if subscription_identifier is None:
            return backend.preferences.inbox_update(
                subscriber_id,
                channels=channels,
                choices=channel_choices(body),
                workflow_id=workflow.id if workflow is not None else workflow_id,
                schedule=body.get("schedule") if workflow_id is None and workflow is None else None,
            )
        subscriber = backend.subscribers.get(subscriber_id, missing=f"Subscriber with id: {subscriber_id} is not found")
        workflow = workflow or backend.preferences.updatable_workflow(str(workflow_id))
        subscription = backend.topics.find_anywhere(subscription_identifier)
        if subscription is not None and subscription.subscriber_record_id != subscriber.id:
            subscription = None  # another subscriber's subscription is not this session's to change
        answer: dict[str, Any] = {"level": "template"}
        if subscription is None:
            # Novu then writes the subscriber's own preference for the workflow, and finds no
            # subscription preference to answer with
            backend.preferences.update(subscriber_id, channels=channels, choices=channel_choices(body),
                                       workflow_id=workflow.id)  # fmt: skip
            answer |= {"enabled": True, "subscriptionId": subscription_identifier, "channels": {}}
        else:
            stored = backend.topics.set_workflow_preference(
                subscription,
                workflow,
                enabled=body.get("enabled") if isinstance(body.get("enabled"), bool) else None,
                condition=body.get("condition"),
                channels=channel_choices(body),
            )
            answer["enabled"] = stored["enabled"]
            if "condition" in stored:
                answer["condition"] = stored["condition"]
            answer |= {"subscriptionId": subscription_identifier, "channels": stored["channels"]}
        answer["workflow"] = backend.preferences.inbox_workflow_dto(None, workflow)["workflow"]
        return answer


def bulk_update(
    backend: Backend, subscriber_id: str, items: list[dict[str, Any]], *, channels: list[str]
) -> list[dict[str, Any]]:
    """Novu's BulkUpdatePreferences, all checks before any change: the subscriber (404), none
    given (400), more than 100 (422), every workflow known (one 404 naming the unknown ones),
    none critical (400 naming their ``_id``s). A workflow named twice is changed once, with its
    last entry, answered where it first appears."""
    with backend.lock:
        backend.subscribers.get(subscriber_id, missing=f"Subscriber with id: {subscriber_id} is not found")
        if not items:
            raise BadRequest("No preferences provided for bulk update")
        if len(items) > MAX_BULK_ITEMS:
            raise UnprocessableEntity(f"preferences must contain no more than {MAX_BULK_ITEMS} elements")
        found: dict[str, Workflow | None] = {}
        for item in items:
            name = item["workflowId"]
            if name not in found:
                try:
                    found[name] = backend.workflows.get(name)
                except NotFound:
                    found[name] = None
        unknown = [item["workflowId"] for item in items if found[item["workflowId"]] is None]
        if unknown:
            raise NotFound(f"Workflows with ids: {', '.join(unknown)} not found")
        chosen: dict[str, tuple[Workflow, dict[str, Any]]] = {}
        for item in items:
            workflow = found[item["workflowId"]]
            assert workflow is not None
            chosen[workflow.id] = (workflow, item)
        critical = list(dict.fromkeys(workflow.id for workflow in found.values() if workflow and workflow.critical))
        if critical:
            raise BadRequest(f"Critical workflows with ids: {', '.join(critical)} cannot be updated")
        return [
            update(backend, subscriber_id, item, channels=channels, workflow=workflow,
                   subscription_identifier=item.get("subscriptionIdentifier"))  # fmt: skip
            for workflow, item in chosen.values()
        ]
