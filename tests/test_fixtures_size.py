"""Large fixtures (``--fixtures-size large``), scaled down: 2,000 subscribers and 500 messages.

The seeding function takes the sizes as parameters; ``large`` only picks a million and a hundred
thousand. Checked here: same seed same data, unique emails / subscriberIds / ids, the store's
rules, a bulk-loaded store answering exactly like one built record by record, and the inbox's
state counts agreeing with a walk over the messages.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from fixtures import seed_environment
from fixtures.factories import REFERENCE_TIME
from fixtures.scale import FIXTURE_SIZES, seed_scale, subscriber_records
from mock_server.cli import build_parser, settings_from
from mock_server.errors import BadRequest, Conflict, NotFound, ValidationFailed
from mock_server.settings import Settings
from mock_server.store import Backend, Backends
from mock_server.store.inbox import InboxFilter
from mock_server.store.subscriber_records import PROFILE_FIELDS

SUBSCRIBERS, MESSAGES = 2000, 500


def fresh(seed: int = 7, *, scale: bool = True) -> Backend:
    backend = next(iter(Backends({"nv-test-key": "Development"})))
    seed_environment(backend, seed=seed, index=0)
    if scale:
        seed_scale(backend, seed=seed, subscribers=SUBSCRIBERS, messages=MESSAGES, reference=REFERENCE_TIME)
    return backend


@pytest.fixture(scope="module")
def scaled() -> Backend:
    return fresh()


def all_subscribers(backend: Backend):
    return backend.subscribers.page(page=0, limit=len(backend.subscribers))[0]


def test_large_size_is_a_million_subscribers_and_a_hundred_thousand_messages():
    assert FIXTURE_SIZES["large"].subscribers == 1_000_000
    assert FIXTURE_SIZES["large"].messages == 100_000
    assert FIXTURE_SIZES["default"].subscribers == FIXTURE_SIZES["default"].messages == 0


def test_the_cli_option_reaches_the_settings_and_is_checked():
    settings = settings_from(build_parser().parse_args(["serve", "--fixtures-size", "large"]))
    assert settings.fixtures_size == "large"
    assert settings_from(build_parser().parse_args(["serve"])).fixtures_size == "default"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--fixtures-size", "huge"])
    with pytest.raises(ValueError, match="fixtures_size"):
        Settings(fixtures_size="huge")
    assert "--fixtures-size" in build_parser()._subparsers._group_actions[0].choices["serve"].format_help()


def test_same_seed_same_data_and_another_seed_other_data(scaled):
    again = fresh()
    assert again.export_state() == scaled.export_state()
    other = fresh(seed=8)
    assert [s.email for s in all_subscribers(other)] != [s.email for s in all_subscribers(scaled)]


def test_sizes_are_what_was_asked_on_top_of_the_default_fixtures(scaled):
    default = fresh(scale=False)
    assert len(scaled.subscribers) == len(default.subscribers) + SUBSCRIBERS
    default_messages = default.inbox.messages(page=0, limit=1).total
    assert scaled.inbox.messages(page=0, limit=1).total == default_messages + MESSAGES
    # the default fixtures are all still there, unchanged
    assert {s.subscriber_id for s in all_subscribers(default)} <= {s.subscriber_id for s in all_subscribers(scaled)}
    assert scaled.export_state()["integrations"] == default.export_state()["integrations"]


def test_emails_subscriber_ids_and_ids_are_unique(scaled):
    people = all_subscribers(scaled)
    emails = [s.email for s in people if s.email]
    assert len(emails) > 0.9 * len(people)
    assert len(set(emails)) == len(emails)
    assert len({s.subscriber_id for s in people}) == len(people)
    assert len({s.id for s in people}) == len(people)


def test_records_are_realistic_and_obey_the_store_rules(scaled):
    people = all_subscribers(scaled)
    locales = {s.locale for s in people}
    assert len(locales) >= 6
    assert any(s.first_name and not s.first_name.isascii() for s in people)  # Japanese names
    for subscriber in people:
        assert subscriber.created_at <= subscriber.updated_at <= REFERENCE_TIME
        assert subscriber.email is None or ("@" in subscriber.email and subscriber.email.isascii())
        assert subscriber.phone is None or subscriber.phone.startswith("+")
        # every bulk record is found through the indexes
        assert scaled.subscribers.get(subscriber.subscriber_id) is subscriber
        if subscriber.email:
            found = scaled.subscribers.search(email=subscriber.email, limit=100).items
            assert subscriber in found
    assert any(s.is_online for s in people) and any(s.is_online is False and s.last_online_at for s in people)


def test_a_few_subscribers_have_most_messages(scaled):
    counts = sorted(
        (scaled.inbox.subscriber_message_count(s.subscriber_id) for s in all_subscribers(scaled)), reverse=True
    )
    assert counts[0] >= MESSAGES // 10  # the heaviest has a tenth of the scaled messages
    assert sum(1 for count in counts if count) > 50  # and a long tail of people with a few


def test_other_environments_keep_the_default_fixtures():
    backends = Backends({"a": "Development", "b": "Production"})
    first, second = list(backends)
    seed_environment(first, seed=3, index=0)
    seed_environment(second, seed=3, index=1)
    plain = Backends({"a": "Development", "b": "Production"})
    seed_environment(list(plain)[1], seed=3, index=1)
    assert second.export_state() == list(plain)[1].export_state()


# -- bulk load == record by record ------------------------------------------------------------


def by_records(seed: int) -> tuple[Backend, Backend]:
    """Two identical environments with default fixtures; one gets the scale records by
    ``bulk_load``, the other the same records one by one through ``create`` and ``set_online``."""
    bulk, single = fresh(seed, scale=False), fresh(seed, scale=False)
    start, end = REFERENCE_TIME - timedelta(days=30), REFERENCE_TIME - timedelta(days=1)
    records = list(subscriber_records(bulk, seed=seed, count=SUBSCRIBERS, start=start, end=end))
    assert bulk.subscribers.bulk_load(records) == SUBSCRIBERS
    id_rng = random.Random(f"scale-ids:{seed}")  # as subscriber_records draws its ids
    for record in subscriber_records(single, seed=seed, count=SUBSCRIBERS, start=start, end=end):
        profile = {api: getattr(record, attribute) for api, attribute in PROFILE_FIELDS.items()}
        made, created = single.subscribers.create(
            subscriber_id=record.subscriber_id, profile=profile, created_at=record.created_at, rng=id_rng
        )
        assert created and made.id == record.id
        if record.is_online is not None:
            single.subscribers.set_online(record.subscriber_id, record.is_online, at=record.updated_at)
    return bulk, single


def walk(backend: Backend, **query) -> list[tuple]:
    """Every page of a search, following ``next`` cursors, then one page back with ``before``."""
    pages = []
    after = None
    for _ in range(400):
        page = backend.subscribers.search(after=after, **query)
        pages.append(([s.to_dto() for s in page.items], page.next, page.previous, page.total_count))
        if page.next is None:
            break
        after = page.next
    if page.previous:
        back = backend.subscribers.search(before=page.previous, **query)
        pages.append(([s.to_dto() for s in back.items], back.next, back.previous, back.total_count))
    return pages


QUERIES = [
    {"limit": 100},
    {"limit": 100, "order_by": "updatedAt"},
    {"limit": 37, "order_direction": "ASC"},
    {"limit": 100, "order_by": "updatedAt", "order_direction": "ASC", "include_cursor": True},
    {"limit": 10, "email": "ma"},
    {"limit": 10, "email": "j", "order_direction": "ASC"},
    {"limit": 10, "name": "mar"},
    {"limit": 10, "name": "M"},  # full names and last names
    {"limit": 10, "phone": "+4"},
    {"limit": 10, "email": "YAHOO"},  # anywhere in the address, any case
    {"limit": 10, "phone": "55"},
    {"limit": 5, "name": "a", "email": "a", "order_by": "updatedAt"},
]


@pytest.fixture(scope="module")
def twins() -> tuple[Backend, Backend]:
    return by_records(11)


def test_bulk_loaded_store_holds_the_same_records(twins):
    bulk, single = twins
    assert bulk.subscribers.snapshot() == single.subscribers.snapshot()


@pytest.mark.parametrize("query", QUERIES, ids=[str(q) for q in QUERIES])
def test_bulk_loaded_store_answers_searches_and_cursors_alike(twins, query):
    bulk, single = twins
    answers = walk(bulk, **query)
    assert answers == walk(single, **query)
    assert answers[0][3] > 0  # the query matches something


def test_bulk_loaded_store_finds_a_subscriber_id_exactly_alike(twins):
    bulk, single = twins
    wanted = all_subscribers(bulk)[7].subscriber_id
    for query in ({"subscriber_id": wanted}, {"subscriber_id": wanted[:-1]}, {"subscriber_id": wanted.upper()}):
        assert walk(bulk, limit=10, **query) == walk(single, limit=10, **query)
    [[found, *_]] = walk(bulk, limit=10, subscriber_id=wanted)
    assert [dto["subscriberId"] for dto in found] == [wanted]
    assert walk(bulk, limit=10, subscriber_id=wanted[:-1])[0][0] == []  # no prefix match


def test_bulk_loaded_records_change_and_leave_their_indexes_like_created_ones(monkeypatch):
    bulk, single = by_records(12)
    people = [s.subscriber_id for s in all_subscribers(bulk)][-SUBSCRIBERS:]
    moment = REFERENCE_TIME + timedelta(hours=1)
    # a PATCH is stamped with "now": the same now for both stores
    monkeypatch.setattr("mock_server.store.subscribers.now", lambda: moment + timedelta(minutes=5))
    for backend in (bulk, single):
        backend.subscribers.patch(people[5], {"email": "zz.new@example.com", "lastName": "Zyzzyva"})
        backend.subscribers.remove(people[6])
        backend.subscribers.set_online(people[7], True, at=moment)
        backend.subscribers.set_credentials(
            people[8], provider_id="fcm", credentials={"deviceTokens": ["token-1"]}, at=moment
        )
    for query in ({"limit": 10, "email": "zz"}, {"limit": 10, "name": "zyz"}, {"limit": 50, "order_by": "updatedAt"}):
        assert walk(bulk, **query) == walk(single, **query)
    assert [s.to_dto() for s in bulk.subscribers.search(email="zz").items][0]["lastName"] == "Zyzzyva"
    with pytest.raises(NotFound):
        bulk.subscribers.get(people[6])
    # the credentials went to that subscriber only, though bulk records start from one shared empty value
    assert len(bulk.subscribers.get(people[8]).channels) == 1
    assert all(not bulk.subscribers.get(p).channels for p in people[9:50])


def test_bulk_load_refuses_broken_records_and_adds_nothing():
    backend = fresh(5, scale=False)
    before = backend.subscribers.snapshot()
    start, end = REFERENCE_TIME - timedelta(days=3), REFERENCE_TIME
    records = list(subscriber_records(backend, seed=5, count=20, start=start, end=end))
    taken = all_subscribers(backend)[0].subscriber_id
    duplicate = list(records)
    duplicate[10].subscriber_id = taken
    with pytest.raises(Conflict, match="already exists"):
        backend.subscribers.bulk_load(duplicate)
    assert backend.subscribers.snapshot() == before
    records = list(subscriber_records(backend, seed=5, count=20, start=start, end=end))
    records[3].id = records[2].id
    with pytest.raises(Conflict, match="unique"):
        backend.subscribers.bulk_load(records)
    records = list(subscriber_records(backend, seed=5, count=20, start=start, end=end))
    records[4].environment_id = "another-environment"
    with pytest.raises(Conflict, match="another environment"):
        backend.subscribers.bulk_load(records)
    records = list(subscriber_records(backend, seed=5, count=20, start=start, end=end))
    records[5].updated_at = records[5].created_at - timedelta(seconds=1)
    with pytest.raises(Conflict, match="updated before"):
        backend.subscribers.bulk_load(records)
    assert backend.subscribers.snapshot() == before
    assert backend.subscribers.bulk_load(list(subscriber_records(backend, seed=5, count=20, start=start, end=end))) == 20


# -- inbox state counts == a walk over the messages --------------------------------------------

FILTERS = [
    InboxFilter(),
    InboxFilter(read=False),
    InboxFilter(read=True),
    InboxFilter(seen=False),
    InboxFilter(archived=True),
    InboxFilter(archived=False, read=False),
    InboxFilter(snoozed=True),
    InboxFilter(snoozed=False, seen=True),
    InboxFilter(severity=("high",)),
]


def walked(backend: Backend, subscriber_id: str, where: InboxFilter) -> int:
    moment = backend.inbox.clock()
    messages = backend.inbox.messages(page=0, limit=10**6, subscriber_id=subscriber_id).items
    return sum(1 for message in messages if where.matches(message, moment))


def check_counts(backend: Backend, subscriber_id: str) -> None:
    inbox = backend.inbox
    assert inbox.count(subscriber_id, FILTERS) == [walked(backend, subscriber_id, f) for f in FILTERS]
    assert inbox.unseen_count(subscriber_id) == walked(backend, subscriber_id, InboxFilter(seen=False))
    assert inbox.unseen_count(subscriber_id, seen=True, limit=3) == min(3, walked(backend, subscriber_id, InboxFilter(seen=True)))
    for read in (None, True, False):
        shown = [m for m in inbox.messages(page=0, limit=10**6, subscriber_id=subscriber_id).items
                 if not m.snoozed(inbox.clock()) and (read is None or m.read == read)]  # fmt: skip
        for page, limit in ((0, 10), (1, 7), (3, 25)):
            feed = inbox.feed(subscriber_id, page=page, limit=limit, read=read)
            assert feed.total == len(shown)
            assert feed.items == shown[page * limit : page * limit + limit]
            assert feed.has_more == (page * limit + limit < len(shown))


def test_counts_and_feed_totals_agree_with_the_messages_through_every_change():
    backend = fresh(9)
    inbox = backend.inbox
    heaviest = max(all_subscribers(backend), key=lambda s: inbox.subscriber_message_count(s.subscriber_id))
    who = heaviest.subscriber_id
    moment = REFERENCE_TIME + timedelta(days=1)
    inbox.clock = lambda: moment
    check_counts(backend, who)
    ids = [m.id for m in inbox.messages(page=0, limit=100, subscriber_id=who).items]
    inbox.mark_as(who, ids[:5], "read")
    inbox.mark_as(who, ids[2:4], "unseen")
    inbox.update(who, ids[6], "archive")
    inbox.update(who, ids[7], "snooze", until=moment + timedelta(hours=2))
    inbox.update(who, ids[8], "snooze", until=moment + timedelta(days=2))
    inbox.update(who, ids[8], "unsnooze")
    inbox.update(who, ids[9], "snooze", until=moment + timedelta(hours=1))
    with pytest.raises(ValidationFailed):  # Novu's snooze wants at least a minute ahead
        inbox.snooze(who, ids[10], moment - timedelta(hours=1), "an hour ago")
    check_counts(backend, who)
    inbox.bulk(who, "read", InboxFilter(severity=("high",)))
    inbox.bulk(who, "delete", InboxFilter(archived=True))
    inbox.delete_message(ids[11])
    inbox.mark_all(who, "seen")
    check_counts(backend, who)
    moment = REFERENCE_TIME + timedelta(days=1, hours=3)  # the snoozes ran out
    check_counts(backend, who)
    backend.import_state(backend.export_state())  # counts rebuilt from a state document
    check_counts(backend, who)
    backend.subscribers.remove(who)
    with pytest.raises(BadRequest):  # Novu's count refuses a subscriber that is not there with a 400
        inbox.count(who, FILTERS)


def test_unfiltered_v1_lists_are_slices_of_the_newest_first_order(scaled):
    inbox = scaled.inbox
    every = inbox.messages(page=0, limit=10**6).items
    assert every == sorted(every, key=lambda m: m.key, reverse=True)
    page = inbox.messages(page=3, limit=20)
    assert page.items == every[60:80] and page.total == len(every) and page.has_more
    last = inbox.messages(page=(len(every) - 1) // 20, limit=20)
    assert last.items == every[((len(every) - 1) // 20) * 20 :] and not last.has_more
    notifications = inbox.notifications(page=0, limit=10**6).items
    assert inbox.notifications(page=2, limit=15).items == notifications[30:45]
    assert notifications == sorted(notifications, key=lambda n: (n.created_at, n.id), reverse=True)


# -- through the app: the first environment only, and reset keeps the size --------------------


def test_app_with_large_size_fills_the_first_environment_and_reset_loads_it_again(monkeypatch):
    import gc

    from starlette.testclient import TestClient

    from fixtures.scale import FixtureSize
    from mock_server.app import create_app

    monkeypatch.setitem(FIXTURE_SIZES, "large", FixtureSize(300, 120))  # the real size, scaled down
    try:
        app = create_app(Settings(api_keys={"dev-key": "Development", "prod-key": "Production"}, seed=4,
                                  fixtures_size="large"))  # fmt: skip
        with TestClient(app, headers={"Authorization": "ApiKey dev-key"}) as dev, \
                TestClient(app, headers={"Authorization": "ApiKey prod-key"}) as prod:  # fmt: skip
            listed = dev.get("/v2/subscribers", params={"limit": 1}).json()["totalCount"]
            assert listed == 340
            assert prod.get("/v2/subscribers", params={"limit": 1}).json()["totalCount"] == 40
            state = dev.get("/_mock/state").json()["services"]
            person = state["subscribers"][-1]
            found = dev.get("/v2/subscribers", params={"email": person["email"]}).json()["data"]
            assert [s["subscriberId"] for s in found] == [person["subscriberId"]]
            dev.delete(f"/v2/subscribers/{person['subscriberId']}")
            reset = dev.post("/_mock/reset")
            assert reset.status_code == 200
            assert reset.json()["services"]["subscribers"] == 340
            assert reset.json()["services"]["inbox"] == len(state["inbox"])
            assert dev.get("/_mock/state").json()["services"] == state
    finally:
        gc.unfreeze()
