"""The provider's service agreement (catalog data, versioned): the page the "I accept the
service agreement" checkbox links to, and the version an order was accepted under. Catalogs
are not tenant-owned, so every signed-in person may read any provider's agreement."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from supportplan.catalog import selectors as catalog_selectors
from supportplan.catalog.selectors import CatalogNotLoaded

from .common import signed_in_view


@signed_in_view
def agreement(request: HttpRequest, provider: str) -> HttpResponse:
    """`?version=` shows an earlier version still in the catalog; `&catalog=<id>` reads it from
    the stored catalog version an order recorded (exactly the text accepted then)."""
    try:
        catalog = catalog_selectors.current_catalog(provider)
    except CatalogNotLoaded:
        raise Http404() from None
    source = catalog
    stored = request.GET.get("catalog", "")
    if stored:
        if not stored.isdigit():
            raise Http404()
        try:
            source = catalog_selectors.catalog_for_version(int(stored))
        except CatalogNotLoaded:
            raise Http404() from None
        if source.provider.code != provider:
            raise Http404()
    wanted = request.GET.get("version", "")
    shown = source.agreement_version(wanted) if wanted else source.agreement
    if wanted and shown is None:
        raise Http404()
    current = catalog.agreement
    return render(
        request,
        "web/plans/agreement.html",
        {
            "nav": "plans",
            "catalog": catalog,
            "provider": provider,
            "agreement": shown,
            "paragraphs": shown.paragraphs(request.LANGUAGE_CODE) if shown else [],
            "is_current": shown is not None and current is not None and shown == current,
            "current": current,
            "versions": list(reversed(catalog.agreements)),
        },
    )
