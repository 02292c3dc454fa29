"""The contract runner opens an inbox session so Schemathesis can test the Inbox API with a token."""

from __future__ import annotations

import httpx
import tomllib

from contract_tests.inbox_session import inbox_session, session_config
from contract_tests.runner import ContractOptions, session_operations
from mock_server.serving import running
from mock_server.settings import Settings
from mock_server.store import application_identifier

KEY = "runner-inbox-key"


def test_the_session_operations_are_the_bearer_secured_ones() -> None:
    selected = session_operations(ContractOptions("http://unused", KEY, include_tags=("Inbox",)))
    assert "InboxNotificationsController_getNotifications" in selected
    assert "InboxSessionController_sessionInitialize" not in selected  # it needs no credentials
    assert session_operations(ContractOptions("http://unused", KEY, include_tags=("Integrations",))) == []


def test_the_runner_gets_a_token_from_the_mock_and_hands_it_to_those_operations() -> None:
    with running(Settings(port=0, api_keys={KEY: "Development"}, inbox_hmac=True)) as url:
        # found without being told: the mock's own identifier (secure mode: the hash is sent)
        token, subscriber_id = inbox_session(ContractOptions(url, KEY, prefix="t-"))
        assert subscriber_id.startswith("t-inbox-")
        listed = httpx.get(f"{url}/v1/inbox/notifications", headers={"Authorization": f"Bearer {token}"})
        assert listed.status_code == 200
        assert inbox_session(ContractOptions(url, KEY, application_identifier="not-this-one")) is None
        assert inbox_session(ContractOptions(url, KEY, application_identifier=application_identifier(KEY))) is not None
    config = tomllib.loads("\n".join(session_config(["InboxNotificationsController_getNotifications"], token)))
    (operation,) = config["operations"]
    assert operation == {"include-operation-id": "InboxNotificationsController_getNotifications",
                         "headers": {"Authorization": f"Bearer {token}"}}  # fmt: skip
