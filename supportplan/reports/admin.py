from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from supportplan.core import clock
from supportplan.core.errors import DomainError

from . import credentials, services
from .data import Month
from .models import DataSource, Report, ReportStatus
from .selectors import AT_RISK_WINDOW


class AtRiskFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "risk"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [("at_risk", _("At risk or overdue (not sent)"))]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        if self.value() == "at_risk":
            return queryset.exclude(status=ReportStatus.SENT).filter(
                due_at__lte=clock.now() + AT_RISK_WINDOW
            )
        return queryset


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = [
        "tenant",
        "period",
        "status",
        "state",
        "deadline",
        "risk",
        "generated_at",
        "sent_at",
        "reason",
    ]
    list_filter = [AtRiskFilter, "status", "year", "month"]
    search_fields = ["tenant__name", "tenant__slug"]
    actions = ["regenerate", "resend"]
    readonly_fields = [f.name for f in Report._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("deadline"))
    def risk(self, obj: Report) -> str:
        if obj.status == ReportStatus.SENT:
            return "—"
        now = clock.now()
        if now >= obj.due_at:
            return format_html('<b style="color:#b00">{}</b>', _("overdue"))
        if now >= obj.due_at - AT_RISK_WINDOW:
            return format_html('<b style="color:#c60">{}</b>', _("at risk"))
        return "—"

    @admin.display(description=_("not generated because"))
    def reason(self, obj: Report) -> str:
        return services.reason_text(obj.reason_code, obj.reason_detail) if obj.reason_code else ""

    @admin.action(description=_("Generate again (queued for a worker)"))
    def regenerate(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        for r in queryset.select_related("tenant"):
            try:
                services.report_enqueue(
                    tenant=r.tenant,
                    month=Month(r.year, r.month),
                    now=clock.now(),
                    actor=request.user,
                    force=True,
                )
            except DomainError as exc:  # shown to the operator, per report
                self.message_user(request, f"{r}: {exc.message}", messages.ERROR)

    @admin.action(description=_("Send again"))
    def resend(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        for r in queryset.select_related("tenant"):
            try:
                services.report_send(report=r, now=clock.now(), actor=request.user, resend=True)
            except Exception as exc:
                self.message_user(request, f"{r}: {exc}", messages.ERROR)


class DataSourceForm(forms.ModelForm):
    secret_json = forms.JSONField(
        label=_("credentials (JSON)"),
        required=False,
        help_text=_("Write-only: leave empty to keep the stored credentials. Never shown back."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = DataSource
        fields = ["tenant", "cloud_account", "kind", "settings", "enabled", "created_at"]


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    form = DataSourceForm
    list_display = ["tenant", "kind", "cloud_account", "enabled", "credentials"]
    list_filter = ["kind", "enabled"]

    @admin.display(description=_("credentials"))
    def credentials(self, obj: DataSource) -> str:
        return str(_("set")) if obj.has_secret else ""

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        secret = form.cleaned_data.get("secret_json")
        if secret:
            obj.secret_encrypted = credentials.encrypt(secret)
        super().save_model(request, obj, form, change)
