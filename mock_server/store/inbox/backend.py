"""The inbox service of an environment: triggers make its records; reads, changes and state
export come from its parts (``queries``, ``changes``, ``state``) over shared ``indexes``."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from sortedcontainers import SortedList

from mock_server.errors import Conflict, NotFound, NovuError, UnprocessableEntity
from mock_server.store.ids import object_id
from mock_server.store.inbox.changes import InboxChanges
from mock_server.store.inbox.events import RECEIVED
from mock_server.store.inbox.queries import InboxQueries
from mock_server.store.inbox.records import WAIT_STEPS, Message, Notification, step_types
from mock_server.store.inbox.render import _render_data, render
from mock_server.store.inbox.state import InboxState
from mock_server.store.subscriber_records import PROFILE_FIELDS, Subscriber
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
        to: Any = None,
        recipients: list[dict[str, Any]] | None = None,
        payload: dict[str, Any] | None = None,
        transaction_id: str | None = None,
        tenant: Any = None,
        actor: Any = None,
        context: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``POST /v1/events/trigger`` as Novu's API answers it: ``{acknowledged, status,
        transactionId}``.

        The API's part (ParseEventRequest): an unknown workflow is 422 ``workflow_not_found``; a
        tenant is looked up before anything is queued, and the mock keeps no tenants, so naming
        one answers ``no_tenant_found`` and nothing happens. Then the worker's part, which the
        mock runs at once: a ``transactionId`` used before makes Novu's worker drop the trigger
        (the API has answered ``processed`` already); the contexts named are created or updated;
        the actor is created or updated (``channels`` included, see ``_upsert``; when its
        credentials are refused the worker's trigger fails: nothing is delivered and the
        transaction stays unused); ``to`` is fanned out (see ``recipients_of``).
        """
        with self._lock:
            self._workflow_of(workflow_id)
            transaction_id = transaction_id or self.new_transaction_id()
            if tenant:
                return {"acknowledged": True, "status": "no_tenant_found", "transactionId": transaction_id}
            if transaction_id not in self._transactions:
                actor_define = _define(actor) if actor else None
                if actor_define is not None:
                    try:
                        self._upsert(actor_define, self.clock(), None)
                    except NovuError:
                        return {"acknowledged": True, "status": "processed", "transactionId": transaction_id}
                topics: dict[str, list[dict[str, str]]] = {}
                if recipients is None:
                    recipients, topics = self.recipients_of(to, actor_define, workflow_id=workflow_id,
                                                            payload=payload or {})  # fmt: skip
                self.trigger(
                    workflow_id=workflow_id,
                    recipients=recipients,
                    payload=payload,
                    transaction_id=transaction_id,
                    context=context,
                    topics=topics,
                )
            return {"acknowledged": True, "status": "processed", "transactionId": transaction_id}

    def recipients_of(
        self, to: Any, actor: dict[str, Any] | None = None, *, workflow_id: str, payload: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, str]]]]:
        """Who a trigger's ``to`` reaches, as Novu's TriggerMulticast splits it: subscribers named
        directly (each once, the last mention's profile kept), then the subscribers of the topics
        named (``TopicsBackend.reach``), each once, leaving out those named directly, those in any
        topic's ``exclude`` and the actor, and those whose every subscription's preferences turn
        the workflow down for this payload. A topic that does not exist reaches nobody (Novu logs
        a warning). Also, for each subscriber reached through topics, the subscriptions it was
        reached through."""
        items = to if isinstance(to, list) else [to]
        singles: dict[str, dict[str, Any]] = {}
        topic_keys: dict[str, None] = {}
        excluded: set[str] = set()
        for item in items:
            if not item:
                continue
            if isinstance(item, dict) and item.get("type") == "Topic":
                topic_keys[item["topicKey"]] = None
                excluded.update(item.get("exclude") or ())
            elif isinstance(item, str) or item.get("subscriberId"):
                define = _define(item)
                singles[define["subscriberId"]] = define
            else:  # Novu's worker refuses the whole trigger (validateSubscriberDefine)
                return [], {}
        recipients = list(singles.values())
        topics: dict[str, list[dict[str, str]]] = {}
        if topic_keys and self._topics is not None:
            excluded.update(singles)
            if actor is not None:
                excluded.add(actor["subscriberId"])
            workflow = self._workflow_of(workflow_id)
            topics = self._topics.reach(list(topic_keys), workflow, payload, leave_out=excluded)
            recipients.extend({"subscriberId": subscriber_id} for subscriber_id in topics)
        return recipients, topics

    def broadcast(
        self,
        *,
        workflow_id: str,
        payload: dict[str, Any] | None = None,
        transaction_id: str | None = None,
        tenant: Any = None,
        actor: Any = None,
        context: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``POST /v1/events/trigger/broadcast``: the workflow for every subscriber of the
        environment (the actor included: Novu's TriggerBroadcast leaves no one out). Novu's
        TriggerEventToAll (2025-26) answers what its ParseEventRequest said, as a single trigger
        does: a tenant (the mock keeps none) is ``no_tenant_found`` and delivers nothing."""
        with self._lock:
            self._workflow_of(workflow_id)
            transaction_id = transaction_id or self.new_transaction_id()
            if tenant:
                return {"acknowledged": True, "status": "no_tenant_found", "transactionId": transaction_id}
            subscribers, _, _ = self._subscribers.page(page=0, limit=len(self._subscribers))
            everyone = [{"subscriberId": subscriber.subscriber_id} for subscriber in subscribers]
            return self.trigger_event(workflow_id=workflow_id, recipients=everyone, payload=payload,
                                      transaction_id=transaction_id, actor=actor, context=context)  # fmt: skip

    def trigger_bulk(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``POST /v1/events/trigger/bulk``: each event as a single trigger, in order; an event
        Novu refuses (an unknown workflow) answers ``status: error`` with the refusal's message
        in ``error`` (and the event's ``transactionId`` when it gave one) instead of failing the
        request (Novu's ProcessBulkTrigger)."""
        answers = []
        for event in events:
            try:
                answers.append(self.trigger_event(
                    workflow_id=event["name"], to=event.get("to"), payload=event.get("payload"),
                    transaction_id=event.get("transactionId"), tenant=event.get("tenant"),
                    actor=event.get("actor"), context=event.get("context"),
                ))  # fmt: skip
            except NovuError as error:
                message = error.message
                refused = {"acknowledged": True, "status": "error",
                           "error": message if isinstance(message, list) else [message]}  # fmt: skip
                if event.get("transactionId") is not None:
                    refused["transactionId"] = event["transactionId"]  # the event's own, as Novu echoes it
                answers.append(refused)
        return answers

    def cancel(self, transaction_id: str) -> bool:
        """``DELETE /v1/events/trigger/{transactionId}`` (Novu's CancelDelayed): the work of the
        transaction still waiting behind a delay or digest step is canceled, and the answer says
        whether there was any. Delivered messages stay; an unknown transaction, or one whose
        steps all ran (every trigger of a workflow without a delay or digest), answers false."""
        with self._lock:
            waiting = [
                notification
                for notification_id in self._notifications_by_transaction.get(transaction_id, ())
                if (notification := self._notifications.get(notification_id)) is not None
                and notification.held
                and not notification.canceled
            ]
            for notification in waiting:
                notification.canceled = True
            return bool(waiting)

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
        context: dict[str, Any] | None = None,
        topics: dict[str, list[dict[str, str]]] | None = None,
        at: datetime | None = None,
        rng: random.Random | None = None,
    ) -> str:
        """One notification per recipient and, where the workflow has an in-app step the
        subscriber has not turned off, one in-app message. Unknown subscribers are created, and
        the ``channels`` a recipient gives are stored as its credentials; a recipient whose
        credentials are refused gets no notification (Novu's worker fails that subscriber's job
        only). ``topics``: subscriberId -> the topics it was reached through, kept on its
        notification (none for the others).

        A workflow whose in-app step comes after a delay or digest step holds it: the mock runs
        no timers, so that work waits (``delayed`` in the activity) until the transaction is
        canceled. The contexts ``context`` names are created or updated, their keys kept on the
        notifications."""
        payload = payload or {}
        with self._lock:
            workflow = self._workflow_of(workflow_id)
            if transaction_id is not None and transaction_id in self._transactions:
                raise Conflict(f"transactionId property is not unique: {transaction_id} was used before")
            moment = at or self.clock()
            self._workflows.mark_triggered(workflow, moment)
            transaction_id = transaction_id or self.new_transaction_id(moment, rng)
            keys = []
            if context and self._contexts is not None:
                keys = [found.key for found in self._contexts.find_or_create(context, at=moment, rng=rng)]
            held = _holds_in_app(workflow)
            delivers_in_app = "in_app" in workflow.channels and not held
            self._transactions.add(transaction_id)
            self._by_transaction.setdefault(transaction_id, set())
            by_transaction = self._notifications_by_transaction.setdefault(transaction_id, [])
            for recipient in _unique_recipients(recipients):
                try:
                    subscriber = self._upsert(recipient, moment, rng)
                except NovuError:
                    continue
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
                    context_keys=list(keys),
                    held=held,
                    topics=[dict(topic) for topic in (topics or {}).get(recipient["subscriberId"], ())],
                )
                self._notifications[notification.id] = notification
                self._notifications_order.add((notification.created_at, notification.id))
                self._notifications_by_subscriber.setdefault(subscriber.id, []).append(notification.id)
                by_transaction.append(notification.id)
                if delivers_in_app and self._preferences.delivers(subscriber, workflow, "in_app"):
                    message = self._deliver(notification, rng)
                    self._announce(subscriber.id, RECEIVED, message.id)
            return transaction_id

    def _upsert(self, recipient: dict[str, Any], moment: datetime, rng: random.Random | None) -> Subscriber:
        """The subscriber a recipient (or actor) names, created when new; profile fields given are
        stored, and each of its ``channels`` in turn as ``PUT /v1/subscribers/{id}/credentials``
        would store it, except that device tokens are added to those the channel has (Novu's
        create-or-update-subscriber calls update-subscriber-channel with isIdempotentOperation
        false). A new subscriber is created before its credentials; an existing one gets its
        credentials before its profile (update-subscriber). The first channel refused (no active
        integration of the provider, too many device tokens) raises its NovuError: the channels
        before it stay stored."""
        profile = {k: v for k, v in recipient.items() if k in PROFILE_FIELDS}
        channels = recipient.get("channels") or []
        try:
            subscriber = self._subscribers.get(recipient["subscriberId"])
        except NotFound:
            subscriber = self._subscribers.create(
                subscriber_id=recipient["subscriberId"], profile=profile, created_at=moment, rng=rng
            )[0]
            self._store_channels(subscriber, channels, moment)
            return subscriber
        self._store_channels(subscriber, channels, moment)
        return self._subscribers.patch(subscriber.subscriber_id, profile) if profile else subscriber

    def _store_channels(self, subscriber: Subscriber, channels: list[dict[str, Any]], moment: datetime) -> None:
        for channel in channels:
            self._subscribers.set_credentials(
                subscriber.subscriber_id,
                provider_id=channel["providerId"],
                credentials=channel.get("credentials") or {},
                integration_identifier=channel.get("integrationIdentifier"),
                merge=True,
                at=moment,
            )

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
            context_keys=list(notification.context_keys),
        )
        self._messages[message.id] = message
        self._count_in(message)
        self._by_subscriber.setdefault(subscriber.id, SortedList()).add(message.key)
        self._by_transaction.setdefault(message.transaction_id, set()).add(message.id)
        self._messages_order.add(message.key)
        notification.message_ids.append(message.id)
        notification.in_app_sent = True
        return message


def _define(recipient: Any) -> dict[str, Any]:
    """A subscriberId or subscriber object as a subscriber object (a copy)."""
    return {"subscriberId": recipient} if isinstance(recipient, str) else dict(recipient)


def _holds_in_app(workflow: Workflow) -> bool:
    """Whether the workflow's in-app step comes after a delay or digest step (or, without an
    in-app step, whether it has one: its other steps wait behind it)."""
    types = step_types(workflow)
    before = types[: types.index("in_app")] if "in_app" in types else types
    return any(step in WAIT_STEPS for step in before)


def _unique_recipients(recipients: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same subscriber named twice in ``to`` gets one notification (the last profile wins)."""
    unique: dict[str, dict[str, Any]] = {}
    for recipient in recipients:
        unique[recipient["subscriberId"]] = recipient
    return list(unique.values())
