from django.urls import include, path

from supportplan.compat import views as access_keys
from supportplan.integrations import im_pages
from supportplan.integrations import views as alerts

from .views import (
    account,
    advisories,
    agreements,
    bookings,
    cases,
    common,
    console,
    inbox,
    onboarding,
    org,
    payments,
    portal,
    reports,
    teams,
)

web_patterns = [
    path("lang/", common.set_language, name="set_language"),
    path("account/access-keys/", access_keys.access_keys, name="access_keys"),
    path("account/api-keys/", account.api_keys_page, name="api_keys"),
    path(
        "account/api-keys/<int:key_id>/revoke/", account.api_key_revoke_view, name="api_key_revoke"
    ),
    path("org/alerts/", alerts.receivers_page, name="alert_receivers"),
    path("console/cases/<int:case_id>/vendor/", alerts.case_vendor, name="case_vendor"),
    path("org/im-groups/", im_pages.im_groups_page, name="im_groups"),
    path("org/im-groups/<int:group_id>/remove/", im_pages.im_group_remove, name="im_group_remove"),
    path(
        "org/alerts/<int:receiver_id>/remove/", alerts.receiver_remove, name="alert_receiver_remove"
    ),
    path(
        "account/access-keys/<int:key_id>/revoke/",
        access_keys.access_key_revoke_view,
        name="access_key_revoke",
    ),
    # customer portal
    path("plans/", portal.plans, name="plans"),
    path("plans/change/", portal.plan_change, name="plan_change"),
    path("plans/agreement/<slug:provider>/", agreements.agreement, name="agreement"),
    path("statements/", portal.statements, name="statements"),
    path("statements/orders/<int:order_id>/", payments.order_detail, name="order"),
    path("statements/orders/<int:order_id>/pay/", payments.order_pay, name="order_pay"),
    path("statements/orders/<int:order_id>/cancel/", payments.order_cancel, name="order_cancel"),
    path("advisories/", advisories.advisory_list, name="advisories"),
    path("advisories/<int:advisory_id>/", advisories.advisory_detail, name="advisory"),
    path(
        "advisories/<int:advisory_id>/acknowledge/",
        advisories.advisory_acknowledge,
        name="advisory_acknowledge",
    ),
    path("notifications/", inbox.inbox, name="inbox"),
    path("notifications/read/", inbox.mark_read, name="inbox_read"),
    path("cases/", cases.case_list, name="cases"),
    path("cases/new/", cases.case_new, name="case_new"),
    path("cases/scope/", cases.scope_preview, name="scope_preview"),
    path("cases/quote/", cases.case_quote, name="case_quote"),
    path("cases/<int:case_id>/", cases.case_detail, name="case"),
    path("cases/<int:case_id>/reply/", cases.case_reply, name="case_reply"),
    path("cases/<int:case_id>/attach/", cases.case_attach, name="case_attach"),
    path("cases/<int:case_id>/rate/", cases.case_rate, name="case_rate"),
    path("cases/<int:case_id>/<str:action>/", cases.case_state, name="case_state"),
    path(
        "cases/<int:case_id>/files/<int:attachment_id>/",
        cases.attachment_download,
        name="attachment",
    ),
    path("services/", bookings.services, name="services"),
    path("services/book/<str:provider>/<str:service>/", bookings.book, name="book"),
    path("services/<int:booking_id>/", bookings.booking_detail, name="booking"),
    path("services/<int:booking_id>/<str:action>/", bookings.booking_action, name="booking_action"),
    path("reports/", reports.reports, name="reports"),
    path("reports/<int:report_id>/", reports.report, name="report"),
    path("reports/<int:report_id>/download/", reports.download, name="report_download"),
    path("organisation/", org.settings_page, name="org"),
    path("organisation/robot/", org.robot_save, name="org_robot"),
    path("organisation/robot/<int:robot_id>/remove/", org.robot_remove, name="org_robot_remove"),
    path("organisation/robot/<int:robot_id>/test/", org.robot_test, name="org_robot_test"),
    path("organisation/invitations/", onboarding.org_invite, name="org_invite"),
    path(
        "organisation/invitations/<int:invitation_id>/<str:action>/",
        onboarding.org_invitation_action,
        name="org_invitation",
    ),
    path("invitations/accept/", onboarding.invitation_accept, name="invitation_accept"),
    path("invitations/<str:key>/", onboarding.invitation_open, name="invitation_open"),
    path("console/organisations/", onboarding.console_onboarding, name="console_onboarding"),
    path(
        "console/organisations/<int:tenant_id>/approve/",
        onboarding.console_tenant_approve,
        name="console_tenant_approve",
    ),
    path(
        "organisation/people/<int:user_id>/<str:action>/",
        org.person_action,
        name="org_person",
    ),
    path("organisation/<str:which>/", org.settings_save, name="org_save"),
    # staff console
    path("console/", console.queue, name="queue"),
    path("console/cases/<int:case_id>/", console.case_view, name="console_case"),
    path("console/cases/<int:case_id>/<str:action>/", console.case_action, name="console_action"),
    path("console/hotline/", console.hotline, name="hotline"),
    path("console/tam/", console.tam, name="tam"),
    path("console/dashboard/", console.dashboard, name="dashboard"),
    path("console/bookings/", bookings.staff_bookings, name="staff_bookings"),
    path(
        "console/bookings/<int:booking_id>/<str:action>/",
        bookings.staff_booking_action,
        name="staff_booking_action",
    ),
    path("console/advisories/", advisories.staff_advisories, name="staff_advisories"),
    path(
        "console/advisories/<int:advisory_id>/",
        advisories.staff_advisory,
        name="staff_advisory",
    ),
    path(
        "console/advisories/<int:advisory_id>/targets/<int:target_id>/",
        advisories.staff_target_save,
        name="staff_advisory_target",
    ),
    path("console/payments/", payments.staff_payments, name="staff_payments"),
    path(
        "console/payments/<int:payment_id>/confirm/",
        payments.staff_payment_confirm,
        name="staff_payment_confirm",
    ),
    path(
        "console/payments/<int:payment_id>/fail/",
        payments.staff_payment_fail,
        name="staff_payment_fail",
    ),
    path("console/teams/", teams.staff_teams, name="staff_teams"),
    path(
        "console/teams/<int:team_id>/robots/",
        teams.staff_team_robot_add,
        name="staff_team_robot_add",
    ),
    path(
        "console/teams/robots/<int:robot_id>/<str:action>/",
        teams.staff_team_robot_action,
        name="staff_team_robot",
    ),
    path("console/reports/", reports.staff_reports, name="staff_reports"),
    path("console/reports/generate/", reports.staff_generate, name="staff_report_generate"),
    path("console/reports/<int:report_id>/send/", reports.staff_send, name="staff_report_send"),
]

urlpatterns = [
    path("", portal.home, name="home"),
    path("", include((web_patterns, "web"))),
]
