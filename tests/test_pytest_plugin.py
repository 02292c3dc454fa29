"""The ``novu_mock`` fixture as an outside project uses it: installed through the ``pytest11``
entry point, run in a pytest of its own (``pytester.runpytest_subprocess``)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

# An application under test: it sends notifications through Novu's REST API at a configurable URL.
APP = '''
import json
import urllib.request


def notify(base_url, api_key, workflow, subscriber_id, payload):
    body = json.dumps({"name": workflow, "to": {"subscriberId": subscriber_id}, "payload": payload}).encode()
    request = urllib.request.Request(base_url + "/v1/events/trigger", data=body, method="POST")
    request.add_header("Authorization", "ApiKey " + api_key)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())


def create_subscriber(base_url, api_key, subscriber_id):
    body = json.dumps({"subscriberId": subscriber_id, "firstName": "Ada"}).encode()
    request = urllib.request.Request(base_url + "/v2/subscribers", data=body, method="POST")
    request.add_header("Authorization", "ApiKey " + api_key)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request) as answer:
        return answer.status
'''


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(app=APP)
    return pytester


def test_a_trigger_sent_by_the_code_under_test_is_seen(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_notify='''
from app import notify

def test_welcome_is_sent(novu_mock):
    notify(novu_mock.url, novu_mock.api_key, "welcome-onboarding", "user-1", {"plan": "pro"})
    (trigger,) = novu_mock.triggers("welcome-onboarding", subscriber="user-1")
    assert trigger.payload == {"plan": "pro"} and trigger.subscribers == ("user-1",)
    novu_mock.assert_triggered("welcome-onboarding", subscriber="user-1", payload={"plan": "pro"}, times=1)
    assert novu_mock.count(operation="EventsController_trigger", workflow="welcome-onboarding") == 1
    (request,) = novu_mock.requests("EventsController_trigger")
    assert request.headers["authorization"] == "[redacted]" and 200 <= request.status < 300
'''
    )
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_missing_trigger_fails_with_a_readable_message(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_notify='''
from app import notify

def test_reminder_is_sent(novu_mock):
    notify(novu_mock.url, novu_mock.api_key, "welcome-onboarding", "user-1", {})
    novu_mock.assert_triggered("invoice-ready", subscriber="user-1")
'''
    )
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "expected workflow 'invoice-ready' to subscriber 'user-1' to be triggered at least once, found 0." in output
    assert "Triggers the mock received in this test:" in output
    assert "- 'welcome-onboarding' to ['user-1'] (status 201) payload={}" in output


def test_state_is_reset_between_tests_and_environments_are_apart(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_state='''
import json, urllib.request, urllib.error
from app import create_subscriber

def get(mock, key, path):
    request = urllib.request.Request(mock.url + path, headers={"Authorization": "ApiKey " + key})
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code

def test_first_creates(novu_mock):
    assert create_subscriber(novu_mock.url, novu_mock.api_key, "only-in-first-test") == 201
    assert get(novu_mock, novu_mock.api_key, "/v2/subscribers/only-in-first-test") == 200
    assert get(novu_mock, novu_mock.other_api_key, "/v2/subscribers/only-in-first-test") == 404
    assert len(novu_mock.requests()) == 2  # the other key's request is in its own journal
    assert [r.status for r in novu_mock.requests(api_key=novu_mock.other_api_key)] == [404]

def test_second_starts_afresh(novu_mock):
    assert get(novu_mock, novu_mock.api_key, "/v2/subscribers/only-in-first-test") == 404
    assert [r.path for r in novu_mock.requests()] == ["/v2/subscribers/only-in-first-test"]
    assert novu_mock.triggers() == []
'''
    )
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_fixtures_or_empty_environments_by_marker_and_option(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_marker='''
import pytest

def seeded(mock):
    return len(mock.client.subscribers.search().result.data)

def test_seeded_by_default(novu_mock):
    assert seeded(novu_mock) > 0

@pytest.mark.novu_mock(fixtures=False)
def test_empty_by_marker(novu_mock):
    assert seeded(novu_mock) == 0

@pytest.mark.novu_mock(fixtures=True)
def test_seeded_by_marker(novu_mock):
    assert seeded(novu_mock) > 0
'''
    )
    project.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=3)
    # with --novu-mock-empty the unmarked test starts empty, and fails its assertion
    project.runpytest_subprocess("-p", "no:cacheprovider", "--novu-mock-empty").assert_outcomes(passed=2, failed=1)
