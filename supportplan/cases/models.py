"""Support cases: the case, its event log (what the SLA timers replay), its thread
(replies, internal notes, system changes), attachments on disk, and the rating.

Fields and single-row invariants only; every state change goes through
`supportplan.cases.services`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Greatest
from django.utils.translation import gettext_lazy as _

from supportplan.core.compiled import CompiledInsertModel
from supportplan.core.tenancy import TenantManager


class CaseState(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_ON_CUSTOMER = "waiting_on_customer", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# Cases someone still has to work on: they are in queues and count towards load.
ACTIVE_STATES = (CaseState.OPEN, CaseState.IN_PROGRESS, CaseState.WAITING_ON_CUSTOMER)
ACTIVE_STATE_VALUES = [s.value for s in ACTIVE_STATES]


class SlaState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    # Resolved before any response and before the due time: the target no longer applies.
    STOPPED = "stopped", _("Stopped")


class EventKind(models.TextChoices):
    """The case events the SLA timers replay (same codes as `supportplan.sla.domain`)."""

    CREATED = "created", _("Created")
    SEVERITY_CHANGED = "severity_changed", _("Severity changed")
    WAITING_ON_CUSTOMER = "waiting_on_customer", _("Waiting on customer")
    CUSTOMER_REPLIED = "customer_replied", _("Customer replied")
    RESUMED = "resumed", _("Resumed")
    FIRST_STAFF_RESPONSE = "first_staff_response", _("First staff response")
    STAFF_REPLIED = "staff_replied", _("Staff replied")
    RESOLVED = "resolved", _("Resolved")
    REOPENED = "reopened", _("Reopened")


class CommunicationKind(models.TextChoices):
    PUBLIC_REPLY = "public_reply", _("Reply")
    INTERNAL_NOTE = "internal_note", _("Internal note")
    SYSTEM = "system", _("Change")


class Case(CompiledInsertModel, models.Model):
    tenant = models.ForeignKey(
        "accounts.Tenant", verbose_name=_("tenant"), on_delete=models.PROTECT, related_name="cases"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="requested_cases",
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="logged_cases",
        help_text=_("Staff member who recorded the case on the customer's behalf (hotline)."),
    )
    system = models.ForeignKey(
        "accounts.RegisteredSystem",
        verbose_name=_("affected system"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    system_class = models.CharField(_("system class"), max_length=20, blank=True)
    cloud = models.CharField(_("cloud"), max_length=20, blank=True)
    product = models.CharField(_("product"), max_length=100, blank=True)
    provider = models.CharField(_("provider"), max_length=40)
    channel = models.CharField(_("channel"), max_length=40)
    im_platform = models.CharField(_("IM platform"), max_length=40, blank=True)
    severity = models.CharField(_("severity"), max_length=40)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))

    # The entitlement the case was opened under (kept even if the plan changes later).
    plan_code = models.CharField(_("plan"), max_length=40)
    catalog_version_id = models.BigIntegerField(_("catalog version"))
    subscription_id = models.BigIntegerField(_("subscription"), null=True, blank=True)

    # Routing: the tier the plan buys, the queue it currently sits in (raised by escalation).
    handler_tier = models.CharField(_("handler tier"), max_length=20)
    queue = models.CharField(_("queue"), max_length=20)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    tam = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technical account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tam_cases",
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)

    state = models.CharField(
        _("state"), max_length=24, choices=CaseState.choices, default=CaseState.OPEN
    )

    # Scope (SPEC 1.3): out-of-scope cases stay open, flagged; staff may help best effort.
    out_of_scope = models.BooleanField(_("out of scope"), default=False)
    out_of_scope_code = models.CharField(_("out-of-scope reason code"), max_length=40, blank=True)
    out_of_scope_reason = models.JSONField(_("out-of-scope reason"), default=dict, blank=True)
    out_of_scope_where = models.JSONField(_("where to go instead"), default=dict, blank=True)
    best_effort = models.BooleanField(_("best effort"), null=True, blank=True)
    best_effort_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("best effort decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    best_effort_at = models.DateTimeField(_("best effort decided at"), null=True, blank=True)

    software_code = models.CharField(_("software"), max_length=60, blank=True)
    software_name = models.CharField(_("software as given"), max_length=100, blank=True)
    software_version = models.CharField(_("software version"), max_length=60, blank=True)
    software_platform = models.CharField(_("platform"), max_length=20, blank=True)

    # SLA, denormalised from the replayed timer for fast queues and sweeps.
    sla_calendar = models.CharField(_("SLA calendar"), max_length=20, blank=True)
    first_response_target = models.DurationField(_("first-response target"), null=True)
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    sla_state = models.CharField(
        _("SLA state"), max_length=12, choices=SlaState.choices, default=SlaState.RUNNING
    )
    sla_warned = models.BooleanField(_("SLA warned"), default=False)
    sla_breached = models.BooleanField(_("SLA breached"), default=False)
    sla_escort = models.BooleanField(_("escort override applied"), default=False)
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        indexes = [
            # Agent queue: first 50 active cases by due time (NULLS LAST is PostgreSQL's
            # default for ASC, so ORDER BY first_response_due, id walks this index).
            # It covers the console's filters and SLA counts (INCLUDE), so counting the
            # active cases a page matches is an index-only scan, not ~20k scattered heap
            # pages at a million cases (issue 16: 446 ms -> tens of ms).
            models.Index(
                fields=["first_response_due", "id"],
                condition=models.Q(state__in=ACTIVE_STATE_VALUES),
                include=[
                    "queue",
                    "assignee",
                    "tenant",
                    "state",
                    "severity",
                    "provider",
                    "plan_code",
                    "sla_state",
                    "sla_breached",
                    "sla_warned",
                    "warn_at",
                ],  # fmt: skip
                name="case_queue_due",
            ),
            models.Index(
                fields=["queue", "first_response_due", "id"],
                condition=models.Q(state__in=ACTIVE_STATE_VALUES),
                name="case_queue_tier_due",
            ),
            # Sweep: running timers not yet warned / breached, by the instant they fire.
            models.Index(
                fields=["warn_at"],
                condition=models.Q(sla_state="running", sla_warned=False),
                name="case_sweep_warn",
            ),
            models.Index(
                fields=["first_response_due"],
                condition=models.Q(sla_state="running", sla_breached=False),
                name="case_sweep_breach",
            ),
            # Auto-close of resolved cases after the quiet period.
            models.Index(
                fields=["resolved_at"],
                condition=models.Q(state="resolved"),
                name="case_quiet_close",
            ),
            # Load per assignee for balancing.
            models.Index(
                fields=["assignee"],
                condition=models.Q(state__in=ACTIVE_STATE_VALUES),
                name="case_active_assignee",
            ),
            models.Index(fields=["tenant", "-created_at", "-id"], name="case_tenant_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                name="case_best_effort_only_out_of_scope",
                condition=models.Q(best_effort__isnull=True) | models.Q(out_of_scope=True),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        adding = self._state.adding
        super().save(*args, **kwargs)
        fields = kwargs.get("update_fields")
        if (
            not adding
            and fields is not None
            and not {"state", "assignee", "assignee_id"} & {*fields}
        ):
            return
        before = None if adding else getattr(self, "_counted_for", UNKNOWN)
        after = self._counter_owner()
        if before is not UNKNOWN and after is not UNKNOWN and before != after:
            move_open_case_count(before, after)  # type: ignore[arg-type]
        self._counted_for = after

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATE_VALUES

    # Routing balances handlers by `User.open_cases`, the number of active cases assigned to
    # them. The counter follows every save of a case, whoever saves it: the instance
    # remembers whose counter includes it as loaded, and a save that changes the state or
    # the assignee moves the count. (Rows changed behind the ORM's back, e.g. deleted with
    # their tenant, drift; `cases.tasks.recount_open_cases` re-derives the counters.)

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any, *, fetch_mode: Any = None) -> Case:
        instance = super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        instance._counted_for = instance._counter_owner()
        return instance

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._counted_for = self._counter_owner()

    def _counter_owner(self) -> int | None | object:
        """The handler whose counter includes this case (None: nobody; UNKNOWN if the
        state or the assignee was not loaded)."""
        loaded = self.__dict__
        if "state" not in loaded or "assignee_id" not in loaded:
            return UNKNOWN
        return loaded["assignee_id"] if loaded["state"] in ACTIVE_STATE_VALUES else None


UNKNOWN = object()


def move_open_case_count(from_id: int | None, to_id: int | None) -> None:
    """One active case less for `from_id`, one more for `to_id`, in one statement (rows are
    locked in the order of the scan, so concurrent moves cannot deadlock each other)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    if from_id is None and to_id is not None:  # a new active case: the common path, kept cheap
        users.filter(pk=to_id).update(open_cases=models.F("open_cases") + 1)
        return
    ids = [pk for pk in (from_id, to_id) if pk is not None]
    if not ids:
        return
    delta = models.Case(
        *(models.When(pk=pk, then=models.Value(-1 if pk == from_id else 1)) for pk in ids),
        default=models.Value(0),
    )
    users.filter(pk__in=ids).update(
        open_cases=Greatest(models.F("open_cases") + delta, models.Value(0))
    )


class CaseEvent(CompiledInsertModel, models.Model):
    """Append-only event log of a case; the SLA timers are replayed from it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=30, choices=EventKind.choices)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at", "id"], name="case_event_order")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("case events are append-only")
        super().save(*args, **kwargs)


class Communication(models.Model):
    """One entry of the thread. Customers never see internal notes."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="communications")
    kind = models.CharField(_("kind"), max_length=20, choices=CommunicationKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    by_staff = models.BooleanField(_("by provider staff"), default=False)
    body = models.TextField(_("text"))
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("communication")
        verbose_name_plural = _("communications")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at", "id"], name="case_thread_order")]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"

    @property
    def internal(self) -> bool:
        return self.kind == CommunicationKind.INTERNAL_NOTE


def attachment_path(instance: Attachment, filename: str) -> str:
    # Never the user's file name on disk: a random name under the tenant and case.
    return f"cases/{instance.tenant_id}/{instance.case_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file stored on disk under MEDIA_ROOT (not in the database), downloaded per tenant."""

    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.PROTECT, related_name="case_attachments"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    communication = models.ForeignKey(
        Communication,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attachments",
    )
    internal = models.BooleanField(_("internal"), default=False)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    objects = TenantManager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class Rating(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.CheckConstraint(
                name="rating_score_1_to_5", condition=models.Q(score__gte=1, score__lte=5)
            )
        ]

    def __str__(self) -> str:
        return f"{self.score}/5 for case {self.case_id}"
