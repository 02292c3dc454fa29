"""The checks on integration ``rules`` (Novu's getIntegrationRulesIssues), case by case."""

from __future__ import annotations

import pytest

from mock_server.store.integration_rules import has_rules, rule_issues


def test_only_objects_with_a_key_are_rules() -> None:
    assert has_rules({"==": [{"var": "context.tenant.id"}, "acme"]})
    assert not has_rules({}) and not has_rules(None) and not has_rules([{"var": "x"}]) and not has_rules("x")


@pytest.mark.parametrize(
    "rules",
    [
        {"==": [{"var": "context.tenant.id"}, "acme"]},
        {"==": [{"var": "context.tenant.data.region"}, "eu"]},
        {"==": [{"var": "subscriber.locale"}, "fr"]},
        {"!=": [{"var": "subscriber.email"}, None]},
        {"and": [{"==": [{"var": "workflow.name"}, "Order"]}, {"containsAny": [{"var": "workflow.tags"}, ["t"]]}]},
        {"or": [{"startsWith": [{"var": "subscriber.phone"}, "+33"]}, {"!": {"isEmpty": [{"var": "subscriber.lastName"}]}}]},
        {"in": ["acme", {"var": "subscriber.data"}]},
        {"<=": [1, {"var": "subscriber.data.age"}, 9]},
        {"containsAny": [{"var": "subscriber.data.tags"}, {"var": "workflow.tags"}]},
        {"notNull": [{"var": "subscriber.avatar"}]},
    ],
)  # fmt: skip
def test_rules_the_editor_writes_pass(rules) -> None:
    assert rule_issues(rules) == []


@pytest.mark.parametrize(
    ("rules", "issues"),
    [
        ({"a": 1, "b": 2}, ["Invalid integration conditions"]),
        ({"==": [{"var": "workflow.internalField"}, "x"]}, ["Value is not valid", "Value is not valid"]),
        ({"==": [{"var": "subscriber."}, "x"]}, ["Value is not valid", "Value is not valid"]),
        ({"null": [{"var": "actor.email"}]}, ["Value is not valid"]),
        ({"!": {"map": [[{"var": "subscriber.data"}], {"var": ""}], "dummy": "bypass"}},
         ["Invalid rule node with 2 keys, expected a single operator"]),
        ({"and": [{"log": {"var": "subscriber.email"}, "dummy": "bypass"}]},
         ["Invalid rule node with 2 keys, expected a single operator"]),
        ({"isEmpty": [{"var": "subscriber.email"}, 1]}, ['Invalid operation structure for operator "isEmpty"']),
        ({"in": ["", {"var": "subscriber.email"}]}, ["Value is required"]),
        ({"in": [{"var": "subscriber.email"}, []]}, ["Value is required"]),
        ({"in": [{"var": "subscriber.email"}]}, ['Invalid operation structure for operator "in"']),
        ({"containsAny": [{"var": "subscriber.data.tags"}, []]}, ["Value is required"]),
        ({"==": [{"var": "subscriber.email"}, ""]}, ["Value is required"]),
        ({"<=": [None, {"var": "subscriber.data.age"}, 9]}, ["Value is required"]),
        ({"and": [0]}, ["Invalid node structure"]),
        ({"and": [{"var": ""}]}, ["Value is not valid", "Field variable is required"]),
        ({"==": [["subscriber.email"], "x"]}, ["Invalid field reference in comparison"]),
    ],
)  # fmt: skip
def test_faulty_rules_name_each_problem_in_order(rules, issues) -> None:
    assert rule_issues(rules) == issues
