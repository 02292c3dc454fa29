"""novu-py drives every inbox operation against the target by ``server_url`` alone."""

from __future__ import annotations

import base64
import json
import os
import uuid
from datetime import UTC, datetime, timedelta

import novu_py
import pytest
from novu_py import Novu

from contract_tests.test_sdk import NO_RETRIES

WORKFLOW = os.environ.get("NOVU_INBOX_WORKFLOW", "comment-mention")


@pytest.fixture
def novu(target, client):
    """The SDK; the ``sdk-`` subscribers a test made are deleted when it ends."""
    with Novu(secret_key=target.api_key, server_url=target.url, retry_config=NO_RETRIES) as sdk:
        yield sdk
    while MADE:
        client.delete(f"/v2/subscribers/{MADE.pop()}")


MADE: list[str] = []


def fresh(prefix: str) -> str:
    MADE.append(f"{prefix}-{uuid.uuid4().hex[:8]}")
    return MADE[-1]


def test_sdk_inbox_round_trip(novu) -> None:
    subscriber_id = fresh("sdk-inbox")
    sent = []
    for number in range(3):
        result = novu.trigger(
            trigger_event_request_dto={
                "workflow_id": WORKFLOW,
                "to": {"subscriber_id": subscriber_id, "first_name": "Sdk"},
                "payload": {"author": "Ada", "snippet": f"note {number}", "n": number},
            }
        ).result
        assert result.acknowledged is True and result.status == "processed"
        sent.append(result.transaction_id)

    # novu-py marks the v1 feed and message calls deprecated (in favour of the v2 inbox).
    with pytest.warns(DeprecationWarning):
        feed = novu.subscribers.notifications.feed(request={"subscriber_id": subscriber_id, "limit": 10}).result
        assert feed.total_count == 3 and {item.transaction_id for item in feed.data} == set(sent)
        filtered = novu.subscribers.notifications.feed(
            request={"subscriber_id": subscriber_id, "payload": base64.b64encode(json.dumps({"n": 1}).encode()).decode()}
        ).result
        assert [item.transaction_id for item in filtered.data] == [sent[1]]
        assert novu.subscribers.notifications.unseen_count(subscriber_id=subscriber_id).result.count == 3

        first, second, third = (item.id for item in feed.data)
        marked = novu.subscribers.messages.mark_all_as(
            subscriber_id=subscriber_id, message_mark_as_request_dto={"message_id": [first], "mark_as": "seen"}
        ).result
        assert [message.seen for message in marked] == [True]
        acted = novu.subscribers.messages.update_as_seen(
            request={
                "subscriber_id": subscriber_id,
                "message_id": first,
                "type": "primary",
                "mark_message_action_as_seen_dto": {"status": "done", "payload": {"ok": True}},
            }
        ).result
        assert acted.cta.action.status == "done"
        changed = novu.subscribers.messages.mark_all(
            subscriber_id=subscriber_id, mark_all_message_as_request_dto={"mark_as": "read"}
        ).result
        assert changed == 3

    listed = novu.subscribers.notifications.list(request={"subscriber_id": subscriber_id, "limit": 10}).result
    assert listed.has_more is False and [n.id for n in listed.data] == [first, second, third]
    assert all(n.is_read for n in listed.data)
    counts = novu.subscribers.notifications.count(
        subscriber_id=subscriber_id, filters=json.dumps([{"read": True}, {"archived": True}])
    ).result
    assert [c.count for c in counts] == [3, 0]

    notifications = novu.subscribers.notifications
    assert notifications.mark_as_unread(subscriber_id=subscriber_id, notification_id=second).result.is_read is False
    assert notifications.mark_as_read(subscriber_id=subscriber_id, notification_id=second).result.is_read is True
    assert notifications.archive(subscriber_id=subscriber_id, notification_id=second).result.is_archived is True
    assert notifications.unarchive(subscriber_id=subscriber_id, notification_id=second).result.is_archived is False
    until = datetime.now(UTC) + timedelta(days=1)
    snoozed = notifications.snooze(
        request={"subscriber_id": subscriber_id, "notification_id": third, "snooze_subscriber_notification_dto": {"snooze_until": until}}
    ).result
    assert snoozed.is_snoozed is True
    assert [n.id for n in notifications.list(request={"subscriber_id": subscriber_id}).result.data] == [first, second]
    assert notifications.unsnooze(subscriber_id=subscriber_id, notification_id=third).result.is_snoozed is False
    completed = notifications.complete_action(
        request={"subscriber_id": subscriber_id, "notification_id": second, "action_type": "primary"}
    ).result
    assert completed.primary_action.is_completed is True
    reverted = notifications.revert_action(
        request={"subscriber_id": subscriber_id, "notification_id": second, "action_type": "primary"}
    ).result
    assert reverted.primary_action.is_completed is False

    notifications.mark_as_seen(subscriber_id=subscriber_id, mark_subscriber_notifications_as_seen_dto={})
    notifications.mark_all_as_read(subscriber_id=subscriber_id, update_all_subscriber_notifications_dto={})
    notifications.archive_all_read(subscriber_id=subscriber_id, update_all_subscriber_notifications_dto={})
    assert notifications.list(request={"subscriber_id": subscriber_id, "archived": False}).result.data == []
    notifications.archive_all(subscriber_id=subscriber_id, update_all_subscriber_notifications_dto={})
    notifications.delete(subscriber_id=subscriber_id, notification_id=third)
    assert [n.id for n in notifications.list(request={"subscriber_id": subscriber_id}).result.data] == [first, second]
    notifications.delete_all(subscriber_id=subscriber_id, update_all_subscriber_notifications_dto={})
    assert notifications.list(request={"subscriber_id": subscriber_id}).result.data == []


def test_sdk_messages_and_notifications(novu) -> None:
    subscriber_id = fresh("sdk-msgs")
    transaction_id = f"sdk-tx-{uuid.uuid4().hex[:8]}"
    novu.trigger(
        trigger_event_request_dto={"workflow_id": WORKFLOW, "to": [subscriber_id], "transaction_id": transaction_id}
    )
    other = novu.trigger(trigger_event_request_dto={"workflow_id": WORKFLOW, "to": subscriber_id}).result.transaction_id

    messages = novu.messages.retrieve(request={"subscriber_id": subscriber_id, "limit": 10}).result
    assert messages.total_count == 2 and {m.transaction_id for m in messages.data} == {transaction_id, other}
    by_tx = novu.messages.retrieve(request={"transaction_id": [transaction_id]}).result
    assert [m.transaction_id for m in by_tx.data] == [transaction_id]

    with pytest.warns(DeprecationWarning):  # novu-py marks the activity calls deprecated
        activity = novu.notifications.list(request={"transaction_id": transaction_id}).result
        assert [n.subscriber.subscriber_id for n in activity.data] == [subscriber_id]
        one = novu.notifications.retrieve(notification_id=activity.data[0].id).result
        assert one.transaction_id == transaction_id

    novu.messages.delete_by_transaction_id(transaction_id=transaction_id)
    left = novu.messages.retrieve(request={"subscriber_id": subscriber_id}).result
    assert [m.transaction_id for m in left.data] == [other]
    deleted = novu.messages.delete(message_id=left.data[0].id).result
    assert deleted.acknowledged is True
    assert novu.messages.retrieve(request={"subscriber_id": subscriber_id}).result.data == []

    # Novu answers an unknown workflow 422 `workflow_not_found`, an ErrorDto without the `errors`
    # novu-py expects of a 422: the SDK raises its ResponseValidationError, status and body kept.
    with pytest.raises(novu_py.models.NovuError) as missing:
        novu.trigger(trigger_event_request_dto={"workflow_id": "no-such-workflow-xyz", "to": subscriber_id})
    assert missing.value.status_code == 422 and "workflow_not_found" in missing.value.body
