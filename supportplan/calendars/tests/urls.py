"""Only the API routes, so these tests do not depend on the portal's URLs."""

from django.urls import include, path

urlpatterns = [path("api/", include("supportplan.api.urls"))]
