"""Huawei OSM v2 routes, mounted at /v2/servicerequest/ (the SDK keeps only the host)."""

from django.urls import path

from . import huawei

urlpatterns = [
    path("config/severities", huawei.list_severities),
    path("config/problems", huawei.list_problem_types),
    path("config/product-categories", huawei.list_product_categories),
    path("quotas", huawei.list_case_quotas),
    path("cases", huawei.cases_view),
    path("cases/<str:case_id>", huawei.show_case_detail),
    path("cases/<str:case_id>/message", huawei.create_message),
    path("cases/<str:case_id>/messages", huawei.list_messages),
    path("cases/<str:case_id>/action", huawei.update_case),
    path("cases/<str:case_id>/score", huawei.create_score),
    path("accessorys", huawei.upload_accessory),
    path("accessorys/<str:accessory_id>", huawei.download_accessory),
]
