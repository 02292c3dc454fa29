"""The subscribers store's own rules, without HTTP: upserts, indexes, cursors, credentials."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from mock_server.errors import BadRequest, Conflict, NotFound
from mock_server.store import Backend, Environment
from mock_server.store.subscribers import SubscribersBackend, _searched_value, _sort_key

CHANNELS = ["in_app", "email", "sms", "chat", "push"]


@pytest.fixture
def backend() -> Backend:
    return Backend(Environment("e" * 24, "Development", "o" * 24, "key"))


def _fill(backend: Backend, count: int, *, prefix: str = "s", start: datetime | None = None) -> list[str]:
    moment = start or datetime(2026, 1, 1, tzinfo=UTC)
    ids = []
    for number in range(count):
        subscriber, created = backend.subscribers.create(
            subscriber_id=f"{prefix}{number:05d}",
            profile={"firstName": f"First{number % 7}", "lastName": f"Last{number % 5}", "email": f"{prefix}{number}@example.com"},
            created_at=moment + timedelta(seconds=number),
        )
        assert created
        ids.append(subscriber.id)
    return ids


def _walk(store: SubscribersBackend, *, limit: int, during=None, **options) -> tuple[list[str], str | None]:
    """Follow `next` cursors to the end; returns the _ids seen and the cursor of the last page's first item."""
    seen: list[str] = []
    page = store.search(limit=limit, **options)
    last_previous = None
    while True:
        seen += [s.id for s in page.items]
        if during:
            during()
        if page.next is None:
            last_previous = page.items[0].id if page.items else None
            return seen, last_previous
        page = store.search(limit=limit, after=page.next, **options)


def _walk_back(store: SubscribersBackend, *, limit: int, start: str, during=None, **options) -> list[str]:
    """From the page that ends the list, follow `previous` cursors to the start."""
    page = store.search(limit=limit, before=start, include_cursor=True, **options)
    collected: list[list[str]] = []
    while True:
        collected.insert(0, [s.id for s in page.items])
        if during:
            during()
        if page.previous is None:
            return [record_id for chunk in collected for record_id in chunk]
        page = store.search(limit=limit, before=page.previous, **options)


def test_create_is_an_upsert_unless_fail_if_exists(backend) -> None:
    first, created = backend.subscribers.create(subscriber_id="ann", profile={"firstName": "Ann", "email": "ann@example.com"})
    assert created
    again, created = backend.subscribers.create(subscriber_id="ann", profile={"lastName": "Lee"})
    assert not created and again is first
    assert (again.first_name, again.last_name, again.email) == ("Ann", "Lee", "ann@example.com")
    with pytest.raises(Conflict):
        backend.subscribers.create(subscriber_id="ann", profile={"firstName": "Other"}, fail_if_exists=True)
    assert backend.subscribers.get("ann").first_name == "Ann"


def test_patch_reindexes_search_fields(backend) -> None:
    backend.subscribers.create(subscriber_id="bob", profile={"email": "bob@old.example", "firstName": "Bob", "lastName": "Stone"})
    backend.subscribers.patch("bob", {"email": "robert@new.example", "lastName": None})
    assert [s.subscriber_id for s in backend.subscribers.search(email="robert@").items] == ["bob"]
    assert backend.subscribers.search(email="bob@").items == []
    assert backend.subscribers.search(name="stone").items == []
    assert backend.subscribers.search(name="BOB").total_count == 1
    assert backend.subscribers.get("bob").last_name is None


def test_indexes_after_many_changes_equal_indexes_built_from_scratch(backend) -> None:
    import random

    _fill(backend, 60)
    rng = random.Random(7)
    names = ["Ann", "ann", "Bo", None, "Zoë", ""]
    for _ in range(400):
        subscriber_id = f"s{rng.randrange(60):05d}"
        change = rng.choice(
            [
                {"firstName": rng.choice(names)},
                {"lastName": rng.choice(names), "email": rng.choice([None, f"x{rng.randrange(9)}@example.com"])},
                {"phone": rng.choice([None, "+15550001111"])},
                {},  # only updatedAt moves
            ]
        )
        backend.subscribers.patch(subscriber_id, change)
    store = backend.subscribers
    kept_order = {name: list(order) for name, order in store._order.items()}
    kept_text = {name: dict(index.items()) for name, index in store._text.items()}
    # what the indexes would hold if built from the records as they are now
    rebuilt_order = {name: sorted(_sort_key(s, name) for s in store._by_id.values()) for name in store._order}
    rebuilt_text = {
        name: {s.id: _searched_value(s, name) for s in store._by_id.values() if _searched_value(s, name) is not None}
        for name in store._text
    }
    assert kept_order == rebuilt_order
    assert kept_text == rebuilt_text


def test_text_filters_find_the_text_anywhere_ignoring_case_and_subscriber_id_is_exact(backend) -> None:
    # Novu's listSubscribers: email, phone and name are escaped, unanchored, case-insensitive
    # regular expressions (name over the trimmed "first last"); subscriberId is an equality.
    backend.subscribers.create(subscriber_id="u1", profile={"firstName": "Jane", "lastName": "Doe", "email": "jane@acme.io", "phone": "+14155550100"})
    backend.subscribers.create(subscriber_id="u2", profile={"firstName": "Janet", "lastName": "Dale", "email": "janet@acme.io"})
    backend.subscribers.create(subscriber_id="U3", profile={"firstName": "John", "lastName": "Doe", "email": "john@other.io"})
    backend.subscribers.create(subscriber_id="u4", profile={"lastName": "Solo", "email": "a.b+c@x.io", "phone": "(555) 0100"})
    ids = lambda **f: sorted(s.subscriber_id for s in backend.subscribers.search(limit=100, **f).items)  # noqa: E731
    assert ids(name="jan") == ["u1", "u2"]
    assert ids(name="OE") == ["U3", "u1"], "inside the last name"
    assert ids(name="jane doe") == ["u1"]
    assert ids(name="e d") == ["u1"], "across the space between the names"
    assert ids(name="solo") == ids(name="Solo") == ["u4"], "no first name: the last name, trimmed"
    assert ids(name=" solo") == [], "the full name is trimmed before the search"
    assert ids(email="ACME") == ["u1", "u2"], "inside the address, any case"
    assert ids(email="@acme.io", name="janet") == ["u2"], "several filters must all match"
    assert ids(email="b+c") == ["u4"] and ids(email="a.b") == ["u4"] and ids(email="a*b") == [], "plain text, not a pattern"
    assert ids(phone="5550100") == ["u1"], "inside the number"
    assert ids(phone="(555)") == ["u4"]
    assert ids(subscriber_id="u") == [], "subscriberId is not searched as text"
    assert ids(subscriber_id="u3") == [] and ids(subscriber_id="U3") == ["U3"], "nor in another case"
    assert ids(subscriber_id="U3", name="john") == ["U3"] and ids(subscriber_id="U3", name="jane") == []
    assert ids(email="nobody") == []
    assert ids(email="", name="") == ["U3", "u1", "u2", "u4"], "an empty filter filters nothing"
    backend.subscribers.patch("u1", {"email": None, "firstName": "Ann"})
    assert ids(email="jane@") == [] and ids(name="ann doe") == ["u1"], "changes reach the search"


def test_cursor_walk_visits_everyone_once_forward_and_backward(backend) -> None:
    originals = set(_fill(backend, 53))
    for options in ({}, {"order_direction": "ASC"}, {"order_by": "updatedAt"}, {"order_by": "updatedAt", "order_direction": "ASC"}):
        seen, last_first = _walk(backend.subscribers, limit=7, **options)
        assert len(seen) == len(set(seen)) == 53 and set(seen) == originals, options
        back = _walk_back(backend.subscribers, limit=7, start=seen[-1], **options)
        assert back == seen, f"backward walk gives the same order: {options}"


def test_cursor_walk_is_exact_while_subscribers_are_added(backend) -> None:
    originals = set(_fill(backend, 40))
    added: list[str] = []
    counter = iter(range(1000))

    def add_two() -> None:
        for _ in range(2):
            number = next(counter)
            subscriber, _ = backend.subscribers.create(subscriber_id=f"late{number}", profile={"email": f"late{number}@x.io"})
            added.append(subscriber.id)

    for direction in ("DESC", "ASC"):
        seen, _ = _walk(backend.subscribers, limit=6, during=add_two, order_direction=direction)
        assert len(seen) == len(set(seen)), "no subscriber twice"
        assert originals <= set(seen), "every subscriber that was there from the start, once"
        assert set(seen) <= originals | set(added)
        back = _walk_back(backend.subscribers, limit=6, start=seen[-1], during=add_two, order_direction=direction)
        assert len(back) == len(set(back)) and originals <= set(back)


def test_a_cursor_naming_no_subscriber_answers_an_empty_page(backend) -> None:
    # Novu's listSubscribers looks the cursor up first and, when nothing is found, answers an
    # empty page counted 0: for a deleted subscriber, another environment's, or an unknown id.
    _fill(backend, 10)
    first = backend.subscribers.search(limit=4, order_direction="ASC")
    backend.subscribers.remove(first.items[-1].subscriber_id)
    for options in ({}, {"order_by": "updatedAt"}, {"order_by": "email"}, {"email": "s"}):
        for side in ("after", "before"):
            for cursor in (first.next, "0" * 24):
                page = backend.subscribers.search(limit=100, **{side: cursor}, **options)
                assert (page.items, page.next, page.previous) == ([], None, None), (side, options)
                assert (page.total_count, page.total_count_capped) == (0, False)
    kept = first.items[0].id
    assert backend.subscribers.search(after=kept.upper(), order_direction="ASC").items[0].id == first.items[1].id, (
        "an ObjectId's hex digits in capitals name the same subscriber"
    )


def test_page_between_two_cursors_and_include_cursor(backend) -> None:
    ids = _fill(backend, 10)
    between = backend.subscribers.search(after=ids[2], before=ids[6], order_direction="ASC", limit=100)
    assert [s.id for s in between.items] == ids[3:6]
    assert between.previous == ids[3] and between.next == ids[5]
    inclusive = backend.subscribers.search(after=ids[2], include_cursor=True, order_direction="ASC", limit=2)
    assert [s.id for s in inclusive.items] == ids[2:4]
    first = backend.subscribers.search(order_direction="ASC", limit=3)
    assert first.previous is None and first.next == ids[2]
    last = backend.subscribers.search(order_direction="ASC", after=ids[6], limit=10)
    assert [s.id for s in last.items] == ids[7:] and last.next is None and last.previous == ids[7]


def test_total_count_is_capped(backend) -> None:
    store = SubscribersBackend("e" * 24, "o" * 24, backend.lock, integrations=backend.integrations, total_count_cap=5)
    for number in range(8):
        store.create(subscriber_id=f"c{number}", profile={"email": f"c{number}@x.io"})
    page = store.search(limit=2)
    assert (page.total_count, page.total_count_capped) == (5, True)
    narrow = store.search(email="c1@")
    assert (narrow.total_count, narrow.total_count_capped) == (1, False)


def test_v1_pages_in_creation_order(backend) -> None:
    _fill(backend, 7)
    subscribers, total, more = backend.subscribers.page(page=1, limit=3)
    assert [s.subscriber_id for s in subscribers] == ["s00003", "s00004", "s00005"] and total == 7 and more
    subscribers, _, more = backend.subscribers.page(page=2, limit=3)
    assert [s.subscriber_id for s in subscribers] == ["s00006"] and not more
    assert backend.subscribers.page(page=9, limit=3)[0] == []


def test_bulk_create_upserts_item_by_item(backend) -> None:
    """Novu's bulkWrite of upserts: a repeat updates what the first item created."""
    backend.subscribers.create(subscriber_id="old", profile={"lastName": "Kept"})
    outcome = backend.subscribers.bulk_create(
        [{"subscriberId": "old", "firstName": "Olga"}, {"subscriberId": "new"}, {"subscriberId": "new", "firstName": "dup"}]
    )
    assert outcome.created == ["new"] and outcome.updated == ["old", "new"] and outcome.failed == []
    assert list(outcome.to_dto()) == ["updated", "created", "failed"]
    old = backend.subscribers.get("old")
    assert (old.first_name, old.last_name) == ("Olga", "Kept"), "an item sets only the fields it gives"
    assert backend.subscribers.get("new").first_name == "dup"


def _integration(backend: Backend, provider_id: str, channel: str, identifier: str, active: bool = True):
    return backend.integrations.create(provider_id=provider_id, channel=channel, identifier=identifier, active=active)


def test_credentials_put_replaces_and_patch_merges_tokens(backend) -> None:
    fcm = _integration(backend, "fcm", "push", "fcm-main")
    backend.subscribers.create(subscriber_id="dev")
    put = lambda credentials, merge=False: backend.subscribers.set_credentials(  # noqa: E731
        "dev", provider_id="fcm", credentials=credentials, merge=merge
    )
    put({"deviceTokens": ["a", "b", "a"], "title": "dropped"})
    assert backend.subscribers.get("dev").channels[0].credentials == {"deviceTokens": ["a", "b"]}
    put({"deviceTokens": ["b", "c"]}, merge=True)
    channel = backend.subscribers.get("dev").channels[0]
    assert channel.credentials["deviceTokens"] == ["a", "b", "c"]
    assert channel.integration_id == fcm.id
    assert channel.to_dto() == {"credentials": {"deviceTokens": ["a", "b", "c"]}, "_integrationId": fcm.id, "providerId": "fcm"}
    put({"deviceTokens": ["z"]})
    assert backend.subscribers.get("dev").channels[0].credentials == {"deviceTokens": ["z"]}
    put({"webhookUrl": "https://hooks.example/w"}, merge=True)
    assert backend.subscribers.get("dev").channels[0].credentials == {"deviceTokens": [], "webhookUrl": "https://hooks.example/w"}, (
        "Novu empties the tokens of an existing channel when none are given"
    )
    assert len(backend.subscribers.get("dev").channels) == 1
    with pytest.raises(BadRequest, match="Device tokens limit exceeded") as refused:
        put({"deviceTokens": [f"t{n}" for n in range(101)]})
    assert refused.value.extra == {"currentCount": 101, "limit": 100}


def test_credentials_use_the_newest_active_integration_of_the_provider(backend) -> None:
    _integration(backend, "slack", "chat", "slack-a")
    newer = _integration(backend, "slack", "chat", "slack-b")
    _integration(backend, "fcm", "push", "fcm-off", active=False)
    backend.subscribers.create(subscriber_id="x")
    with pytest.raises(BadRequest, match=r"do not have active fcm integration\.$"):
        backend.subscribers.set_credentials("x", provider_id="fcm", credentials={"deviceTokens": ["t"]})
    with pytest.raises(BadRequest, match="do not have active fcm"):
        backend.subscribers.set_credentials("x", provider_id="fcm", credentials={}, integration_identifier="slack-a")
    with pytest.raises(BadRequest, match="SubscriberId: ghost not found"):
        backend.subscribers.set_credentials("ghost", provider_id="slack", credentials={})
    chosen = backend.subscribers.set_credentials("x", provider_id="slack", credentials={"webhookUrl": "https://hooks.example/1"})
    assert chosen.channels[0].integration_id == newer.id
    backend.subscribers.delete_credentials("x", "sendgrid")
    backend.subscribers.delete_credentials("x", "no-such-provider")
    assert len(backend.subscribers.get("x").channels) == 1, "other providers: nothing to remove, no error"
    backend.subscribers.delete_credentials("x", "slack")
    assert backend.subscribers.get("x").channels == []
    with pytest.raises(NotFound, match="Subscriber not found for id ghost"):
        backend.subscribers.delete_credentials("ghost", "slack")


def test_going_offline_stamps_last_online_at(backend) -> None:
    backend.subscribers.create(subscriber_id="o")
    online = backend.subscribers.set_online("o", True)
    assert online.is_online is True and online.last_online_at is None
    moment = datetime(2026, 5, 1, tzinfo=UTC)
    offline = backend.subscribers.set_online("o", False, at=moment)
    assert offline.is_online is False and offline.last_online_at == moment


def test_removing_a_subscriber_removes_its_preferences(backend) -> None:
    backend.workflows.create(identifier="digest", name="Digest", channels=["email"])
    backend.subscribers.create(subscriber_id="p")
    backend.preferences.update("p", channels=CHANNELS, choices={"email": False}, workflow_id="digest")
    backend.subscribers.remove("p")
    with pytest.raises(NotFound):
        backend.preferences.get("p", channels=CHANNELS)
    backend.subscribers.create(subscriber_id="p")
    fresh = backend.preferences.get("p", channels=CHANNELS)
    assert fresh["workflows"][0]["channels"] == {"email": True}


def test_preference_precedence_and_criticality(backend) -> None:
    backend.workflows.create(identifier="ship", name="Shipped", channels=["email", "sms"], defaults={"sms": False})
    backend.workflows.create(identifier="reset", name="Reset", channels=["email"], critical=True)
    backend.subscribers.create(subscriber_id="q")
    get = lambda **kw: backend.preferences.get("q", channels=CHANNELS, **kw)  # noqa: E731
    assert get()["workflows"][0]["channels"] == {"email": True, "sms": False}, "workflow defaults"
    assert [w["workflow"]["identifier"] for w in get()["workflows"]] == ["ship"]
    assert [w["workflow"]["identifier"] for w in get(criticality="critical")["workflows"]] == ["reset"]
    assert len(get(criticality="all")["workflows"]) == 2

    backend.preferences.update("q", channels=CHANNELS, choices={"email": False, "sms": True})
    after_global = get(criticality="all")
    assert after_global["global"]["channels"]["email"] is False
    assert after_global["workflows"][0]["channels"] == {"email": False, "sms": True}
    assert after_global["workflows"][1]["channels"] == {"email": True}, "critical workflows always deliver"

    backend.preferences.update("q", channels=CHANNELS, choices={"email": True}, workflow_id="ship")
    ship = get()["workflows"][0]
    assert ship["channels"] == {"email": True, "sms": True}
    assert ship["overrides"] == [{"channel": "email", "source": "subscriber"}]
    with pytest.raises(BadRequest, match="Critical workflow with id: .* can not be updated"):
        backend.preferences.update("q", channels=CHANNELS, choices={"email": False}, workflow_id="reset")
    with pytest.raises(NotFound, match="Workflow cannot be found") as unknown:
        backend.preferences.update("ghost", channels=CHANNELS, choices={"email": False}, workflow_id="nope")
    assert unknown.value.extra == {"workflowId": "nope"}, "the workflow is looked up before the subscriber"


def test_what_a_trigger_delivers_is_what_the_preferences_say(backend) -> None:
    """``delivers`` (asked per trigger) agrees with the preferences answer, channel by channel."""
    backend.workflows.create(identifier="ship", name="Shipped", channels=["email", "sms", "in_app"], defaults={"sms": False})
    backend.workflows.create(identifier="reset", name="Reset", channels=["email"], critical=True)
    backend.subscribers.create(subscriber_id="d")
    subscriber = backend.subscribers.get("d")
    workflows = {workflow.identifier: workflow for workflow in backend.workflows.list()}

    def check() -> None:
        for entry in backend.preferences.get("d", channels=CHANNELS, criticality="all")["workflows"]:
            workflow = workflows[entry["workflow"]["identifier"]]
            for channel in CHANNELS:
                expected = entry["channels"].get(channel, False)
                assert backend.preferences.delivers(subscriber, workflow, channel) is expected, (workflow.identifier, channel)

    check()  # no preferences stored yet: the workflows' defaults
    backend.preferences.update("d", channels=CHANNELS, choices={"email": False, "in_app": False})
    check()
    backend.preferences.update("d", channels=CHANNELS, choices={"in_app": True, "sms": True}, workflow_id="ship")
    check()


def test_bulk_preferences_are_all_or_nothing(backend) -> None:
    ship = backend.workflows.create(identifier="ship", name="Shipped", channels=["email", "sms"])
    backend.workflows.create(identifier="reset", name="Reset", channels=["email"], critical=True)
    backend.subscribers.create(subscriber_id="r")
    with pytest.raises(BadRequest, match="Critical workflows with ids: "):
        backend.preferences.bulk_update("r", [{"workflowId": "ship", "channels": {"sms": False}}, {"workflowId": "reset", "channels": {}}])
    with pytest.raises(NotFound, match="Workflows with ids: a, b not found"):
        backend.preferences.bulk_update("r", [{"workflowId": "a", "channels": {}}, {"workflowId": "ship", "channels": {}}, {"workflowId": "b", "channels": {}}])
    with pytest.raises(BadRequest, match="No preferences provided"):
        backend.preferences.bulk_update("r", [])
    assert backend.preferences.get("r", channels=CHANNELS)["workflows"][0]["channels"]["sms"] is True
    result = backend.preferences.bulk_update(
        "r", [{"workflowId": ship.id, "channels": {"sms": False}}, {"workflowId": "ship", "channels": {"email": False}}]
    )
    assert [r["workflow"]["identifier"] for r in result] == ["ship"], "one answer per workflow"
    assert result[0]["channels"] == {"email": False, "sms": True}, "the last entry of a workflow is the one applied"


def test_store_is_safe_under_concurrent_writers(backend) -> None:
    def writer(prefix: str) -> None:
        for number in range(200):
            backend.subscribers.create(subscriber_id=f"{prefix}{number}", profile={"email": f"{prefix}{number}@x.io"})

    threads = [threading.Thread(target=writer, args=(p,)) for p in "abcd"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seen, _ = _walk(backend.subscribers, limit=50)
    assert len(seen) == len(set(seen)) == 800
    assert backend.subscribers.search(email="c1").total_count == 111  # c1, c10-c19, c100-c199


def test_any_field_orders_the_list_and_cursors_page_through_it(backend) -> None:
    subscribers = backend.subscribers
    made = {}
    for index, plan in enumerate(["pro", "free", None, "pro", "team"]):
        profile = {"data": {"plan": plan}} if plan else {}
        made[index], _ = subscribers.create(subscriber_id=f"s{index}", profile=profile)

    def order(**query) -> list[str]:
        return [s.subscriber_id for s in subscribers.search(order_direction="ASC", **query).items]

    assert order(order_by="data.plan") == ["s2", "s1", "s0", "s3", "s4"], "missing first, ties by _id"
    first = subscribers.search(order_by="data.plan", order_direction="ASC", limit=3)
    assert first.next == made[0].id and first.previous is None
    # a dotted name: the cursor's value is read as a top-level field (none, i.e. null), so only
    # subscribers without the field and with a later _id lie beyond it (s2, seen on page one)
    assert order(order_by="data.plan", after=first.next) == ["s2"]
    assert order(order_by="noSuchField") == order(order_by="_id") == ["s0", "s1", "s2", "s3", "s4"]
    assert order(order_by="noSuchField", after=made[1].id, limit=2) == ["s2", "s3"]
    subscribers.remove("s1")
    assert order(order_by="createdAt", after=made[1].id) == [], "a deleted one names nothing: an empty page"
