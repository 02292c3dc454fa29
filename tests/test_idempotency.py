"""Kept responses for idempotency keys."""

from __future__ import annotations

from mock_server.idempotency import IdempotencyStore, Outcome
from tests.fakes import Clock


def test_first_in_flight_replay_and_other_body() -> None:
    store = IdempotencyStore(60, clock=Clock())
    assert store.begin("env", "k", b"{}")[0] is Outcome.FIRST
    assert store.begin("env", "k", b"{}")[0] is Outcome.IN_FLIGHT
    store.finish("env", "k", 201, [(b"content-type", b"application/json")], b'{"data": 1}')
    outcome, kept = store.begin("env", "k", b"{}")
    assert outcome is Outcome.REPLAY and kept.status == 201 and kept.body == b'{"data": 1}'
    assert store.begin("env", "k", b'{"other": true}')[0] is Outcome.OTHER_BODY


def test_keys_are_per_environment_and_expire() -> None:
    clock = Clock()
    store = IdempotencyStore(60, clock=clock)
    store.begin("env-a", "k", b"{}")
    store.finish("env-a", "k", 201, [], b"")
    assert store.begin("env-b", "k", b"{}")[0] is Outcome.FIRST
    clock.now += 61
    assert store.begin("env-a", "k", b"{}")[0] is Outcome.FIRST


def test_abandoned_requests_free_their_key() -> None:
    store = IdempotencyStore(60, clock=Clock())
    store.begin("env", "k", b"{}")
    store.abandon("env", "k")
    assert store.begin("env", "k", b"{}")[0] is Outcome.FIRST


def test_store_is_bounded() -> None:
    store = IdempotencyStore(60, max_entries=3, clock=Clock())
    for key in "abcde":
        store.begin("env", key, b"")
        store.finish("env", key, 200, [], b"")
    assert store.begin("env", "a", b"")[0] is Outcome.FIRST, "the oldest keys were evicted"
    assert store.begin("env", "e", b"")[0] is Outcome.REPLAY
