"""Bad input gives an inline message in the user's language and writes nothing; the
switcher remembers the language on the person."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from supportplan.cases.models import Case
from supportplan.core import clock
from supportplan.subscriptions.domain import local_date

from .conftest import client_for
from .test_pages import open_case

BASIC_CORE_DOWN = {
    "provider": "partner",
    "severity": "core_production_down",
    "channel": "ticket",
    "subject": "Shop down",
    "description": "Nothing loads since 09:00.",
}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "does not include the severity “Core production system down”"),
        ("zh-hans", "核心生产系统不可用"),
    ],
)
def test_basic_refused_core_production_down_inline(basic, language, expected):
    data = {**BASIC_CORE_DOWN, "system": basic.systems["core_production"].pk}
    response = client_for(basic.admin, language).post(reverse("web:case_new"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="err-severity"' in html
    assert expected in html
    assert not Case.objects.filter(tenant=basic.tenant).exists()


def test_case_form_offers_only_what_the_plan_allows(basic):
    html = client_for(basic.admin).get(reverse("web:case_new")).content.decode()
    assert 'value="core_production_down" disabled' in html
    assert "Plans that include it: Dedicated, VIP (iSoftStone)." in html
    # staff-logged channels (hotline, phone line) are not offered to the customer
    assert 'value="hotline"' not in html


def test_empty_case_form_names_each_missing_field(basic):
    response = client_for(basic.admin, "zh-hans").post(
        reverse("web:case_new"), {"provider": "partner"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    for field in ("severity", "subject", "description"):
        assert f'id="err-{field}"' in html
    assert "必填项" in html


def test_scope_is_answered_before_submitting_without_javascript(vip):
    data = {
        "provider": "partner",
        "description": "Our FileZilla 3.1 server on Windows refuses uploads",
        "software_name": "",
        "preview": "1",
    }
    html = client_for(vip.admin).post(reverse("web:case_new"), data).content.decode()
    assert "Out of scope" in html or "Needs detail" in html or "In scope" in html
    json = (
        client_for(vip.admin)
        .get(
            reverse("web:scope_preview"),
            {"provider": "partner", "description": "MySQL 5.7 on CentOS refuses connections"},
        )
        .json()
    )
    assert json["detected"] == {
        "name": "MySQL",
        "code": json["detected"]["code"],
        "version": "5.7",
        "platform": "linux",
    }
    assert json["scope"]["in_scope"] is True


def test_availability_check_too_early_is_refused_inline(vip):
    today = local_date(clock.now())
    url = reverse("web:book", args=["partner", "availability_check"])
    for language, word in (("en", "working days ahead"), ("zh-hans", "工作日")):
        response = client_for(vip.admin, language).post(
            url, {"start_date": today.isoformat(), "event_description": "x"}
        )
        assert response.status_code == 400
        html = response.content.decode()
        assert 'id="err-start_date"' in html and word in html


def test_bad_date_is_an_inline_error(vip):
    url = reverse("web:book", args=["partner", "escort"])
    response = client_for(vip.admin).post(url, {"start_date": "next tuesday", "days": "x"})
    assert response.status_code == 400
    assert "Enter a date as YYYY-MM-DD." in response.content.decode()


def test_escort_inside_the_lead_time_is_accepted_with_a_warning(vip):
    start = local_date(clock.now()) + timedelta(days=1)
    url = reverse("web:book", args=["partner", "escort"])
    response = client_for(vip.admin).post(
        url,
        {"start_date": start.isoformat(), "days": "1", "event_description": "Launch"},
        follow=True,
    )
    assert response.status_code == 200
    assert "10 working days" in response.content.decode()


def test_locked_order_refuses_downgrade_with_the_reason(vip):
    start = local_date(clock.now()) + timedelta(days=30)
    from supportplan.bookings import services as booking_services

    booking_services.booking_request(
        tenant=vip.tenant, actor=vip.admin, service_code="availability_check",
        start_date=start, now=clock.now(),
    )  # fmt: skip
    client = client_for(vip.admin)
    response = client.get(reverse("web:plan_change"), {"provider": "partner", "plan": "dedicated"})
    html = response.content.decode()
    assert 'id="refusal"' in html and "Upgrades are still possible" in html
    response = client.post(
        reverse("web:plan_change"), {"provider": "partner", "plan": "dedicated", "confirm": "1"}
    )
    assert response.status_code == 400
    from supportplan.subscriptions.selectors import subscription_of

    assert subscription_of(vip.tenant, "partner").next_plan_code == ""


def test_upgrade_preview_then_order(basic):
    client = client_for(basic.admin)
    html = client.get(
        reverse("web:plan_change"), {"provider": "partner", "plan": "dedicated"}
    ).content.decode()
    assert "Upgrade to Dedicated" in html and "at once" in html
    response = client.post(
        reverse("web:plan_change"),
        {"provider": "partner", "plan": "dedicated", "confirm": "1", "method": "test"},
    )
    assert response.status_code == 400
    assert "Accept the service agreement to continue." in response.content.decode()
    response = client.post(
        reverse("web:plan_change"),
        {
            "provider": "partner",
            "plan": "dedicated",
            "confirm": "1",
            "method": "test",
            "accept": "1",
            "agreement_version": "2026-01",
        },
    )
    assert response.status_code == 302
    from supportplan.subscriptions.selectors import plan_in_force

    assert plan_in_force(basic.tenant, "partner", clock.now()).plan_code == "dedicated"


def test_language_switch_is_saved_on_the_person(vip):
    client = client_for(vip.admin, "en")
    response = client.post(reverse("web:set_language"), {"language": "zh-hans", "next": "/cases/"})
    assert response.status_code == 302 and response["Location"] == "/cases/"
    vip.admin.refresh_from_db()
    assert vip.admin.language == "zh-hans"
    response = client.post(
        reverse("web:set_language"), {"language": "xx", "next": "https://evil.example/"}
    )
    vip.admin.refresh_from_db()
    assert vip.admin.language == "zh-hans"
    assert not response["Location"].startswith("https://evil.example")


def test_staff_reply_stops_the_clock_and_internal_note_stays_internal(vip, staff):
    case = open_case(vip)
    handler = case.assignee or staff["senior"]
    client = client_for(handler)
    url = reverse("web:console_action", args=[case.pk, "reply"])
    assert client.post(url, {"kind": "note", "body": "Checking the DB pool"}).status_code == 302
    assert client.post(url, {"kind": "reply", "body": "We are on it"}).status_code == 302
    case.refresh_from_db()
    assert case.sla_state == "met"
    customer_view = client_for(vip.admin).get(reverse("web:case", args=[case.pk])).content.decode()
    assert "We are on it" in customer_view and "Checking the DB pool" not in customer_view


def test_severity_change_without_reason_is_inline(vip, staff):
    case = open_case(vip)
    handler = case.assignee or staff["senior"]
    url = reverse("web:console_action", args=[case.pk, "severity"])
    response = client_for(handler, "zh-hans").post(
        url, {"severity": "production_down", "reason": ""}
    )
    assert response.status_code == 400
    assert "必填项" in response.content.decode()
    case.refresh_from_db()
    assert case.severity == "core_production_down"


def test_hotline_call_is_recorded(vip, staff):
    client = client_for(staff["engineer"])
    page = client.get(reverse("web:hotline"), {"tenant": vip.tenant.pk})
    assert page.status_code == 200
    response = client.post(
        reverse("web:hotline"),
        {
            "tenant": vip.tenant.pk, "provider": "partner", "requester": vip.member.pk,
            "channel": "hotline", "severity": "general_guidance", "system": "",
            "subject": "How to resize a disk", "description": "Caller asks how to resize.",
        },
    )  # fmt: skip
    assert response.status_code == 302
    case = Case.objects.get(tenant=vip.tenant)
    assert case.channel == "hotline" and case.logged_by == staff["engineer"]


def test_org_settings_bad_email_and_member_cannot_change(vip):
    admin = client_for(vip.admin)
    response = admin.post(
        reverse("web:org_save", args=["org"]),
        {
            "org-registered_email": "it@x.example",
            "org-report_emails": "cio@x.example\nnot-an-address",
            "org-language": "en",
        },
    )
    assert response.status_code == 400
    assert "Not an e-mail address: not-an-address" in response.content.decode()
    response = admin.post(
        reverse("web:org_save", args=["system"]),
        {"system-name": "core_production system", "system-classification": "production"},
    )
    assert response.status_code == 400  # the service's "already registered", inline
    member = client_for(vip.member)
    response = member.post(
        reverse("web:org_save", args=["contact"]),
        {
            "contact-technical_contact_name": "Mallory",
            "contact-technical_contact_email": "m@x.example",
        },
    )
    assert response.status_code == 302
    vip.tenant.refresh_from_db()
    assert vip.tenant.technical_contact_name != "Mallory"


def test_console_wait_escalate_and_resolve_from_their_forms(vip, staff):
    case = open_case(vip)
    handler = case.assignee or staff["senior"]
    client = client_for(handler)

    def act(action, data):
        return client.post(reverse("web:console_action", args=[case.pk, action]), data)

    response = act("escalate", {"esc-reason": ""})
    assert response.status_code == 400
    assert 'id="err-reason"' in response.content.decode()  # the escalate form's error, inline
    assert act("reply", {"kind": "reply", "body": "Looking into it"}).status_code == 302
    assert act("wait", {"wait-message": "Please send the error log."}).status_code == 302
    case.refresh_from_db()
    assert case.state == "waiting_on_customer"
    assert act("resume", {}).status_code == 302
    assert act("escalate", {"esc-reason": "Needs the database team"}).status_code == 302
    case.refresh_from_db()
    assert case.escalation_level == 1
    assert act("resolve", {"res-summary": "Connection pool resized."}).status_code == 302
    case.refresh_from_db()
    assert case.state == "resolved"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_escort_form_marks_optional_only_what_the_service_leaves_optional(vip, language):
    """Issue 15.5: the escort service requires the days and the event description, so their
    labels never say (optional); the event kind stays optional and says so."""
    import re

    html = client_for(vip.admin, language).get(reverse("web:book", args=["partner", "escort"]))
    html = html.content.decode()
    optional = "（选填）" if language == "zh-hans" else "(optional)"
    labels = dict(re.findall(r'<label for="id_(\w+)">(.*?)</label>', html, re.S))
    assert optional not in labels["days"]
    assert optional not in labels["event_description"]
    assert optional in labels["event_kind"]
    assert re.search(r'<textarea name="event_description"[^>]*required', html)
    response = client_for(vip.admin, language).post(
        reverse("web:book", args=["partner", "escort"]),
        {"start_date": (local_date(clock.now()) + timedelta(days=30)).isoformat()},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="err-days"' in page and 'id="err-event_description"' in page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_date_inputs_carry_iso_values_in_every_language(vip, language):
    """Issue 15.18: zh-Hans localised the value to 2026/12/16, which a date input shows empty."""
    import re

    from supportplan.web.forms import BookingForm

    html = client_for(vip.admin, language).get(reverse("web:book", args=["partner", "escort"]))
    value = re.search(
        r'<input type="date" name="start_date" value="([^"]*)"', html.content.decode()
    )
    assert value is not None
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.group(1))
    from datetime import date

    from django.utils import translation

    with translation.override(language):
        form = BookingForm(
            escort=False,
            earliest=date(2026, 12, 16),
            min_date=date(2026, 12, 16),
            initial={"start_date": date(2026, 12, 16)},
        )
        assert 'value="2026-12-16"' in str(form["start_date"])


@pytest.mark.parametrize("who", ["customer", "staff"])
def test_a_reply_whose_file_is_refused_posts_nothing(vip, staff, who):
    """Issue 15.13: the refused attachment used to drop silently while the text was posted."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from supportplan.cases.models import Communication

    case = open_case(vip, subject="Core banking down")
    before = Communication.objects.filter(case=case).count()
    bad = SimpleUploadedFile("tool.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    if who == "customer":
        client = client_for(vip.admin)
        url = reverse("web:case_reply", args=[case.pk])
        data = {"body": "Here is the log.", "file": bad}
    else:
        client = client_for(staff["manager"])
        url = reverse("web:console_action", args=[case.pk, "reply"])
        data = {"body": "Here is the log.", "kind": "reply", "file": bad}
    response = client.post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="err-file"' in html and "Files of type .exe cannot be attached." in html
    assert "Here is the log." in html  # what was typed is shown again
    assert Communication.objects.filter(case=case).count() == before


def test_file_inputs_carry_the_size_limit_and_textareas_their_maxlength(vip, settings):
    settings.SUPPORTPLAN_ATTACHMENT_MAX_BYTES = 1_048_576
    case = open_case(vip, subject="Core banking down")
    html = client_for(vip.admin).get(reverse("web:case", args=[case.pk])).content.decode()
    assert 'data-max-bytes="1048576"' in html
    assert 'maxlength="50000"' in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Qingyun Retail's Basic plan does not include the severity"),
        ("zh-hans", "Qingyun Retail的基础级计划不包含严重性“核心生产系统不可用”"),
    ],
)
def test_a_refusal_staff_read_names_the_customer_not_you(basic, staff, language, expected):
    """Issue 15.8: staff logging a call read "the customer's plan", never "Your plan"."""
    from django.utils import translation

    from supportplan.cases import services as case_services
    from supportplan.core.errors import DomainError

    basic.tenant.name = "Qingyun Retail"
    basic.tenant.save(update_fields=["name"])
    with pytest.raises(DomainError) as refused:
        case_services.case_open(
            actor=staff["manager"],
            tenant=basic.tenant,
            provider="partner",
            channel="hotline",
            severity="core_production_down",
            subject="Shop down",
            description="Caller says nothing loads.",
            system=basic.systems["core_production"],
            requester=basic.admin,
            now=clock.now(),
        )
    with translation.override(language):
        message = str(refused.value.message)
    assert expected in message
    assert "Your" not in message and "您的" not in message


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_engineer_who_escalates_lands_on_the_queue_told_where_the_case_went(
    basic, staff, language
):
    """Issue 15.1: escalating moved the case past the engineer's tier, and the console then
    re-read it through a visibility the engineer no longer has: a 404 for a success."""
    case = open_case(basic, severity="general_guidance", system="production")
    assert case.queue == "engineer"
    engineer = staff["engineer"]
    client = client_for(engineer, language)
    client.post(reverse("web:console_action", args=[case.pk, "take"]), follow=True)
    response = client.post(
        reverse("web:console_action", args=[case.pk, "escalate"]),
        {"esc-reason": "Needs a database expert"},
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("web:queue"), 302)]
    case.refresh_from_db()
    assert (case.queue, case.escalation_level, case.assignee) == ("expert", 1, staff["expert"])
    message = [str(m) for m in response.context["messages"]]
    expected = {
        "en": f"The case was escalated. Case #{case.pk} moved to the Technical expert queue "
        "and was assigned to exp; it has left your queue.",
        "zh-hans": f"工单已升级。工单 #{case.pk} 已转入技术专家队列，并指派给 exp；"
        "它已不在您的队列中。",
    }[language]
    assert message == [expected]


def test_a_description_over_the_limit_is_shown_again_with_the_limit(basic):
    """Issue 15.13: 300,000 characters are refused on the form (status 400, not a traceback),
    the error says the limit in the person's language, and the text is on the page again
    (as is the maxlength the browser enforces before sending)."""
    text = "慢" * 300_000
    data = {**BASIC_CORE_DOWN, "severity": "general_guidance", "description": text}
    response = client_for(basic.admin, "zh-hans").post(reverse("web:case_new"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="err-description"' in html
    assert "20000" in html.split('id="err-description"', 1)[1][:300]
    assert f'id="id_description">\n{text}</textarea>' in html
    assert 'maxlength="20000"' in html
    assert not Case.objects.filter(tenant=basic.tenant).exists()


@pytest.mark.parametrize(
    ("form", "field", "limit"),
    [
        ("SystemForm", "description", 2000),
        ("RateForm", "comment", 5000),
    ],
)
def test_every_long_text_states_its_limit(form, field, limit):
    from supportplan.web import forms

    rendered = str(getattr(forms, form)()[field])
    assert f'maxlength="{limit}"' in rendered
