"""Only the API routes: these tests must not depend on the web portal's URL module."""

from django.urls import include, path

urlpatterns = [path("api/", include("supportplan.api.urls"))]
