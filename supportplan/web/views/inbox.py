"""The message centre: a person's in-app notifications (both portal and console), newest
first, in the reader's language; mark them read (supportplan.notifications)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from supportplan.notifications import selectors as notif_selectors
from supportplan.notifications import services as notif_services

from .common import paginate, request_now, signed_in_view


def _content(notice: Any, lang: str) -> dict[str, Any]:
    content = notice.content or {}
    chosen = content.get(lang) or content.get("zh-hans") or content.get("en") or {}
    if not chosen and content:
        chosen = next(iter(content.values()))
    link = str(chosen.get("link") or "")
    # Only links of this site or web addresses; never a script URL from stored content.
    if not (link.startswith("/") or link.startswith("https://") or link.startswith("http://")):
        link = ""
    return {**chosen, "link": link}


@signed_in_view
def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    show = request.GET.get("show", "all")
    page = paginate(request, notif_selectors.inbox_of(user, unread_only=show == "unread"))
    lang = get_language()
    items = [{"notice": n, "content": _content(n, lang)} for n in page]
    return render(
        request,
        "web/inbox.html",
        {
            "nav": "inbox",
            "page": page,
            "items": items,
            "show": show,
            "unread": notif_selectors.unread_count(user),
        },
    )


@require_POST
@signed_in_view
def mark_read(request: HttpRequest) -> HttpResponse:
    ids: list[int] | None = None
    if request.POST.get("id"):
        try:
            ids = [int(request.POST["id"])]
        except ValueError:
            ids = []
    # The service only touches the person's own notices, whatever ids are sent.
    notif_services.in_app_mark_read(user=request.user, now=request_now(request), ids=ids)  # type: ignore[arg-type]
    return redirect("web:inbox")
