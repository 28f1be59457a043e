"""Staff teams and their IM group robots: every staff member sees which team hears of which
queue; support managers and platform administrators add, test and remove a team's robots
(through notifications.services, which check the role again)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportplan.accounts import permissions as perms
from supportplan.notifications import selectors as notif_selectors
from supportplan.notifications import services as notif_services
from supportplan.notifications.models import Robot, Team
from supportplan.web.forms import RobotForm

from .common import call_service, request_now, staff_view
from .org import add_robot, send_robot_test


def _may_manage(user: Any) -> bool:
    return perms.has_role(user, notif_services.MANAGE_TEAMS)


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "web/console/forbidden.html", {"nav": "teams"}, status=403)


def _page(
    request: HttpRequest, forms: dict[int, RobotForm] | None = None, status: int = 200
) -> HttpResponse:
    teams = [
        {
            "team": team,
            "robots": list(notif_selectors.robots_of_team(team)),
            "form": (forms or {}).get(team.pk) or RobotForm(prefix=f"team{team.pk}"),
        }
        for team in notif_selectors.teams()
    ]
    return render(
        request,
        "web/console/teams.html",
        {"nav": "teams", "teams": teams, "may_manage": _may_manage(request.user)},
        status=status,
    )


@staff_view
def staff_teams(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@staff_view
def staff_team_robot_add(request: HttpRequest, team_id: int) -> HttpResponse:
    if not _may_manage(request.user):
        return _forbidden(request)
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise Http404()
    form = RobotForm(request.POST, prefix=f"team{team.pk}")
    if not form.is_valid():
        return _page(request, {team.pk: form}, status=400)
    if not add_robot(request, form, team=team):
        return _page(request, {team.pk: form}, status=400)
    messages.success(request, _("Robot added."))
    return redirect(reverse("web:staff_teams") + f"#team-{team.pk}")


@require_POST
@staff_view
def staff_team_robot_action(request: HttpRequest, robot_id: int, action: str) -> HttpResponse:
    """`test`: a test message now, the platform's answer as the page's message; `remove`."""
    if not _may_manage(request.user):
        return _forbidden(request)
    robot = Robot.objects.filter(pk=robot_id, team__isnull=False).first()
    if robot is None or action not in ("test", "remove"):
        raise Http404()
    if action == "test":
        send_robot_test(request, robot)
    else:
        ok, _r = call_service(
            request,
            None,
            notif_services.robot_remove,
            actor=request.user,
            robot=robot,
            now=request_now(request),
        )
        if ok:
            messages.success(request, _("Robot removed."))
    return redirect(reverse("web:staff_teams") + f"#team-{robot.team_id}")
