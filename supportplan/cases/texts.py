"""What a case's system notes say ("Waiting on customer", "Resolved. …"), in the reader's language.

A system note is stored as an event code with its parameters (`Communication.data["event"]`),
and its text is rendered at display time with gettext, so a Chinese page never shows the
English words of whoever's language was active when the note was written. `body` keeps an
English rendering for search and for clients that read it raw.

Notes written before the code was stored carry only the English body; `legacy_event` reads
them (migration 0004 stores the code for existing rows, and the renderer falls back to it for
any row the migration did not know).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext, override

# Event codes of system notes, and the parameters each carries.
WAITING_ON_CUSTOMER = "waiting_on_customer"  # -
RESOLVED = "resolved"  # summary
CLOSED = "closed"  # automatic
REOPENED = "reopened"  # reason
SEVERITY_CHANGED = "severity_changed"  # old, new, reason
BEST_EFFORT = "best_effort"  # help, note

EVENTS = (WAITING_ON_CUSTOMER, RESOLVED, CLOSED, REOPENED, SEVERITY_CHANGED, BEST_EFFORT)

SeverityName = Callable[[str], str]


def _sentence(head: str, tail: str) -> str:
    """`head` then the person's own words, when there are any."""
    tail = (tail or "").strip()
    if not tail:
        return head
    return gettext("%(head)s %(text)s") % {"head": head, "text": tail}


def render(event: str, params: Mapping[str, Any], severity_name: SeverityName = str) -> str | None:
    """The note in the active language; None for an unknown code."""
    if event == WAITING_ON_CUSTOMER:
        return gettext("Waiting on customer")
    if event == RESOLVED:
        return _sentence(gettext("Resolved."), params.get("summary", ""))
    if event == CLOSED:
        if params.get("automatic"):
            return gettext("Closed automatically.")
        return gettext("Closed.")
    if event == REOPENED:
        return _sentence(gettext("Reopened."), params.get("reason", ""))
    if event == SEVERITY_CHANGED:
        head = gettext("Severity changed from “%(old)s” to “%(new)s”.") % {
            "old": severity_name(str(params.get("old", ""))),
            "new": severity_name(str(params.get("new", ""))),
        }
        return _sentence(head, params.get("reason", ""))
    if event == BEST_EFFORT:
        head = (
            gettext("Best effort: we help with this out-of-scope case.")
            if params.get("help")
            else gettext("Best effort: we do not help with this out-of-scope case.")
        )
        return _sentence(head, params.get("note", ""))
    return None


def english(event: str, params: Mapping[str, Any]) -> str:
    """The stored `body`: the English rendering (codes for severities)."""
    with override("en"):
        return render(event, params) or event


# The English bodies written before event codes were stored (cases.services until 2026-12).
_LEGACY = (
    (re.compile(r"^Waiting on customer$"), WAITING_ON_CUSTOMER, ()),
    (re.compile(r"^Resolved\.\s*(.*)$", re.S), RESOLVED, ("summary",)),
    (re.compile(r"^Closed$"), CLOSED, ()),
    (re.compile(r"^Reopened:?\s*(.*)$", re.S), REOPENED, ("reason",)),
    (
        re.compile(r"^Severity (\S+) → (\S+): ?(.*)$", re.S),
        SEVERITY_CHANGED,
        ("old", "new", "reason"),
    ),
    (re.compile(r"^Best effort: yes\.\s*(.*)$", re.S), BEST_EFFORT, ("note",)),
    (re.compile(r"^Best effort: no\.\s*(.*)$", re.S), BEST_EFFORT, ("note",)),
)


def legacy_event(body: str) -> tuple[str, dict[str, Any]] | None:
    """The event code and parameters of a note stored as English text only."""
    for pattern, event, names in _LEGACY:
        match = pattern.match(body or "")
        if match is None:
            continue
        params: dict[str, Any] = dict(zip(names, match.groups(), strict=True))
        if event == BEST_EFFORT:
            params["help"] = body.startswith("Best effort: yes")
        return event, params
    return None


def note_text(
    kind: str, body: str, data: Mapping[str, Any] | None, severity_name: SeverityName = str
) -> str:
    """What a thread entry says to its reader: a system note rendered in the active language,
    anything a person wrote as they wrote it."""
    if kind != "system":
        return body
    data = data or {}
    event, params = data.get("event"), data
    if not event:
        found = legacy_event(body)
        if found is None:
            return body
        event, params = found[0], {**data, **found[1]}
    return render(str(event), params, severity_name) or body


def severity_namer(catalog: Any) -> SeverityName:
    """A severity code's name in the active language from the case's catalog (the code when
    the catalog does not name it)."""
    from django.utils.translation import get_language

    def name(code: str) -> str:
        try:
            return str(catalog.severity(code).name.get(get_language())) if catalog else code
        except LookupError:
            return code

    return name


def case_note_text(case: Any, kind: str, body: str, data: Mapping[str, Any] | None) -> str:
    """`note_text` with the case's own severity names."""
    if kind != "system":
        return body
    from supportplan.catalog.selectors import CatalogNotLoaded, catalog_for_version

    try:
        catalog = catalog_for_version(case.catalog_version_id)
    except CatalogNotLoaded:
        catalog = None
    return note_text(kind, body, data, severity_namer(catalog))
