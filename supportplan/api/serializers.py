"""Shared serializer plumbing."""

from __future__ import annotations

import copy
from typing import Any


class FieldTemplateMixin:
    """Build a serializer class's fields once, then hand each instance a deep copy.

    DRF's `ModelSerializer.get_fields()` maps every model field to a serializer field on
    each instantiation (a third of the CPU of answering a newly opened case). The mapping
    depends only on the class, so it is kept on the class; `copy.deepcopy` re-creates the
    fields unbound, exactly as DRF does with declared fields. Only for serializers whose
    fields do not depend on the instance, the context or the request.
    """

    def get_fields(self) -> dict[str, Any]:
        cls = type(self)
        template = cls.__dict__.get("_field_template")
        if template is None:
            template = super().get_fields()  # type: ignore[misc]
            cls._field_template = template  # type: ignore[attr-defined]
        return copy.deepcopy(template)
