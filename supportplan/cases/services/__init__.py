"""Every write on a support case: one function per transition.

Each runs in a transaction, locks the case row, appends to the case's event log (what the
SLA timers replay), writes the thread, refreshes the denormalised SLA columns from the
replayed timer, and writes an audit entry with a dotted code:

    case.opened  case.replied  case.customer_replied  case.note_added  case.severity_changed
    case.waiting_on_customer  case.resumed  case.resolved  case.reopened  case.closed
    case.rated  case.assigned  case.escalated  case.scope_flagged  case.best_effort_decided
    case.attachment_added  case.sla.warning  case.sla.breached

Audit `data` always carries case_id, tenant_id, severity, queue, assignee_id and tam_id, and
`notify` (user ids) where people must be told: notifications turn entries into messages.
All times come in as `now` / `as_of`.
"""

from __future__ import annotations

from .common import (
    DEFAULT_QUIET_PERIOD,
    SLA_FIELDS,
    _audit,
    _base_data,
    _check_now,
    _escalate,
    _escorts_of,
    _event,
    _fire_breach,
    _fire_warning,
    _locked,
    _plan_of,
    _refresh_sla,
    _reopen,
    _require_customer_or_worker,
    _require_not_closed,
    _require_plan_still_in_force,
    _require_text,
    _require_worker,
    _save,
    _set_sla_columns,
    _sla_events,
    _system_note,
    _visible,
    compute_sla,
    quiet_period,
)
from .escalation import case_assign, case_escalate, case_take
from .lifecycle import (
    _close,
    case_change_severity,
    case_close,
    case_close_quiet,
    case_rate,
    case_reopen,
    case_resolve,
    case_resume,
    case_wait_on_customer,
    close_quiet_cases,
)
from .opening import _schedule_sla_check, case_log_call, case_open
from .scope import case_decide_best_effort, case_flag_out_of_scope
from .thread import _customer_reply, case_add_note, case_customer_reply, case_reply

__all__ = [
    "DEFAULT_QUIET_PERIOD",
    "SLA_FIELDS",
    "_audit",
    "_base_data",
    "_check_now",
    "_close",
    "_customer_reply",
    "_escalate",
    "_escorts_of",
    "_event",
    "_fire_breach",
    "_fire_warning",
    "_locked",
    "_plan_of",
    "_refresh_sla",
    "_reopen",
    "_require_customer_or_worker",
    "_require_not_closed",
    "_require_plan_still_in_force",
    "_require_text",
    "_require_worker",
    "_save",
    "_schedule_sla_check",
    "_set_sla_columns",
    "_sla_events",
    "_system_note",
    "_visible",
    "case_add_note",
    "case_assign",
    "case_change_severity",
    "case_close",
    "case_close_quiet",
    "case_customer_reply",
    "case_decide_best_effort",
    "case_escalate",
    "case_flag_out_of_scope",
    "case_log_call",
    "case_open",
    "case_rate",
    "case_reopen",
    "case_reply",
    "case_resolve",
    "case_resume",
    "case_take",
    "case_wait_on_customer",
    "close_quiet_cases",
    "compute_sla",
    "quiet_period",
]
