from django.urls import path

from . import im_views, views

urlpatterns = [
    path("alertmanager/<int:receiver_id>/", views.alertmanager, name="integrations-alertmanager"),
    path("im/<int:group_id>/", im_views.im_callback, name="integrations-im"),
]
