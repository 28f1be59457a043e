from django.urls import path

from . import views

urlpatterns = [
    path("alertmanager/<int:receiver_id>/", views.alertmanager, name="integrations-alertmanager"),
]
