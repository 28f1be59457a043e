"""The API and admin routes only, so these tests do not depend on the portal's URLs."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("supportplan.api.urls")),
]
