"""The inbox store reads one subscriber's messages without touching anyone else's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mock_server.store import Backends
from mock_server.store.inbox import InboxFilter


class Spy(dict):
    """A dict that remembers which keys were read."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.read: set[str] = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)


def backend():
    be = next(iter(Backends({"k": "Dev"})))
    be.workflows.create(identifier="w", name="W", channels=["in_app"], tags=["t"])
    return be


def test_reads_of_one_subscriber_never_touch_other_messages() -> None:
    be = backend()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for number in range(50):
        be.inbox.trigger(workflow_id="w", recipients=[{"subscriberId": "me"}], at=start + timedelta(minutes=number))
        be.inbox.trigger(
            workflow_id="w",
            recipients=[{"subscriberId": f"other-{n}"} for n in range(20)],
            at=start + timedelta(minutes=number, seconds=30),
        )
    mine = {m.id for m in be.inbox.feed("me", page=0, limit=100).items}
    assert len(mine) == 50 and len(be.inbox._messages) == 50 * 21
    spy = Spy(be.inbox._messages)
    be.inbox._messages = spy
    feed = be.inbox.feed("me", page=2, limit=10, read=False)
    unseen = be.inbox.unseen_count("me")
    listed, _ = be.inbox.inbox("me", where=InboxFilter(seen=False), limit=10, after=feed.items[0].id)
    counts = be.inbox.count("me", [InboxFilter(read=False), InboxFilter(archived=True)])
    be.inbox.mark_all("me", "seen")
    assert feed.total == 50 and unseen == 50 and len(listed) == 10 and counts == [50, 0]
    assert spy.read and spy.read <= mine


def test_subscriber_removal_takes_its_messages_and_notifications() -> None:
    be = backend()
    tx = be.inbox.trigger(workflow_id="w", recipients=[{"subscriberId": "a"}, {"subscriberId": "b"}])
    be.subscribers.remove("a")
    left = be.inbox.messages(page=0, limit=10, transaction_ids=[tx])
    assert [m.subscriber.subscriber_id for m in left.items] == ["b"]
    assert [n.subscriber.subscriber_id for n in be.inbox.notifications(page=0, limit=10).items] == ["b"]
    assert be.inbox.messages(page=0, limit=10).total == 1
