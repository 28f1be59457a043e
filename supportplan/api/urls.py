"""API routes. Each context adds its routes here with one or two lines."""

from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.routers import DefaultRouter

from supportplan.compat import api as compat_api
from supportplan.insights import api as insights_api
from supportplan.integrations import api as alerts_api

from . import accounts, bookings, calendars, cases, catalog, handlers, keys, sla, subscriptions
from . import advisories as advisories_api
from . import notifications as notifications_api
from . import reports as reports_api


class Router(DefaultRouter):
    """Integer ids by default, as path converters, so the OpenAPI schema types every id and
    `/api/cases/abc/` is simply not a route. A viewset with another lookup (a catalog code)
    sets `lookup_value_converter`."""

    def __init__(self) -> None:
        super().__init__(use_regex_path=False)
        self._default_value_pattern = "int"


router = Router()
# No ".json" suffix routes: the viewsets take no `format` argument (every one was a 500).
router.include_format_suffixes = False
router.register("reports", reports_api.ReportViewSet, basename="report")
router.register("report-sources", reports_api.DataSourceViewSet, basename="report-source")
router.register("tenants", accounts.TenantViewSet, basename="tenant")
router.register("people", accounts.PersonViewSet, basename="person")
router.register("api-keys", keys.ApiKeyViewSet, basename="api-key")
router.register("catalog/providers", catalog.CatalogProviderViewSet, basename="catalog-provider")
router.register("cases", cases.CaseViewSet, basename="case")
router.register("access-keys", compat_api.AccessKeyViewSet, basename="access-key")
router.register("alert-receivers", alerts_api.AlertReceiverViewSet, basename="alert-receiver")
router.register("im-groups", alerts_api.ImGroupViewSet, basename="im-group")
subscriptions.register(router)
bookings.register(router)
notifications_api.register(router)
advisories_api.register(router)

urlpatterns = [
    path("token/", keys.TokenView.as_view(), name="api-token"),
    path("me/", accounts.MeView.as_view(), name="me"),
    path("bench/ceiling/", cases.BenchCeilingView.as_view(), name="bench-ceiling"),
    *calendars.urlpatterns(),
    *sla.urlpatterns(),
    *subscriptions.urlpatterns(),
    *notifications_api.urlpatterns(),
    *insights_api.urlpatterns(),
    path("", include(router.urls)),
    # Last: any other path under /api/ is the API's JSON 404, also with DEBUG on (Django's
    # handler404 answers only with DEBUG off). Paths without the slash still get redirected.
    re_path(r"^.*/$", csrf_exempt(handlers.page_not_found), name="api-unknown-route"),
]
