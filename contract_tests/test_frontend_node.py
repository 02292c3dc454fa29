"""Novu's browser SDK, @novu/js 3.19 from the npm registry, run in Node against a mock on a free
port by ``apiUrl`` and ``socketUrl`` alone: the session, the list, a notification arriving live on
the socket after a REST trigger, read (with the unread count the socket pushes), count, archive
and preferences, each through the SDK's own calls and models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from contract_tests.frontend_js import node_missing, run_frontend_check
from mock_server.app import create_app
from mock_server.connections import server_config
from mock_server.serving import running_app
from mock_server.settings import Settings

pytestmark = pytest.mark.skipif(node_missing() is not None, reason=node_missing() or "")

KEY = "frontend-node-key"
WORKFLOW = "frontend-live"


@pytest.fixture(scope="module")
def mock() -> Iterator[tuple[str, str]]:
    settings = Settings(port=0, api_keys={KEY: "Development"}, seed=5)
    app = create_app(settings)
    environment = app.backends.environment_for_key(KEY)
    app.backends[environment.id].workflows.create(identifier=WORKFLOW, name="Frontend live", channels=["in_app"])
    with running_app(app, **server_config(settings)) as base_url:
        yield base_url, environment.identifier


def test_novu_js_works_against_the_mock_by_api_url_and_socket_url_alone(mock) -> None:
    base_url, application_identifier = mock
    subscriber_id = f"frontend-{uuid.uuid4().hex[:8]}"
    report = run_frontend_check(
        base_url, KEY, application_identifier=application_identifier, subscriber_id=subscriber_id, workflow_id=WORKFLOW
    )
    context = report.pop("context")
    failed = {step: result["error"] for step, result in report.items() if not result["ok"]}
    assert not failed, "\n\n".join(f"{step}: {error}" for step, error in failed.items())
    values = {step: result["value"] for step, result in report.items()}

    assert values["session"]["hasToken"] is True
    assert values["session"]["unreadCount"]["total"] == 0
    assert values["notifications.list.empty"] == 0
    assert values["socket.connect"] is True

    # the notification pushed on the socket, as the SDK maps Novu's stored message
    live = values["socket.notification_received"]
    assert live["transactionId"] == values["trigger"] == context["transactionId"]
    assert live["body"] == "Frontend live: live from the backend"
    assert (live["isRead"], live["isSeen"], live["channelType"]) == (False, False, "in_app")
    assert values["socket.unread_count_changed.trigger"]["total"] == 1

    # the same notification through the REST list
    assert [item["id"] for item in values["notifications.list"]] == [live["id"]]
    assert values["notifications.list"][0]["body"] == live["body"]

    assert values["notifications.read"] == {"id": live["id"], "isRead": True, "isSeen": True}
    assert values["socket.unread_count_changed.read"]["total"] == 0
    assert values["notifications.count.unread"] == 0
    assert values["notifications.count.filters"] == [1, 1, 0]  # a second one arrived, unread
    assert values["notifications.archive"] == {"id": live["id"], "isArchived": True}
    assert values["notifications.count.archived"] == 1

    workflows = {item["workflow"]: item for item in values["preferences.list"] if item["level"] == "template"}
    assert WORKFLOW in workflows and workflows[WORKFLOW]["inApp"] is True
