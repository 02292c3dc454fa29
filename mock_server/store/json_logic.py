"""JSONLogic rules evaluated as Novu's server evaluates them (the json-logic-js package).

The evaluation is the ``jsonlogic-rs`` library's (a Rust implementation checked against
json-logic-js's own test suite: JavaScript's loose ``==``, truthiness and string joining).
``holds`` adds Novu's reading of the result where a rule decides yes or no: only the boolean
``true`` is a yes; any other result (a string, a number, ``null``) and any failure to
evaluate (an unknown operation, arithmetic on text) is a no, never an error.
"""

from __future__ import annotations

from typing import Any

import jsonlogic_rs


def holds(rule: Any, data: dict[str, Any]) -> bool:
    """Whether ``rule`` over ``data`` gives exactly ``true``."""
    try:
        return jsonlogic_rs.apply(rule, data) is True
    except Exception:  # noqa: BLE001 - Novu's try/catch around jsonLogic.apply: a failure is false
        return False
