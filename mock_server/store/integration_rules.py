"""The JSONLogic ``rules`` an integration may carry, and the checks Novu runs before storing them.

Novu's newer API lets an integration hold ``rules`` (JSONLogic over the subscriber, the
context and the workflow) that choose it at send time, in place of the legacy ``conditions``.
Before storing them Novu's UpdateIntegration asks for the problems with them and refuses the
request with a 400 whose message is every problem found, joined by ``"; "``. Two passes find
them, in this order:

1. a walk over the whole tree: every object must be a single-operator node, the operator one of
   a short allowed list, and each ``var`` a field integrations may look at;
2. a structural check of the operators the conditions editor writes (operand counts, a field
   reference on the left, a value on the right).

Both passes report what they find independently, so one bad field can be reported twice. Only
non-empty objects count as rules: ``{}`` or null clear them.
"""

from __future__ import annotations

import re
from typing import Any

# Field prefixes a rule may read when it is saved, and the named fields besides them.
NAMESPACES = ("context.", "subscriber.")
VARIABLES = (
    "context.tenant.id",
    "subscriber.subscriberId",
    "subscriber.email",
    "subscriber.phone",
    "subscriber.firstName",
    "subscriber.lastName",
    "subscriber.locale",
    "subscriber.data",
    "workflow.workflowId",
    "workflow.name",
    "workflow.description",
    "workflow.tags",
    "workflow.severity",
)

LOGICAL = ("and", "or", "!")
COMPARISON = ("==", "!=", ">", "<", ">=", "<=", "in", "startsWith", "endsWith")
UNARY_STRING = ("isEmpty", "isNonEmpty")
ALLOWED_OPERATORS = frozenset(
    (*LOGICAL, *COMPARISON, *UNARY_STRING, "var", "contains", "doesNotContain", "doesNotBeginWith",
     "doesNotEndWith", "containsAny", "doesNotContainAny", "null", "notNull", "notIn")
)  # fmt: skip
# Comparisons whose right-hand side may not be missing or the empty string ...
NEEDS_VALUE = ("==", "!=", "<", ">", "<=", ">=", "startsWith", "endsWith")
# ... and those that take null there.
NULL_ALLOWED = ("==", "!=")

_INDEX = re.compile(r"\[(\d+)\]")


def has_rules(value: Any) -> bool:
    """Whether ``value`` counts as rules: an object with at least one key."""
    return isinstance(value, dict) and len(value) > 0


def rule_issues(rules: dict[str, Any]) -> list[str]:
    """Every problem with ``rules`` (non-empty), in Novu's words and order; empty when fine."""
    if len(rules) != 1:
        # JSONLogic reads only one-key objects as operations
        return ["Invalid integration conditions"]
    issues: list[str] = []
    _walk_operators(rules, issues)
    _check_node(rules, issues)
    return issues


# -- pass 1: operators and fields anywhere in the tree -----------------------------------


def _walk_operators(node: Any, issues: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk_operators(item, issues)
        return
    if not isinstance(node, dict):
        return
    if len(node) != 1:
        issues.append(f"Invalid rule node with {len(node)} keys, expected a single operator")
        return
    ((operator, value),) = node.items()
    if operator not in ALLOWED_OPERATORS:
        issues.append(f'Unsupported operator "{operator}"')
        return
    if operator == "var":
        if not _allowed_field(value if isinstance(value, str) else "", normalise=False):
            issues.append("Value is not valid")
        return
    _walk_operators(value, issues)


def _allowed_field(name: str, *, normalise: bool) -> bool:
    if not name:
        return False
    if name == "subscriber.data":
        return True
    if any(name.startswith(prefix) and len(name) > len(prefix) for prefix in NAMESPACES):
        return True
    if normalise:
        # the structural pass reads `a[0]` as `a.0` on both sides
        return _INDEX.sub(r".\1", name) in {_INDEX.sub(r".\1", known) for known in VARIABLES}
    return name in VARIABLES


# -- pass 2: the structure of the editor's operators ---------------------------------------


def _falsy(value: Any) -> bool:
    """JavaScript's falsiness of a JSON value (an empty list or object is truthy there)."""
    if value is None or value is False:
        return True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value == 0
    return isinstance(value, str) and value == ""


def _is_field_reference(value: Any) -> bool:
    return isinstance(value, dict) and "var" in value


def _check_field(field: Any, issues: list[str]) -> None:
    if _falsy(field) or not _is_field_reference(field):
        issues.append("Invalid field reference in comparison")
        return
    name = field["var"] if isinstance(field["var"], str) else ""
    if not _allowed_field(name, normalise=True):
        issues.append("Value is not valid")


def _operands(operator: str, value: Any, count: int, issues: list[str]) -> list | None:
    """The operator's operands when they are a list of ``count``; else None, the issue noted."""
    if isinstance(value, list) and len(value) == count:
        return value
    issues.append(_operation_issue(operator))
    return None


def _operation_issue(operator: str) -> str:
    return f'Invalid operation structure for operator "{operator}"'


def _check_node(node: Any, issues: list[str]) -> None:
    if _falsy(node) or not isinstance(node, (dict, list)):
        issues.append("Invalid node structure")
        return
    if isinstance(node, list):
        return  # an array's keys are its positions: no operator among them
    for key, value in node.items():
        if key in ("and", "or"):
            if not isinstance(value, list):
                issues.append(f'Invalid logical operator "{key}" structure')
                continue
            for item in value:
                _check_node(item, issues)
        elif key == "!":
            _check_node(value, issues)
        elif key == "in":
            _check_in(value, issues)
        elif key in ("containsAny", "doesNotContainAny"):
            _check_contains_any(key, value, issues)
        elif key in UNARY_STRING:
            if (operands := _operands(key, value, 1, issues)) is not None:
                _check_field(operands[0], issues)
        elif key == "<=" and isinstance(value, list) and len(value) == 3:
            low, field, high = value
            _check_field(field, issues)
            if low is None or high is None:
                issues.append("Value is required")
        elif key in COMPARISON:
            _check_comparison(key, value, issues)
        elif key == "var" and _falsy(value):
            issues.append("Field variable is required")


def _check_comparison(operator: str, value: Any, issues: list[str]) -> None:
    if (operands := _operands(operator, value, 2, issues)) is None:
        return
    field, compared = operands
    _check_field(field, issues)
    empty = compared == "" and isinstance(compared, str) and operator in NEEDS_VALUE
    null = compared is None and operator not in NULL_ALLOWED
    if empty or null:
        issues.append("Value is required")


def _check_in(value: Any, issues: list[str]) -> None:
    """``in`` is both "field in list" and "text in field" (contains), told apart by the first operand."""
    if (operands := _operands("in", value, 2, issues)) is None:
        return
    first, second = operands
    if isinstance(first, str):
        if first == "":
            issues.append("Value is required")
        if _falsy(second) or not _is_field_reference(second):
            issues.append("Invalid field reference in comparison")
    else:
        if _falsy(first) or not _is_field_reference(first):
            issues.append("Invalid field reference in comparison")
        if second is None or (isinstance(second, list) and not second):
            issues.append("Value is required")


def _check_contains_any(operator: str, value: Any, issues: list[str]) -> None:
    if (operands := _operands(operator, value, 2, issues)) is None:
        return
    field, compared = operands
    _check_field(field, issues)
    if _is_field_reference(compared):
        _check_field(compared, issues)
        return
    if compared is None or (isinstance(compared, list) and not compared):
        issues.append("Value is required")
