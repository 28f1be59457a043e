"""The API's one pagination: limit/offset with a ceiling.

DRF's LimitOffsetPagination takes any `limit`, and a limit beyond the database's integer
range (`?limit=2568816212049048281033738289152`) reached the SQL and failed there. A larger
limit than the ceiling is read as the ceiling, as DRF does with `max_limit`; the schema says so.
"""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import LimitOffsetPagination

MAX_LIMIT = 500


class ApiPagination(LimitOffsetPagination):
    max_limit = MAX_LIMIT

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 0
            if parameter["name"] == self.limit_query_param:
                parameter["description"] = (
                    f"Number of results to return per page (at most {MAX_LIMIT}; "
                    "a larger number is read as the maximum)."
                )
        return parameters
