"""Forms: input shape only (required, lengths, types). The rules live in the services; a
refusal comes back as a DomainError and is shown beside the field it names."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from supportplan.accounts.models import Language, Role, SystemClass, cloud_choices
from supportplan.catalog.texts import plan_list


class BaseForm(forms.Form):
    """Adds the error class to fields for the CSS and `aria-invalid` for screen readers."""

    def choice_field(self, name: str) -> forms.ChoiceField:
        """The field `name`, typed as the ChoiceField it is declared as (`self.fields` is typed
        as plain Field), so its choices can be set from data known only at request time."""
        return cast(forms.ChoiceField, self.fields[name])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        # app.js checks a file's size before it is uploaded (the service checks again).
        from supportplan.cases.attachments import max_attachment_bytes

        for field in self.fields.values():
            if isinstance(field, forms.FileField):
                field.widget.attrs.setdefault("data-max-bytes", str(max_attachment_bytes()))

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["aria-invalid"] = "true"
                widget.attrs["aria-describedby"] = f"err-{name}"


class IsoDateInput(forms.DateInput):
    """`<input type="date">` whose value is ISO 8601 in every language: the browser's picker
    reads only YYYY-MM-DD and shows it in the reader's locale itself. Without the fixed
    format Django localises the value (zh-Hans: 2026/12/16) and the field shows empty."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class IsoDateTimeInput(forms.DateTimeInput):
    """`<input type="datetime-local">`, ISO value in every language (see IsoDateInput)."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class EmailListField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        parts = [
            p.strip() for chunk in text.splitlines() for p in chunk.replace("，", ",").split(",")
        ]
        return [p for p in parts if p]

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        bad = []
        for address in value:
            try:
                validate_email(address)
            except forms.ValidationError:
                bad.append(address)
        if bad:
            raise forms.ValidationError(
                _("Not an e-mail address: %(bad)s. Put one address per line."),
                params={"bad": ", ".join(bad)},
            )


class OrganisationForm(BaseForm):
    registered_email = forms.EmailField(
        label=_("Registered e-mail"),
        help_text=_("Monthly reports and account notices go here."),
    )
    report_emails = EmailListField(
        label=_("Extra report recipients"),
        required=False,
        help_text=_("One address per line; they also receive the monthly service report."),
    )
    language = forms.ChoiceField(
        label=_("Language of e-mails and reports"), choices=Language.choices
    )


class TechnicalContactForm(BaseForm):
    technical_contact_name = forms.CharField(label=_("Name"), max_length=100)
    technical_contact_email = forms.EmailField(label=pgettext_lazy("web", "E-mail"), required=False)
    technical_contact_phone = forms.CharField(label=_("Phone"), max_length=40, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("technical_contact_email") and not data.get("technical_contact_phone"):
            raise forms.ValidationError(
                _("Give an e-mail address or a phone number so we can reach the contact.")
            )
        return data


class SystemForm(BaseForm):
    name = forms.CharField(label=_("System name"), max_length=200)
    classification = forms.ChoiceField(
        label=_("Classification"),
        choices=SystemClass.choices,
        help_text=_(
            "Severities depend on it: “core production down” needs a core production system."
        ),
    )
    cloud = forms.ChoiceField(
        label=pgettext_lazy("web", "Cloud"),
        choices=lambda: [("", "—"), *cloud_choices()],
        required=False,
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CloudAccountForm(BaseForm):
    cloud = forms.ChoiceField(label=pgettext_lazy("web", "Cloud"), choices=cloud_choices)
    account_id = forms.CharField(label=_("Account ID"), max_length=100)
    display_name = forms.CharField(label=_("Display name"), max_length=200, required=False)


class UserForm(BaseForm):
    username = forms.RegexField(
        label=_("User name"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("Use letters, digits and @ . + - _ only.")},
    )
    first_name = forms.CharField(label=_("Given name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Family name"), max_length=150, required=False)
    email = forms.EmailField(label=pgettext_lazy("web", "E-mail"))
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (Role.CUSTOMER_MEMBER.value, Role.CUSTOMER_MEMBER.label),
            (Role.CUSTOMER_ADMIN.value, Role.CUSTOMER_ADMIN.label),
        ],
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    password = forms.CharField(
        label=_("Initial password"),
        min_length=10,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("At least 10 characters; the person can change it later."),
    )


PLATFORM_CHOICES = [
    ("", _("Not about third-party software")),
    ("linux", "Linux"),
    ("windows", "Windows"),
]


class CaseOpenForm(BaseForm):
    """Built from the plan in force: only the severities, channels and IM platforms it allows.

    Severities the plan lacks are listed (disabled) with the plans that include them, so the
    customer sees at once why, instead of a refusal after typing everything.
    """

    system = forms.ChoiceField(label=_("Affected system"), required=False)
    severity = forms.ChoiceField(label=pgettext_lazy("web", "Severity"), widget=forms.RadioSelect)
    channel = forms.ChoiceField(label=_("How we work on it"))
    im_platform = forms.ChoiceField(label=pgettext_lazy("web", "IM platform"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_("What happens, since when, what you expected; name any software and version."),
    )
    product = forms.CharField(label=_("Cloud product"), max_length=100, required=False)
    software_name = forms.CharField(label=_("Third-party software"), max_length=100, required=False)
    software_version = forms.CharField(label=_("Version"), max_length=60, required=False)
    software_platform = forms.ChoiceField(
        label=_("Platform"), choices=PLATFORM_CHOICES, required=False
    )

    def __init__(self, *args: Any, catalog: Any, plan: Any, systems: Any, lang: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.catalog, self.plan = catalog, plan
        self.choice_field("system").choices = [("", _("Not about one system (general)"))] + [
            (str(s.pk), f"{s.name} · {s.get_classification_display()}") for s in systems
        ]
        self.severity_options = []
        for sev in catalog.severities:
            included = plan.includes_severity(sev.code)
            target = plan.target_for(sev.code).first_response if included else None
            self.severity_options.append(
                {
                    "severity": sev,
                    "included": included,
                    "target": target,
                    "plans": plan_list(catalog, catalog.plans_including_severity(sev.code)),
                }
            )
        # Every catalog severity is a valid choice for the form; the service refuses the ones
        # the plan lacks, with its message naming the plans (a forged POST gets the same).
        self.choice_field("severity").choices = [
            (s.code, s.name.get(lang)) for s in catalog.severities
        ]
        own = [pc for pc in plan.channels if not pc.channel.staff_logged]
        self.choice_field("channel").choices = [(pc.code, pc.name.get(lang)) for pc in own]
        platforms = [(p.code, p.name.get(lang)) for pc in own for p in pc.channel.platforms]
        self.has_im = bool(platforms)
        self.choice_field("im_platform").choices = [("", "—"), *platforms]
        self.staff_channels = [pc for pc in plan.channels if pc.channel.staff_logged]
        if own:
            self.fields["channel"].initial = own[0].code


class ReplyForm(BaseForm):
    body = forms.CharField(
        label=_("Your reply"), max_length=50000, widget=forms.Textarea(attrs={"rows": 5})
    )
    file = forms.FileField(label=_("Attach a file"), required=False)


class AttachForm(BaseForm):
    file = forms.FileField(label=_("File"))


class RateForm(BaseForm):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        coerce=int,
        choices=[(i, str(i)) for i in range(1, 6)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class StaffReplyForm(BaseForm):
    kind = forms.ChoiceField(
        label=_("Type"),
        choices=[("reply", _("Reply to the customer")), ("note", _("Internal note"))],
        widget=forms.RadioSelect,
        initial="reply",
    )
    body = forms.CharField(
        label=_("Text"), max_length=50000, widget=forms.Textarea(attrs={"rows": 5})
    )
    file = forms.FileField(label=_("Attach a file"), required=False)


class SeverityForm(BaseForm):
    severity = forms.ChoiceField(label=_("New severity"))
    reason = forms.CharField(label=_("Reason"), max_length=2000)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choice_field("severity").choices = choices


class ReasonForm(BaseForm):
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class MessageForm(BaseForm):
    message = forms.CharField(
        label=_("What do you need from the customer?"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ResolveForm(BaseForm):
    summary = forms.CharField(
        label=_("Resolution summary"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class QueueFilterForm(BaseForm):
    """All optional; unknown values are ignored rather than erroring (a stale bookmark)."""

    provider = forms.ChoiceField(label=_("Provider"), required=False)
    plan = forms.ChoiceField(label=pgettext_lazy("web", "Plan"), required=False)
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    severity = forms.ChoiceField(label=pgettext_lazy("web", "Severity"), required=False)
    tenant = forms.ChoiceField(label=_("Customer"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False)


class HotlineForm(BaseForm):
    requester = forms.ChoiceField(label=_("Caller"))
    channel = forms.ChoiceField(label=_("Line"))
    severity = forms.ChoiceField(label=pgettext_lazy("web", "Severity"))
    system = forms.ChoiceField(label=_("Affected system"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("What the caller said"), max_length=20000, widget=forms.Textarea(attrs={"rows": 4})
    )


class BookingForm(BaseForm):
    start_date = forms.DateField(
        label=_("Start date"),
        widget=IsoDateInput(),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
    )
    days = forms.IntegerField(label=_("Number of days"), min_value=1, max_value=31, required=False)
    event_kind = forms.ChoiceField(label=_("Event"), required=False)
    event_description = forms.CharField(
        label=_("What is the event?"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self, *args: Any, escort: bool, earliest: Any, min_date: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        from supportplan.bookings.models import EventKind

        self.escort = escort
        self.choice_field("event_kind").choices = [("", "—"), *EventKind.choices]
        # The picker starts at the earliest date the lead time allows (a required lead time)
        # or today (a recommended one: earlier dates are accepted with a warning).
        attrs = self.fields["start_date"].widget.attrs
        attrs["min"] = min_date.isoformat()
        attrs["data-earliest"] = earliest.isoformat()
        attrs["aria-describedby"] = "lead-time"
        if escort:
            # The escort service demands both (booking.days_required, booking.event_required):
            # the form says so, so the label never calls them optional.
            self.fields["days"].required = True
            self.fields["days"].error_messages["required"] = _(
                "Say how many whole days the escort should cover."
            )
            self.fields["event_description"].required = True
            self.fields["event_description"].error_messages["required"] = _(
                "Describe the event the escort covers (launch, promotion, migration…)."
            )
        else:
            for name in ("days", "event_kind"):
                self.fields.pop(name)


class BookingConfirmForm(BaseForm):
    team = forms.MultipleChoiceField(label=_("Team"), widget=forms.CheckboxSelectMultiple)


class BookingDeliverForm(BaseForm):
    notes = forms.CharField(
        label=_("Delivery notes"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    report = forms.FileField(label=_("Report file"), required=False)


class PurchaseForm(BaseForm):
    term = forms.ChoiceField(label=_("Billing term"), widget=forms.RadioSelect)
    count = forms.IntegerField(
        label=_("How many (months or years)"), min_value=1, max_value=36, initial=1
    )

    def __init__(self, *args: Any, terms: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = {"monthly": pgettext_lazy("web", "Monthly"), "annual": _("Annual (12 months)")}
        self.choice_field("term").choices = [(t, labels.get(t, t)) for t in terms]
        if terms:
            self.fields["term"].initial = "annual" if "annual" in terms else terms[0]


class ConfirmOrderForm(BaseForm):
    accept = forms.BooleanField(
        label=_("I accept the service agreement"),
        error_messages={"required": _("Accept the service agreement to continue.")},
    )
    # the version the customer was shown (and linked to); the service refuses an outdated one
    agreement_version = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    method = forms.ChoiceField(label=_("Payment method"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, methods: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choice_field("method").choices = methods
        if methods:
            self.fields["method"].initial = methods[0][0]


class PayOrderForm(BaseForm):
    """Pay an order left unpaid: the agreement (when not yet accepted) and the method."""

    accept = forms.BooleanField(
        label=_("I accept the service agreement"),
        required=False,
        error_messages={"required": _("Accept the service agreement to continue.")},
    )
    agreement_version = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    method = forms.ChoiceField(label=_("Payment method"), widget=forms.RadioSelect)

    def __init__(
        self, *args: Any, methods: list[tuple[str, str]], needs_agreement: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.choice_field("method").choices = methods
        if methods:
            self.fields["method"].initial = methods[0][0]
        if needs_agreement:
            self.fields["accept"].required = True
        else:
            self.fields.pop("accept")
            self.fields.pop("agreement_version")


class ConfirmPaymentForm(BaseForm):
    """Staff confirm a bank transfer they see on the account statement."""

    amount = forms.DecimalField(
        label=_("Amount received"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        help_text=_("As on the bank statement; it must equal the order's amount."),
        error_messages={"invalid": _("Enter the amount as a number, e.g. 26000.00.")},
    )
    reference = forms.CharField(
        label=_("Bank reference"),
        max_length=100,
        required=False,
        help_text=_("The transfer's reference on the bank statement (optional)."),
    )


class FailPaymentForm(BaseForm):
    """Staff record that a bank transfer did not arrive: the order can be paid again."""

    reason = forms.CharField(
        label=_("Why it is closed"),
        max_length=500,
        help_text=_("Told to the customer, e.g. no transfer with this reference in 14 days."),
        error_messages={"required": _("Say why the transfer is closed; the customer reads it.")},
    )


class RobotForm(BaseForm):
    """The organisation's IM group robot. The secret is write-only: never shown back; left
    empty when changing a robot it keeps the stored one."""

    platform = forms.ChoiceField(label=_("Platform"))
    name = forms.CharField(label=_("Robot name"), max_length=100)
    webhook_url = forms.CharField(
        label=_("Webhook URL"),
        max_length=500,
        help_text=_("Copy it from the robot's settings in your group."),
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, robot: Any = None, **kwargs: Any) -> None:
        from supportplan.notifications.models import Platform

        super().__init__(*args, **kwargs)
        self.robot = robot
        self.choice_field("platform").choices = list(Platform.choices)
        if robot is not None:
            # The platform of an existing robot does not change (remove it and add another);
            # the stored webhook is kept unless a new one is given.
            self.fields.pop("platform")
            self.fields["webhook_url"].required = False
            self.fields["webhook_url"].help_text = _(
                "Leave empty to keep the stored address (shown masked above)."
            )
            self.fields["secret"].help_text = _(
                "Leave empty to keep the stored secret; it is never shown."
            )
        else:
            self.fields["secret"].help_text = _(
                "Only if the robot signs its messages (DingTalk, Feishu); it is never shown."
            )


class AssignForm(BaseForm):
    assignee = forms.ChoiceField(label=_("Assign to"))

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choice_field("assignee").choices = choices


class HandlingPlanForm(BaseForm):
    handling_plan = forms.CharField(
        label=_("Agreed handling plan"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    note = forms.CharField(
        label=_("Contact note"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
