"""Shared serializer plumbing."""

from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.request import Request

# The largest id a row can have (BigAutoField); an id field refuses more with a clear 400
# instead of letting the database driver overflow.
MAX_ID = 2**63 - 1


def id_field(**kwargs: Any) -> serializers.IntegerField:
    # An id in a request body: a whole number from 1 to MAX_ID.
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class ErrorSerializer(serializers.Serializer):
    # The API's error envelope; api/schema.py gives its component ("Error") the whole shape.
    code = serializers.CharField()
    message = serializers.CharField()
    params = serializers.DictField(required=False)
    field = serializers.CharField(required=False)


READ_ONLY_SENT = _("This field is read-only: it cannot be set here.")


class RefuseReadOnlyMixin:
    # A serializer used for writes refuses a read-only field that is sent (400 naming it).
    #
    # DRF drops such a field silently, so `PATCH {"in_proof_of_concept": true}` answered 200
    # and changed nothing: the caller believed it had. Every serializer that reads a request
    # body or query inherits this (api/tests/test_read_only_fields.py checks that it does).

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            sent = [
                name
                for name, field in self.fields.items()  # type: ignore[attr-defined]
                if field.read_only and name in data
            ]
            if sent:
                raise serializers.ValidationError({name: [READ_ONLY_SENT] for name in sent})
        return super().to_internal_value(data)  # type: ignore[misc]


class FieldTemplateMixin:
    # Build a serializer class's fields once, then hand each instance a deep copy.
    #
    # DRF's `ModelSerializer.get_fields()` maps every model field to a serializer field on
    # each instantiation (a third of the CPU of answering a newly opened case). The mapping
    # depends only on the class, so it is kept on the class; `copy.deepcopy` re-creates the
    # fields unbound, exactly as DRF does with declared fields. Only for serializers whose
    # fields do not depend on the instance, the context or the request.

    def get_fields(self) -> dict[str, Any]:
        cls = type(self)
        template = cls.__dict__.get("_field_template")
        if template is None:
            template = super().get_fields()  # type: ignore[misc]
            cls._field_template = template  # type: ignore[attr-defined]
        return copy.deepcopy(template)


class BlankChoicesMixin:
    # A read-only choice field of a blank-able model field may answer "": say so.
    #
    # DRF drops `allow_blank` from read-only fields, so the schema's enum left out the ""
    # that the answers carry (a booking's event_kind, a user's handler_tier). Every model
    # serializer in the API inherits this.

    def include_extra_kwargs(
        self, kwargs: MutableMapping[str, Any], extra_kwargs: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        blank = kwargs.get("allow_blank")
        result: MutableMapping[str, Any] = super().include_extra_kwargs(  # type: ignore[misc]
            kwargs, extra_kwargs
        )
        if blank and result.get("read_only") and "choices" in result:
            result["allow_blank"] = True
        return result


def validated(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    # The request body checked by `serializer_class`; a 400 naming each bad field otherwise.
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
