"""JSON Schema of a plan catalog file (format 1). docs/catalog.md explains every field.

The schema checks shapes; `validation.py` adds the checks a schema cannot express
(cross-references, duplicate codes, durations, version specifiers, decimal prices).
"""

from typing import Any

CODE = {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$"}
# Prices are exact decimals written as strings: "480", "26000.00". A YAML number would
# arrive as a float and could lose cents, so numbers are refused.
DECIMAL = {"type": "string", "pattern": r"^(0|[1-9][0-9]*)(\.[0-9]{1,2})?$"}
DURATION = {"type": "string"}  # "10m", "3h", "1h30m", "2d" — parsed in validation.py
CALENDAR = {"enum": ["7x24", "5x8"]}
PLATFORM = {"enum": ["linux", "windows"]}
SYSTEM_CLASS = {"enum": ["core_production", "production", "non_production"]}
HANDLER_TIER = {"enum": ["engineer", "expert", "senior_expert"]}
BILLING_TERM = {"enum": ["monthly", "annual"]}
LANGUAGES = ("zh-hans", "en")
# a cloud account on a cloud no catalog names; always accepted, never grants a plan
OTHER_CLOUD = "other"

# Links a customer follows (self-service centres): https only, so the portal never sends a
# customer to a plain-http page or to a javascript: address.
HTTPS_URL = {"type": "string", "pattern": r"^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s]*)?$"}
# An agreement version id: short, printable, stored on the order (Order.agreement_version).
AGREEMENT_VERSION = {"type": "string", "pattern": r"^[0-9A-Za-z][0-9A-Za-z._-]{0,19}$"}
ISO_DATE = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}

TEXT = {
    "type": "object",
    "properties": {lang: {"type": "string", "minLength": 1} for lang in LANGUAGES},
    "required": list(LANGUAGES),
    "additionalProperties": False,
}


def _obj(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


SEVERITY = _obj(
    {
        "code": CODE,
        "order": {"type": "integer", "minimum": 1},
        "urgent": {"type": "boolean"},
        "name": TEXT,
        "definition": TEXT,
        "system_classes": {"type": "array", "items": SYSTEM_CLASS, "minItems": 1},
        # The AWS Support API severity code this severity answers to (cloud ticket APIs).
        "api_code": {"enum": ["low", "normal", "high", "urgent", "critical"]},
    },
    ["code", "order", "urgent", "name", "definition", "system_classes"],
)

CHANNEL = _obj(
    {
        "code": CODE,
        "name": TEXT,
        "dedicated_name": TEXT,
        "description": TEXT,
        "calendar": CALENDAR,
        "contact": TEXT,
        "platforms": {
            "type": "array",
            "items": _obj({"code": CODE, "name": TEXT}, ["code", "name"]),
        },
        "staff_logged": {"type": "boolean"},
    },
    ["code", "name", "calendar", "staff_logged"],
)

FEATURE = _obj(
    {
        "code": CODE,
        "category": {"enum": ["self_service", "support", "people", "proactive", "deliverable"]},
        "name": TEXT,
        "description": TEXT,
        "calendar": CALENDAR,
        "staff_role": {"enum": ["tam", "business_manager", "architect"]},
        # where a self-service item lives (help center, community …): shown as a link
        "url": HTTPS_URL,
    },
    ["code", "category", "name"],
)

SERVICE = _obj(
    {
        "code": CODE,
        "name": TEXT,
        "description": TEXT,
        "unit": {"enum": ["times", "natural_days"]},
        "whole_days": {"type": "boolean"},
        "lead_time": _obj(
            {
                "working_days": {"type": "integer", "minimum": 0},
                "enforcement": {"enum": ["required", "recommended"]},
            },
            ["working_days", "enforcement"],
        ),
        "locks_order": {"type": "boolean"},
        "price": DECIMAL,
        "during": _obj(
            {"calendar": CALENDAR, "urgent_first_response": DURATION},
            [],
        ),
    },
    ["code", "name", "unit", "locks_order"],
)

TARGETS = _obj(
    {"first_response": DURATION, "resolution": DURATION, "next_response": DURATION},
    ["first_response"],
)

GRANT = _obj(
    {
        "quota": {"type": "integer", "minimum": 1},
        "max_requests": {"type": "integer", "minimum": 1},
        "paid": {"type": "boolean"},
        "terms": {"type": "array", "items": BILLING_TERM, "minItems": 1, "uniqueItems": True},
    },
    ["terms"],
)

# A plan lists a channel by code, or as {code, dedicated: true} for a dedicated line
# (Tencent S2/S1 "专属服务热线"). The error formatter reports the closest branch.
PLAN_CHANNEL = {
    "oneOf": [
        CODE,
        _obj({"code": CODE, "dedicated": {"type": "boolean"}}, ["code"]),
    ]
}

PLAN = _obj(
    {
        "code": CODE,
        "rank": {"type": "integer", "minimum": 1},
        "name": TEXT,
        "summary": TEXT,
        "suitable_for": TEXT,
        "monthly_price": DECIMAL,
        "purchasable": {"type": "boolean"},
        "default": {"type": "boolean"},
        # the clouds (provider.clouds codes) whose accounts make a tenant get this default plan
        "granted_by_clouds": {"type": "array", "items": CODE, "uniqueItems": True},
        "billing_terms": {"type": "array", "items": BILLING_TERM, "uniqueItems": True},
        "requires_technical_contact": {"type": "boolean"},
        "handler_tier": HANDLER_TIER,
        "channels": {"type": "array", "items": PLAN_CHANNEL, "minItems": 1},
        "response_note": TEXT,
        "severities": {
            "type": "object",
            "additionalProperties": TARGETS,
            "minProperties": 1,
        },
        "features": {"type": "array", "items": CODE},
        "services": {"type": "object", "additionalProperties": GRANT},
    },
    [
        "code",
        "rank",
        "name",
        "monthly_price",
        "purchasable",
        "default",
        "billing_terms",
        "handler_tier",
        "channels",
        "severities",
        "features",
        "services",
    ],
)

SOFTWARE = _obj(
    {
        "code": CODE,
        "category": CODE,
        "name": TEXT,
        "aliases": {"type": "array", "items": {"type": "string", "minLength": 2}, "minItems": 1},
        "native": {"type": "boolean"},
        "versions": {
            "type": "object",
            "propertyNames": PLATFORM,
            "additionalProperties": {
                "type": "array",
                "items": {"type": "string"},
                "minItems": 1,
            },
            "minProperties": 1,
        },
        "versions_note": TEXT,
        "scope": TEXT,
    },
    ["code", "category", "name", "aliases", "versions", "scope"],
)

OUT_OF_SCOPE = _obj(
    {"code": CODE, "name": TEXT, "description": TEXT, "where_to_go": TEXT},
    ["code", "name", "description", "where_to_go"],
)

# The service agreement a customer accepts before paying. Every version stays in the file
# (an order shows the one it was accepted under); the latest effective date is current.
AGREEMENT = _obj(
    {"version": AGREEMENT_VERSION, "effective": ISO_DATE, "title": TEXT, "text": TEXT},
    ["version", "effective", "title", "text"],
)

# What every plan covers and does not (seed 000 "服务范围"), shown where a plan is chosen and
# where a case is opened.
PLAN_SCOPE = _obj(
    {
        "covers": {"type": "array", "items": TEXT, "minItems": 1},
        "excludes": {"type": "array", "items": TEXT, "minItems": 1},
    },
    ["covers", "excludes"],
)
FAQ = _obj({"question": TEXT, "answer": TEXT}, ["question", "answer"])

CATALOG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "supportplan plan catalog",
    **_obj(
        {
            "format": {"const": 1},
            "provider": _obj(
                {
                    "code": CODE,
                    "name": TEXT,
                    "description": TEXT,
                    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                    # the clouds a tenant's cloud accounts may be on (accounts.CloudAccount)
                    "clouds": {
                        "type": "array",
                        "items": _obj({"code": CODE, "name": TEXT}, ["code", "name"]),
                    },
                },
                ["code", "name", "currency"],
            ),
            "severities": {"type": "array", "items": SEVERITY, "minItems": 1},
            "channels": {"type": "array", "items": CHANNEL, "minItems": 1},
            "features": {"type": "array", "items": FEATURE},
            "services": {"type": "array", "items": SERVICE},
            "plans": {"type": "array", "items": PLAN, "minItems": 1},
            "third_party": _obj(
                {
                    "description": TEXT,
                    "categories": {
                        "type": "array",
                        "items": _obj({"code": CODE, "name": TEXT}, ["code", "name"]),
                    },
                    "software": {"type": "array", "items": SOFTWARE},
                },
                ["categories", "software"],
            ),
            "out_of_scope": {"type": "array", "items": OUT_OF_SCOPE, "minItems": 1},
            # optional, so catalog versions stored before they existed still read back
            "agreements": {"type": "array", "items": AGREEMENT, "minItems": 1},
            "plan_scope": PLAN_SCOPE,
            "faq": {"type": "array", "items": FAQ},
        },
        [
            "format",
            "provider",
            "severities",
            "channels",
            "features",
            "services",
            "plans",
            "third_party",
            "out_of_scope",
        ],
    ),
}
