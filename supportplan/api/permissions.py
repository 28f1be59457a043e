from typing import Any

from rest_framework.permissions import BasePermission

from supportplan.accounts.permissions import is_staff


class IsProviderStaff(BasePermission):
    message = "Only provider staff may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_staff(request.user)
