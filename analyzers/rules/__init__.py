"""The rule catalogue: one module per rule, each with its one explanation and its check."""

from __future__ import annotations

from . import (
    gj101_value_escapes_goroutine,
    gj102_value_crosses_runtime,
    gj103_value_outlives_checkout,
    gj201_runtime_used_off_owner,
    gj202_shared_global_runtime,
    gj203_runtime_returned_while_running,
    gj204_interrupt_not_cleared,
    gj205_pooled_state_leak,
    gj301_mutex_unneeded,
    gj302_mutex_insufficient,
    gj303_mutex_held_across_js_call,
    gj401_loop_runtime_escapes,
    gj402_loop_api_misuse,
    suppression,
)
from .base import Rule

MODULES = (
    gj101_value_escapes_goroutine,
    gj102_value_crosses_runtime,
    gj103_value_outlives_checkout,
    gj201_runtime_used_off_owner,
    gj202_shared_global_runtime,
    gj203_runtime_returned_while_running,
    gj204_interrupt_not_cleared,
    gj205_pooled_state_leak,
    gj301_mutex_unneeded,
    gj302_mutex_insufficient,
    gj303_mutex_held_across_js_call,
    gj401_loop_runtime_escapes,
    gj402_loop_api_misuse,
)

RULES: dict[str, Rule] = {m.RULE.id: m.RULE for m in MODULES}
RULES[suppression.RULE.id] = suppression.RULE
BY_NAME: dict[str, Rule] = {r.name: r for r in RULES.values()}


def lookup(id_or_name: str) -> Rule | None:
    key = id_or_name.strip()
    return RULES.get(key.upper()) or BY_NAME.get(key.lower())
