"""OpenAPI post-processing: the error answers every operation can give, in the API's envelope.

Every refusal is `{"code", "message", ...}` (api/errors.py); the schema lists them on every
operation, so a client (and schemathesis' status-code check) knows a 400, 403, 404 or 409 is
an answer of this API rather than a surprise.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A refusal: a stable code and a message in the caller's language.",
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "params": {"type": "object", "additionalProperties": {}},
        "field": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {}},
    },
    "required": ["code", "message"],
    "additionalProperties": {},
}

# status -> what it means; 413 and 415 only where there is a request body.
ERRORS = {
    "400": "The request is invalid (each bad field named).",
    "401": "No valid credentials.",
    "403": "Not allowed to do this (or the plan does not include it).",
    "404": "Not found, or not yours.",
    "409": "Conflicts with the current state.",
}
BODY_ERRORS = {
    "413": "The request body is too large.",
    "415": "The request body's media type is not accepted.",
}
METHODS = ("get", "put", "post", "patch", "delete")
# Paths that lock out repeated failures (the token endpoint: too many wrong passwords).
LOCKOUT_PATHS = {"/api/token/": {"429": "Too many failed attempts; try again later."}}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: Any) -> Any:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            wanted = dict(ERRORS)
            if "requestBody" in operation:
                wanted.update(BODY_ERRORS)
            wanted.update(LOCKOUT_PATHS.get(path, {}))
            for status, description in wanted.items():
                responses.setdefault(
                    status,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return result
