from django.urls import path

from . import views

app_name = "insights"

urlpatterns = [
    path("insights/plan-advisor/", views.plan_advisor, name="plan_advisor"),
    path("console/plan-advisor/", views.staff_plan_advisor, name="staff_plan_advisor"),
    path("console/staffing/", views.staffing, name="staffing"),
    path("console/staffing/csv/", views.staffing_csv, name="staffing_csv"),
]
