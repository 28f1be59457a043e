from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/", include("supportplan.api.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
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
