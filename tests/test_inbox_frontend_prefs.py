"""The rules of the inbox's preferences, topic subscriptions and channel routes, at the store
(mock_server/store/inbox_preferences.py, inbox_topics.py, inbox_channels.py): each one a rule of
Novu's inbox use cases, and each change visible to the secret-key API's own reads."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mock_server.errors import BadRequest, NotFound, UnprocessableEntity
from mock_server.store import Backend, Environment
from mock_server.store import inbox_channels, inbox_preferences, inbox_topics
from mock_server.store.cursor import CursorQuery

CHANNELS = ["in_app", "email", "sms", "chat", "push"]
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def backend() -> Backend:
    backend = Backend(Environment("e" * 24, "Development", "o" * 24, "key"))
    for subscriber_id in ("ada", "bob"):
        backend.subscribers.create(subscriber_id=subscriber_id, profile={"firstName": subscriber_id.title()})
    # created out of order: the inbox lists workflows oldest first
    backend.workflows.create(identifier="news", name="News", channels=["email", "in_app"], tags=["marketing"],
                             severity="low", created_at=T0 + timedelta(days=2))  # fmt: skip
    backend.workflows.create(identifier="alert", name="Alert", channels=["sms", "in_app"], tags=["security"],
                             severity="high", created_at=T0 + timedelta(days=1))  # fmt: skip
    backend.workflows.create(identifier="reset", name="Reset", channels=["email"], critical=True, created_at=T0)
    return backend


def _identifiers(answers) -> list[str]:
    return [answer["workflow"]["identifier"] for answer in answers if answer["level"] == "template"]


# -- preferences -----------------------------------------------------------------------------


def test_list_is_global_first_then_non_critical_workflows_oldest_first(backend) -> None:
    answers = backend.preferences.inbox_list("ada", channels=CHANNELS)
    assert answers[0] == {"level": "global", "enabled": True, "channels": dict.fromkeys(CHANNELS, True)}
    assert _identifiers(answers) == ["alert", "news"]
    alert = answers[1]
    assert alert["channels"] == {"sms": True, "in_app": True}
    assert alert["workflow"] == {"id": backend.workflows.get("alert").id, "identifier": "alert", "name": "Alert",
                                 "critical": False, "tags": ["security"], "severity": "high"}  # fmt: skip


@pytest.mark.parametrize(
    ("filters", "expected"),
    [({"criticality": "critical"}, ["reset"]), ({"criticality": "all"}, ["reset", "alert", "news"]),
     ({"tags": ["marketing", "nope"]}, ["news"]), ({"severity": ["high"]}, ["alert"]),
     ({"severity": ["high", "low"], "tags": ["security"]}, ["alert"]), ({"tags": ["nope"]}, [])],
)  # fmt: skip
def test_list_filters_by_tags_severity_and_criticality(backend, filters, expected) -> None:
    assert _identifiers(backend.preferences.inbox_list("ada", channels=CHANNELS, **filters)) == expected


def test_unknown_subscriber_is_404_with_each_use_cases_wording(backend) -> None:
    with pytest.raises(NotFound, match="^Subscriber ghost not found$"):
        backend.preferences.inbox_list("ghost", channels=CHANNELS)
    with pytest.raises(NotFound, match="^Subscriber with id: ghost is not found$"):
        inbox_preferences.update(backend, "ghost", {"email": False}, channels=CHANNELS)
    with pytest.raises(NotFound, match="^Subscriber with id: ghost is not found$"):
        inbox_preferences.bulk_update(backend, "ghost", [{"workflowId": "news"}], channels=CHANNELS)


def test_global_update_is_what_the_secret_key_api_reads(backend) -> None:
    schedule = {"isEnabled": True, "weeklySchedule": {"monday": {"isEnabled": True}}}
    answer = inbox_preferences.update(backend, "ada", {"email": False, "schedule": schedule}, channels=CHANNELS)
    assert answer["level"] == "global" and answer["channels"]["email"] is False and answer["schedule"] == schedule
    v2 = backend.preferences.get("ada", channels=CHANNELS)
    assert v2["global"]["channels"]["email"] is False and v2["global"]["schedule"] == schedule
    news = next(w for w in v2["workflows"] if w["workflow"]["identifier"] == "news")
    assert news["channels"]["email"] is False, "the global choice applies to workflows the subscriber left alone"
    assert backend.preferences.inbox_global("ada", channels=CHANNELS) == answer


def test_workflow_update_by_identifier_and_the_v2_change_shows_in_the_inbox(backend) -> None:
    answer = inbox_preferences.update(backend, "ada", {"in_app": False}, channels=CHANNELS, workflow_id="news")
    assert answer["level"] == "template" and answer["channels"] == {"email": True, "in_app": False}
    assert answer["workflow"]["data"] == {} and answer["enabled"] is True
    backend.preferences.update("ada", channels=CHANNELS, choices={"email": False}, workflow_id="news")
    news = backend.preferences.inbox_list("ada", channels=CHANNELS)[2]
    assert news["channels"] == {"email": False, "in_app": False} and news["enabled"] is False
    assert news["overrides"] == [{"channel": "email", "source": "subscriber"}, {"channel": "in_app", "source": "subscriber"}]


def test_workflow_update_refusals(backend) -> None:
    with pytest.raises(NotFound, match="Workflow cannot be found"):
        inbox_preferences.update(backend, "ada", {"email": False}, channels=CHANNELS, workflow_id="missing")
    critical_id = backend.workflows.get("reset").id
    with pytest.raises(BadRequest, match="^Critical workflow with id: reset can not be updated$"):
        inbox_preferences.update(backend, "ada", {"email": False}, channels=CHANNELS, workflow_id="reset")
    with pytest.raises(BadRequest, match=f"^Critical workflow with id: {critical_id} can not be updated$"):
        inbox_preferences.update(backend, "ada", {"email": False}, channels=CHANNELS, workflow_id=critical_id)


def test_bulk_checks_everything_before_changing_anything(backend) -> None:
    with pytest.raises(BadRequest, match="No preferences provided for bulk update"):
        inbox_preferences.bulk_update(backend, "ada", [], channels=CHANNELS)
    with pytest.raises(UnprocessableEntity, match="no more than 100 elements"):
        inbox_preferences.bulk_update(backend, "ada", [{"workflowId": "news"}] * 101, channels=CHANNELS)
    with pytest.raises(NotFound, match="^Workflows with ids: x, y not found$"):
        inbox_preferences.bulk_update(backend, "ada", [{"workflowId": "x", "email": False}, {"workflowId": "news"},
                                                       {"workflowId": "y"}], channels=CHANNELS)  # fmt: skip
    reset_id = backend.workflows.get("reset").id
    with pytest.raises(BadRequest, match=f"^Critical workflows with ids: {reset_id} cannot be updated$"):
        inbox_preferences.bulk_update(backend, "ada", [{"workflowId": "news", "email": False},
                                                       {"workflowId": "reset"}], channels=CHANNELS)  # fmt: skip
    assert backend.preferences.inbox_list("ada", channels=CHANNELS)[2]["channels"]["email"] is True, "nothing changed"


def test_bulk_changes_each_workflow_once_with_its_last_entry(backend) -> None:
    news_id = backend.workflows.get("news").id
    answers = inbox_preferences.bulk_update(
        backend, "ada",
        [{"workflowId": "news", "email": False}, {"workflowId": "alert", "sms": False},
         {"workflowId": news_id, "in_app": False}],
        channels=CHANNELS,
    )  # fmt: skip
    assert _identifiers(answers) == ["news", "alert"]
    assert answers[0]["channels"] == {"email": True, "in_app": False}, "the last entry for news, not the first"
    assert answers[1]["channels"] == {"sms": False, "in_app": True}


# -- topic subscriptions -------------------------------------------------------------------------


def test_create_list_get_update_delete_own_subscription(backend) -> None:
    made = inbox_topics.create_own(backend, "ada", "deals", {"identifier": "ada-deals", "name": "Deals",
                                                             "topic": {"name": "All deals"}, "preferences": ["news"]})  # fmt: skip
    assert made["identifier"] == "ada-deals" and made["name"] == "Deals" and "contextKeys" not in made
    plain = inbox_topics.create_own(backend, "bob", "other", {"identifier": "bob-other"})
    assert "preferences" not in plain, "no preferences named, none answered"
    assert [p["workflow"]["identifier"] for p in made["preferences"]] == ["news"]
    assert backend.topics.get("deals").name == "All deals", "the topic is made with its name"
    assert backend.topics.subscriber_ids("deals") == ["ada"], "a trigger to the topic reaches her"
    assert [s["identifier"] for s in inbox_topics.list_own(backend, "ada", "deals")] == ["ada-deals"]
    assert inbox_topics.list_own(backend, "bob", "deals") == [] and inbox_topics.list_own(backend, "ada", "none") == []
    assert inbox_topics.get_own(backend, "ada", "deals", "ada-deals")["id"] == made["id"]
    renamed = inbox_topics.update_own(backend, "ada", "deals", "ada-deals", {"name": "Hot deals"})
    assert renamed["name"] == "Hot deals" and "preferences" not in renamed, "no preferences named, none answered"
    replaced = inbox_topics.update_own(backend, "ada", "deals", "ada-deals", {"preferences": [{"workflowId": "alert", "enabled": False}]})
    assert [(p["workflow"]["identifier"], p["enabled"]) for p in replaced["preferences"]] == [("alert", False)]
    assert backend.topics.details_dto(backend.topics.find_subscription("deals", "ada-deals"))["name"] == "Hot deals"
    assert inbox_topics.delete_own(backend, "ada", "deals", "ada-deals") == {"success": True}
    assert backend.topics.subscriber_ids("deals") == []
    with pytest.raises(NotFound, match="^Subscription with identifier ada-deals not found$"):
        inbox_topics.delete_own(backend, "ada", "deals", "ada-deals")
    with pytest.raises(NotFound, match="^Topic with key nope not found$"):
        inbox_topics.delete_own(backend, "ada", "nope", "x")


def test_another_subscribers_subscription_is_none_of_the_sessions_business(backend) -> None:
    inbox_topics.create_own(backend, "ada", "deals", {"identifier": "ada-deals", "name": "Mine"})
    assert inbox_topics.get_own(backend, "bob", "deals", "ada-deals") is None, "204, as an unknown one"
    with pytest.raises(NotFound):
        inbox_topics.update_own(backend, "bob", "deals", "ada-deals", {"name": "Stolen"})
    with pytest.raises(NotFound):
        inbox_topics.delete_own(backend, "bob", "deals", "ada-deals")
    with pytest.raises(NotFound, match="^Topic with key nope not found$"):
        inbox_topics.get_own(backend, "ada", "nope", "x")
    assert inbox_topics.get_own(backend, "ada", "deals", "ada-deals")["name"] == "Mine"


def test_get_with_workflow_filters_answers_each_named_workflow(backend) -> None:
    inbox_topics.create_own(backend, "ada", "deals", {"identifier": "s", "preferences": [{"workflowId": "news",
                                                                                          "enabled": False}]})  # fmt: skip
    got = inbox_topics.get_own(backend, "ada", "deals", "s", workflow_ids=["news", "alert"])
    assert [(p["workflow"]["identifier"], p["enabled"]) for p in got["preferences"]] == [("alert", True), ("news", False)]
    by_tag = inbox_topics.get_own(backend, "ada", "deals", "s", tags=["security"])
    assert [p["workflow"]["identifier"] for p in by_tag["preferences"]] == ["alert"]


def test_subscription_workflow_preference_is_the_one_the_topics_api_answers(backend) -> None:
    inbox_topics.create_own(backend, "ada", "deals", {"identifier": "s", "preferences": [{"filter": {"tags": ["marketing", "security"]}}]})
    condition = {"==": [{"var": "payload.tier"}, "gold"]}
    answer = inbox_preferences.update(backend, "ada", {"enabled": False, "condition": condition, "email": False},
                                      channels=CHANNELS, workflow_id="news", subscription_identifier="s")  # fmt: skip
    assert answer["level"] == "template" and answer["subscriptionId"] == "s" and answer["enabled"] is False
    assert answer["condition"] == condition and answer["channels"] == {"email": False}
    assert answer["workflow"]["identifier"] == "news"
    details = backend.topics.details_dto(backend.topics.find_subscription("deals", "s"))
    assert [(p["workflow"]["identifier"], p["enabled"]) for p in details["preferences"]] == [("news", False), ("alert", True)]
    again = inbox_preferences.update(backend, "ada", {"sms": True}, channels=CHANNELS, workflow_id="news",
                                     subscription_identifier="s")  # fmt: skip
    assert again["enabled"] is False and again["condition"] == condition and again["channels"] == {"email": False, "sms": True}
    ada_news = backend.preferences.inbox_list("ada", channels=CHANNELS)[2]
    assert ada_news["channels"]["email"] is True, "a subscription's choice is not the subscriber's own"


def test_bulk_with_a_subscription_identifier_changes_that_subscription(backend) -> None:
    inbox_topics.create_own(backend, "ada", "deals", {"identifier": "s"})
    answers = inbox_preferences.bulk_update(backend, "ada", [{"workflowId": "alert", "subscriptionIdentifier": "s",
                                                              "enabled": False}], channels=CHANNELS)  # fmt: skip
    assert answers[0]["subscriptionId"] == "s" and answers[0]["enabled"] is False
    assert inbox_topics.get_own(backend, "ada", "deals", "s")["preferences"][0]["enabled"] is False


# -- channel connections and endpoints ---------------------------------------------------------


@pytest.fixture
def slack(backend) -> Backend:
    backend.integrations.create(provider_id="slack", channel="chat", identifier="slack-prod",
                                credentials={"clientId": "c", "secretKey": "s"})  # fmt: skip
    for subscriber_id in ("ada", "bob"):
        backend.channel_connections.create(integration_identifier="slack-prod", identifier=f"conn-{subscriber_id}",
                                           subscriber_id=subscriber_id, workspace={"id": "T1", "name": "Acme"},
                                           auth={"accessToken": "xoxb-secret"})  # fmt: skip
        backend.channel_endpoints.create(subscriber_id=subscriber_id, integration_identifier="slack-prod",
                                         identifier=f"ep-{subscriber_id}", endpoint_type="slack_user",
                                         endpoint={"userId": "U1"}, connection_identifier=f"conn-{subscriber_id}")  # fmt: skip
    return backend


def test_a_session_sees_only_its_own_connections_and_endpoints_without_secrets(slack) -> None:
    page = inbox_channels.list_connections(slack, "ada", CursorQuery())
    assert [c["identifier"] for c in page["data"]] == ["conn-ada"] and set(page) == {"data", "next", "previous"}
    assert page["data"][0]["workspace"] == {"id": "T1", "name": "Acme"} and "auth" not in page["data"][0]
    assert inbox_channels.list_connections(slack, "ada", CursorQuery(), connection_mode="shared")["data"] == []
    endpoints = inbox_channels.list_endpoints(slack, "ada", CursorQuery())
    assert endpoints["data"] == [{"identifier": "ep-ada", "type": "slack_user"}]
    assert inbox_channels.own_connection(slack, "ada", "conn-ada").identifier == "conn-ada"
    with pytest.raises(NotFound, match="^Channel connection not found: conn-bob$"):
        inbox_channels.own_connection(slack, "ada", "conn-bob")


def test_deleting_through_the_inbox_deletes_in_the_secret_key_api(slack) -> None:
    with pytest.raises(NotFound, match="^Channel endpoint not found: ep-bob$"):
        inbox_channels.delete_endpoint(slack, "ada", "ep-bob")
    inbox_channels.delete_endpoint(slack, "ada", "ep-ada")
    with pytest.raises(NotFound):
        slack.channel_endpoints.get("ep-ada")
    with pytest.raises(NotFound, match="^Channel connection not found: conn-bob$"):
        inbox_channels.delete_connection(slack, "ada", "conn-bob")
    inbox_channels.delete_connection(slack, "ada", "conn-ada")
    with pytest.raises(NotFound):
        slack.channel_connections.get("conn-ada")
    slack.channel_connections.get("conn-bob")


def test_link_is_for_telegram_integrations_only(slack) -> None:
    with pytest.raises(NotFound, match="^Integration nope not found$"):
        inbox_channels.link_endpoint(slack, "nope")
    with pytest.raises(BadRequest, match='^Provider "slack" does not support subscriber chat linking'):
        inbox_channels.link_endpoint(slack, "slack-prod")


def test_a_subscription_is_addressed_by_its_id_too_as_novu_js_does(backend) -> None:
    """@novu/js sends a subscription preference's ``subscriptionId`` (the subscription's ``_id``)
    as the subscription identifier; another subscriber's subscription is not changed."""
    made = inbox_topics.create_own(backend, "ada", "deals", {"identifier": "s", "preferences": ["news"]})
    answer = inbox_preferences.update(backend, "ada", {"enabled": False}, channels=CHANNELS, workflow_id="news",
                                      subscription_identifier=made["id"])  # fmt: skip
    assert answer["subscriptionId"] == made["id"] and answer["enabled"] is False
    assert inbox_topics.get_own(backend, "ada", "deals", "s")["preferences"][0]["enabled"] is False
    bobs = inbox_preferences.update(backend, "bob", {"enabled": True, "email": False}, channels=CHANNELS,
                                    workflow_id="news", subscription_identifier=made["id"])  # fmt: skip
    assert (bobs["enabled"], bobs["channels"]) == (True, {}), "not bob's: no subscription preference is answered"
    assert inbox_topics.get_own(backend, "ada", "deals", "s")["preferences"][0]["enabled"] is False
    assert backend.preferences.inbox_list("bob", channels=CHANNELS)[2]["channels"]["email"] is False, (
        "Novu then writes bob's own preference for the workflow"
    )


def test_ten_subscriptions_of_one_subscriber_per_topic(backend) -> None:
    """Novu's CreateSubscriptions: an eleventh subscription of one subscriber in a topic is refused
    (SUBSCRIPTION_LIMIT_EXCEEDED; the inbox answers its message as a 400). An identifier already
    there is answered as it is, not counted again."""
    for number in range(10):
        inbox_topics.create_own(backend, "ada", "deals", {"identifier": f"s{number}"})
    assert inbox_topics.create_own(backend, "ada", "deals", {"identifier": "s3"})["identifier"] == "s3"
    with pytest.raises(BadRequest, match='^Subscriber ada has reached the maximum allowed of 10 subscriptions for topic "deals"$'):
        inbox_topics.create_own(backend, "ada", "deals", {"identifier": "s10"})
    result = backend.topics.subscribe("deals", [{"identifier": "s10", "subscriberId": "ada"}, "bob"])
    assert [e["code"] for e in result["errors"]] == ["SUBSCRIPTION_LIMIT_EXCEEDED"] and result["meta"]["successful"] == 1
    assert len(inbox_topics.list_own(backend, "ada", "deals")) == 10
