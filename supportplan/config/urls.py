from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from supportplan.core import health, metrics

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
    path("", include("supportplan.web.urls")),
]
# Uploaded attachments and generated reports are never served from MEDIA_URL, not even in
# DEBUG: every download goes through a view that checks the caller's tenant.
