from typing import Any

from rest_framework.permissions import BasePermission

from supportplan.accounts.models import User
from supportplan.accounts.permissions import is_staff


def user_of(request: Any) -> User:
    """The signed-in person (every API view requires authentication by default)."""
    user = request.user
    assert isinstance(user, User), "authenticated views only"
    return user


class IsProviderStaff(BasePermission):
    message = "Only provider staff may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_staff(request.user)
