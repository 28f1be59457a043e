from allauth.account import views as account_views
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from supportplan.core import health, metrics
from supportplan.signin import views as signin_views

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/", include("supportplan.api.urls")),
    # The cloud ticket APIs customers already script against (docs/compat.md).
    path("compat/", include("supportplan.compat.urls")),
    path("v2/servicerequest/", include("supportplan.compat.huawei_urls")),
    path("integrations/", include("supportplan.integrations.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    # Sign-in (django-allauth, supportplan.signin): /login/ and /logout/ keep their addresses.
    path("login/", account_views.login, name="login"),
    path("logout/", account_views.logout, name="logout"),
    path("accounts/sso/", signin_views.sso_lookup, name="signin_sso_lookup"),
    path("accounts/mfa-policy/", signin_views.mfa_policy, name="signin_mfa_policy"),
    path("accounts/", include("allauth.urls")),
    # Plan advisor and staffing planner pages (before the portal's catch-all prefix).
    path("", include("supportplan.insights.urls")),
    path("", include("supportplan.web.urls")),
]
# Uploaded attachments and generated reports are never served from MEDIA_URL, not even in
# DEBUG: every download goes through a view that checks the caller's tenant.

# Django's own errors: the API's JSON envelope under /api/, Django's pages elsewhere, 503 with
# Retry-After for a lost database.
handler400 = "supportplan.api.handlers.bad_request"
handler403 = "supportplan.api.handlers.permission_denied"
handler404 = "supportplan.api.handlers.page_not_found"
handler500 = "supportplan.api.handlers.server_error"
