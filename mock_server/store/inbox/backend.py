"""The inbox service of an environment: triggers make its records; reads, changes and state
export come from its parts (``queries``, ``changes``, ``state``) over shared ``indexes``."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from sortedcontainers import SortedList

from mock_server.errors import Conflict, NotFound, UnprocessableEntity
from mock_server.store.ids import object_id
from mock_server.store.inbox.changes import InboxChanges
from mock_server.store.inbox.events import RECEIVED
from mock_server.store.inbox.queries import InboxQueries
from mock_server.store.inbox.records import Message, Notification
from mock_server.store.inbox.render import _render_data, render
from mock_server.store.inbox.state import InboxState
from mock_server.store.subscribers import PROFILE_FIELDS, Subscriber
from mock_server.store.values import clone
from mock_server.store.workflows import InAppTemplate, Workflow


class InboxBackend(InboxQueries, InboxChanges, InboxState):
    # The schema (admin document) each snapshot record is checked against on import: one
    # notification (one trigger for one subscriber) with the in-app messages it delivered.
    RECORD_SCHEMA = "InboxNotificationStateRecord"

    # -- templates ----------------------------------------------------------------------------

    def set_template(self, workflow_id: str, template: InAppTemplate) -> None:
        with self._lock:
            self._workflows.get(workflow_id).in_app = template

    def template_for(self, workflow: Workflow) -> InAppTemplate:
        return workflow.in_app or InAppTemplate(
            subject=workflow.name, body=f"{workflow.name}: {{{{payload.message}}}}"
        )

    # -- trigger ------------------------------------------------------------------------------

    def trigger_event(
        self,
        *,
        workflow_id: str,
        recipients: list[dict[str, Any]],
        payload: dict[str, Any] | None = None,
        transaction_id: str | None = None,
        tenant: Any = None,
        actor: dict[str, Any] | None = None,
    ) -> tuple[str, str]:
        """``POST /v1/events/trigger`` as Novu's API answers it: (status, transactionId).

        An unknown workflow is 422 ``workflow_not_found``. A tenant is looked up before anything
        is queued; the mock keeps no tenants, so naming one answers ``no_tenant_found`` and
        nothing happens. A ``transactionId`` used before is acknowledged as ``processed`` and
        ignored (Novu's worker drops a trigger whose transactionId has jobs already).
        """
        with self._lock:
            self._workflow_of(workflow_id)
            transaction_id = transaction_id or self.new_transaction_id()
            if tenant:
                return "no_tenant_found", transaction_id
            if transaction_id in self._transactions:
                return "processed", transaction_id
            if actor is not None:
                self._upsert(actor, self.clock(), None)
            self.trigger(
                workflow_id=workflow_id, recipients=recipients, payload=payload, transaction_id=transaction_id
            )
            return "processed", transaction_id

    def new_transaction_id(self, moment: datetime | None = None, rng: random.Random | None = None) -> str:
        """Novu's generated transaction ids: ``txn_`` and an ObjectId."""
        return f"txn_{object_id(moment or self.clock(), rng)}"

    def _workflow_of(self, workflow_id: str) -> Workflow:
        try:
            return self._workflows.get(workflow_id)
        except NotFound:
            raise UnprocessableEntity("workflow_not_found") from None

    def trigger(
        self,
        *,
        workflow_id: str,
        recipients: list[dict[str, Any]],
        payload: dict[str, Any] | None = None,
        transaction_id: str | None = None,
        at: datetime | None = None,
        rng: random.Random | None = None,
    ) -> str:
        """One notification per recipient and, where the workflow has an in-app step the
        subscriber has not turned off, one in-app message. Unknown subscribers are created."""
        payload = payload or {}
        with self._lock:
            workflow = self._workflow_of(workflow_id)
            if transaction_id is not None and transaction_id in self._transactions:
                raise Conflict(f"transactionId property is not unique: {transaction_id} was used before")
            moment = at or self.clock()
            transaction_id = transaction_id or self.new_transaction_id(moment, rng)
            self._transactions.add(transaction_id)
            self._by_transaction.setdefault(transaction_id, set())
            for recipient in _unique_recipients(recipients):
                subscriber = self._upsert(recipient, moment, rng)
                notification = Notification(
                    id=self._new_id(moment, rng),
                    environment_id=self.environment_id,
                    organization_id=self.organization_id,
                    subscriber=subscriber,
                    workflow=workflow,
                    transaction_id=transaction_id,
                    payload=clone(payload),
                    to=clone(recipient),
                    created_at=moment,
                )
                self._notifications[notification.id] = notification
                self._notifications_order.add((notification.created_at, notification.id))
                self._notifications_by_subscriber.setdefault(subscriber.id, []).append(notification.id)
                if "in_app" in workflow.channels and self._preferences.delivers(subscriber, workflow, "in_app"):
                    message = self._deliver(notification, rng)
                    self._announce(subscriber.id, RECEIVED, message.id)
            return transaction_id

    def _upsert(self, recipient: dict[str, Any], moment: datetime, rng: random.Random | None) -> Subscriber:
        """The subscriber a recipient (or actor) names, created when new; profile fields given are stored."""
        profile = {k: v for k, v in recipient.items() if k in PROFILE_FIELDS}
        try:
            subscriber = self._subscribers.get(recipient["subscriberId"])
        except NotFound:
            return self._subscribers.create(
                subscriber_id=recipient["subscriberId"], profile=profile, created_at=moment, rng=rng
            )[0]
        return self._subscribers.patch(subscriber.subscriber_id, profile) if profile else subscriber

    def _deliver(self, notification: Notification, rng: random.Random | None) -> Message:
        template = self.template_for(notification.workflow)
        subscriber = notification.subscriber
        context = {
            "payload": notification.payload,
            "subscriber": {
                "subscriberId": subscriber.subscriber_id,
                "firstName": subscriber.first_name,
                "lastName": subscriber.last_name,
                "email": subscriber.email,
                "phone": subscriber.phone,
                "data": subscriber.data or {},
            },
        }
        actions = {
            kind: render(label, context)
            for kind, label in (("primary", template.primary_action), ("secondary", template.secondary_action))
            if label
        }
        message = Message(
            id=self._new_id(notification.created_at, rng),
            environment_id=self.environment_id,
            organization_id=self.organization_id,
            notification_id=notification.id,
            subscriber=subscriber,
            workflow=notification.workflow,
            transaction_id=notification.transaction_id,
            subject=render(template.subject, context),
            body=render(template.body, context),
            created_at=notification.created_at,
            updated_at=notification.created_at,
            payload=notification.payload,  # one copy for both records: neither changes it, answers clone it
            data=_render_data(template.data, context),
            avatar=template.avatar,
            redirect_url=render(template.redirect_url, context) if template.redirect_url else None,
            actions=actions,
            completed={kind: False for kind in actions},
        )
        self._messages[message.id] = message
        self._count_in(message)
        self._by_subscriber.setdefault(subscriber.id, SortedList()).add(message.key)
        self._by_transaction.setdefault(message.transaction_id, set()).add(message.id)
        self._messages_order.add(message.key)
        notification.message_ids.append(message.id)
        notification.in_app_sent = True
        return message


def _unique_recipients(recipients: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same subscriber named twice in ``to`` gets one notification (the last profile wins)."""
    unique: dict[str, dict[str, Any]] = {}
    for recipient in recipients:
        unique[recipient["subscriberId"]] = recipient
    return list(unique.values())
