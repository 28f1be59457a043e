"""Out-of-scope flags and the best-effort decision."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from supportplan.accounts.models import User
from supportplan.core.errors import Conflict

from .. import domain, texts
from ..models import (
    Case,
)
from .common import _audit, _check_now, _locked, _plan_of, _require_worker, _system_note


@transaction.atomic
def case_flag_out_of_scope(*, actor: User, case: Case, code: str, now: datetime) -> Case:
    """Staff flag a case as outside the plan's scope (e.g. code development)."""
    case = _locked(case)
    _check_now(case, now)
    _require_worker(actor, case)
    catalog, _plan = _plan_of(case)
    decision = domain.assess_scope(catalog, "", "", "", code)
    case.out_of_scope = True
    case.out_of_scope_code = decision.code
    case.out_of_scope_reason = decision.reason.as_dict() if decision.reason else {}
    case.out_of_scope_where = decision.where_to_go.as_dict() if decision.where_to_go else {}
    case.updated_at = now
    case.save(
        update_fields=[
            "out_of_scope",
            "out_of_scope_code",
            "out_of_scope_reason",
            "out_of_scope_where",
            "updated_at",
        ]
    )
    _audit("case.scope_flagged", case, actor, now, code=decision.code, notify=[case.requester_id])
    return case


@transaction.atomic
def case_decide_best_effort(
    *, actor: User, case: Case, help: bool, now: datetime, note: str = ""
) -> Case:
    """For an out-of-scope case, staff record whether they help anyway (best effort)."""
    case = _locked(case)
    _check_now(case, now)
    _require_worker(actor, case)
    if not case.out_of_scope:
        raise Conflict("case.in_scope", _("This case is in scope; no decision is needed."))
    case.best_effort = bool(help)
    case.best_effort_by = actor
    case.best_effort_at = now
    case.updated_at = now
    case.save(update_fields=["best_effort", "best_effort_by", "best_effort_at", "updated_at"])
    _system_note(case, actor, now, texts.BEST_EFFORT, help=bool(help), note=note.strip())
    _audit("case.best_effort_decided", case, actor, now, help=bool(help), note=note.strip())
    return case
