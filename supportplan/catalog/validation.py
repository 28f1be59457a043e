"""Validate a catalog document and list *every* problem as ``file:path: message``.

Pure (no Django). Two passes over the same document, both always run so one load
reports everything at once:

1. the JSON Schema in `schema.py` (shapes, required fields, enums);
2. checks a schema cannot express: cross-references (a plan naming an unknown
   severity, channel, feature or service), duplicate codes, durations, version
   specifiers, paid/quota consistency, the one default plan.

The second pass tolerates wrong shapes (they are already reported by the first) so a
broken file never raises anything but the list of problems.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from .schema import CATALOG_SCHEMA, OTHER_CLOUD
from .versions import InvalidSpecifier, Specifier

Path = Sequence[str | int]

_DURATION_RE = re.compile(r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?$")
_PATTERN_HINTS = {
    r"^[a-z][a-z0-9_]*$": "must be a code: lower-case letters, digits and '_', starting with a letter",
    r"^(0|[1-9][0-9]*)(\.[0-9]{1,2})?$": 'must be a decimal amount written as a quoted string, e.g. "480" or "26000.00"',
    "^[A-Z]{3}$": "must be an ISO 4217 currency code such as CNY",
    r"^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s]*)?$": "must be an https:// address such as https://support.example.com/help",
    r"^[0-9A-Za-z][0-9A-Za-z._-]{0,19}$": "must be a version id of up to 20 letters, digits, '.', '_' or '-', such as 2026-01",
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "must be a date written YYYY-MM-DD, such as 2026-01-01",
}
# Human names for JSON types, with the fix for the usual YAML surprise (5.6 is a float).
_TYPE_HINTS = {
    "string": 'must be text; quote it in YAML (e.g. "5.6", "480")',
    "integer": "must be a whole number",
    "boolean": "must be true or false",
    "array": "must be a list",
    "object": "must be a mapping",
}


class CatalogInvalid(Exception):
    """The catalog was refused as a whole; `problems` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def parse_duration(text: str) -> timedelta:
    """``"10m"``, ``"3h"``, ``"1h30m"``, ``"2d"`` -> timedelta. Raises ValueError."""
    if not isinstance(text, str):
        raise ValueError(f"duration must be text like '30m' or '3h', got {text!r}")
    match = _DURATION_RE.match(text.strip())
    if not text.strip() or not match:
        raise ValueError(
            f"bad duration {text!r}: write minutes, hours or days like '10m', '3h', '1h30m', '2d'"
        )
    value = timedelta(
        days=int(match.group("d") or 0),
        hours=int(match.group("h") or 0),
        minutes=int(match.group("m") or 0),
    )
    if value <= timedelta(0):
        raise ValueError(f"duration {text!r} must be longer than zero")
    return value


def format_path(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


class _Problems:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.items: list[str] = []

    def add(self, path: Path, message: str) -> None:
        self.items.append(f"{self.filename}:{format_path(path)}: {message}")


# --------------------------------------------------------------------------- YAML


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that records duplicate mapping keys instead of silently keeping the last."""

    duplicates: list[tuple[int, str]]


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hashable = key in seen
        except TypeError:
            continue
        if hashable:
            loader.duplicates.append((key_node.start_mark.line + 1, str(key)))
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)


def load_yaml(text: str, filename: str) -> tuple[Any, list[str]]:
    """Parse YAML text. Returns (data, problems); data is None when the text is not YAML."""
    loader = _UniqueKeyLoader(text)
    loader.duplicates = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(top level)"
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [f"{filename}:{where}: not valid YAML: {problem}"]
    finally:
        loader.dispose()
    problems = [
        f"{filename}:line {line}: duplicate key '{key}' (YAML would silently keep only the last one)"
        for line, key in loader.duplicates
    ]
    return data, problems


# --------------------------------------------------------------------------- schema pass

_VALIDATOR = Draft202012Validator(CATALOG_SCHEMA)


def _schema_message(error: ValidationError) -> tuple[list[str | int], str]:
    path: list[str | int] = list(error.absolute_path)
    kind = error.validator
    if kind in ("oneOf", "anyOf") and error.context:
        return _schema_message(best_match(error.context))
    if kind == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        field = missing[0] if missing else error.message
        return path, f"missing required field '{field}'"
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        return path, (
            f"unknown field(s) {', '.join(repr(str(k)) for k in extra)}; allowed: {', '.join(allowed)}"
        )
    if kind == "type":
        expected = error.validator_value
        if isinstance(expected, str) and expected in _TYPE_HINTS:
            return path, f"{_TYPE_HINTS[expected]}, got {error.instance!r}"
    if kind == "pattern" and error.validator_value in _PATTERN_HINTS:
        return path, f"{error.instance!r} {_PATTERN_HINTS[error.validator_value]}"
    if kind == "enum":
        options = ", ".join(str(v) for v in error.validator_value)
        return path, f"{error.instance!r} is not one of: {options}"
    if kind == "const":
        return path, f"must be {error.validator_value!r} (this program reads catalog format 1)"
    return path, error.message


def _schema_pass(data: Any, out: _Problems) -> None:
    errors = sorted(_VALIDATOR.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        path, message = _schema_message(error)
        out.add(path, message)


# --------------------------------------------------------------------------- semantic pass


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _codes(section: Path, items: list[tuple[int, dict[str, Any]]], out: _Problems) -> set[str]:
    counts = Counter(item.get("code") for _, item in items if isinstance(item.get("code"), str))
    where = format_path(section)
    for i, item in items:
        code = item.get("code")
        if isinstance(code, str) and counts[code] > 1:
            out.add(
                [*section, i, "code"], f"duplicate code '{code}' (codes must be unique in {where})"
            )
    return {c for c in counts if isinstance(c, str)}


def _check_duration(value: Any, path: Path, out: _Problems) -> timedelta | None:
    if not isinstance(value, str):
        return None  # the schema pass reported it
    try:
        return parse_duration(value)
    except ValueError as exc:
        out.add(path, str(exc))
        return None


def _semantic_pass(data: Any, out: _Problems) -> None:
    if not isinstance(data, dict):
        return
    severities = _dicts(data.get("severities"))
    channels = _dicts(data.get("channels"))
    features = _dicts(data.get("features"))
    services = _dicts(data.get("services"))
    plans = _dicts(data.get("plans"))
    out_of_scope = _dicts(data.get("out_of_scope"))
    third_party = _dict(data.get("third_party"))
    categories = _dicts(third_party.get("categories"))
    software = _dicts(third_party.get("software"))

    severity_codes = _codes(["severities"], severities, out)
    channel_codes = _codes(["channels"], channels, out)
    feature_codes = _codes(["features"], features, out)
    service_codes = _codes(["services"], services, out)
    _codes(["plans"], plans, out)
    _codes(["out_of_scope"], out_of_scope, out)
    category_codes = _codes(["third_party", "categories"], categories, out)
    _codes(["third_party", "software"], software, out)

    orders = Counter(s.get("order") for _, s in severities if isinstance(s.get("order"), int))
    for i, sev in severities:
        if isinstance(sev.get("order"), int) and orders[sev["order"]] > 1:
            out.add(
                ["severities", i, "order"],
                f"duplicate order {sev['order']} (each severity needs its own place)",
            )
    api_codes = Counter(s.get("api_code") for _, s in severities if s.get("api_code"))
    for i, sev in severities:
        if sev.get("api_code") and api_codes[sev["api_code"]] > 1:
            out.add(
                ["severities", i, "api_code"],
                f"duplicate api_code {sev['api_code']} (each API severity code names one severity)",
            )

    channels_by_code = {c.get("code"): c for _, c in channels}
    services_by_code = {s.get("code"): s for _, s in services}

    for i, svc in services:
        base: list[str | int] = ["services", i]
        if "whole_days" in svc and svc.get("unit") != "natural_days":
            out.add([*base, "whole_days"], "whole_days only applies to unit natural_days")
        during = svc.get("during")
        if isinstance(during, dict) and "urgent_first_response" in during:
            _check_duration(
                during["urgent_first_response"], [*base, "during", "urgent_first_response"], out
            )

    ranks = Counter(p.get("rank") for _, p in plans if isinstance(p.get("rank"), int))
    provider = data.get("provider")
    if not isinstance(provider, dict):
        provider = {}
    cloud_codes = [c.get("code") for c in _list(provider.get("clouds")) if isinstance(c, dict)]
    provider_clouds = {c for c in cloud_codes if isinstance(c, str)}
    for j, code in enumerate(cloud_codes):
        if cloud_codes.count(code) > 1 and cloud_codes.index(code) != j:
            out.add(["provider", "clouds", j, "code"], f"duplicate cloud {code!r}")
        if code == OTHER_CLOUD:
            out.add(
                ["provider", "clouds", j, "code"],
                f"{OTHER_CLOUD!r} is built in (any other cloud); name a real cloud",
            )
    defaults = [i for i, p in plans if p.get("default") is True]
    if len(defaults) > 1:
        for i in defaults:
            out.add(["plans", i, "default"], "only one plan can be the default (free) plan")
    for i, plan in plans:
        base = ["plans", i]
        if isinstance(plan.get("rank"), int) and ranks[plan["rank"]] > 1:
            out.add(
                [*base, "rank"],
                f"duplicate rank {plan['rank']} (ranks order upgrades and downgrades)",
            )
        terms = _list(plan.get("billing_terms"))
        if plan.get("purchasable") is True and not terms:
            out.add(
                [*base, "billing_terms"],
                "a purchasable plan needs at least one billing term (monthly, annual)",
            )
        if plan.get("default") is True and plan.get("purchasable") is True:
            out.add(
                [*base, "default"],
                "the default plan is given to every customer, so it cannot also be purchasable",
            )
        granted_by = _list(plan.get("granted_by_clouds"))
        if granted_by and plan.get("default") is not True:
            out.add(
                [*base, "granted_by_clouds"],
                "only the default (free) plan is granted by a cloud account",
            )
        for j, cloud in enumerate(granted_by):
            if isinstance(cloud, str) and cloud not in provider_clouds:
                out.add(
                    [*base, "granted_by_clouds", j],
                    f"unknown cloud {cloud!r}: list it under provider.clouds first "
                    f"(known: {', '.join(sorted(provider_clouds)) or 'none'})",
                )
        price = plan.get("monthly_price")
        if plan.get("default") is True and isinstance(price, str) and price.strip("0.") != "":
            out.add([*base, "monthly_price"], 'the default (free) plan must cost "0"')

        seen_channels: set[str] = set()
        plan_channels = _list(plan.get("channels"))
        for j, entry in enumerate(plan_channels):
            code = (
                entry
                if isinstance(entry, str)
                else entry.get("code")
                if isinstance(entry, dict)
                else None
            )
            if not isinstance(code, str):
                continue
            path = [*base, "channels", j]
            if code not in channel_codes:
                out.add(
                    path, f"unknown channel '{code}' (known: {', '.join(sorted(channel_codes))})"
                )
                continue
            if code in seen_channels:
                out.add(path, f"channel '{code}' listed twice")
            seen_channels.add(code)
            dedicated = isinstance(entry, dict) and entry.get("dedicated") is True
            if dedicated and "dedicated_name" not in channels_by_code.get(code, {}):
                out.add(
                    path,
                    f"channel '{code}' has no dedicated_name, so it cannot be offered as dedicated",
                )

        plan_sevs = _dict(plan.get("severities"))
        for code, targets in plan_sevs.items():
            path = [*base, "severities", code]
            if code not in severity_codes:
                out.add(
                    path, f"unknown severity '{code}' (known: {', '.join(sorted(severity_codes))})"
                )
            if not isinstance(targets, dict):
                continue
            durations = {
                name: _check_duration(targets[name], [*path, name], out)
                for name in ("first_response", "next_response", "resolution")
                if name in targets
            }
            first, resolution = durations.get("first_response"), durations.get("resolution")
            if first and resolution and resolution < first:
                out.add(
                    [*path, "resolution"],
                    "resolution target is shorter than the first-response target",
                )

        plan_features = _list(plan.get("features"))
        for code, count in Counter(f for f in plan_features if isinstance(f, str)).items():
            if count > 1:
                out.add([*base, "features"], f"feature '{code}' listed twice")
        for j, code in enumerate(plan_features):
            if isinstance(code, str) and code not in feature_codes:
                out.add(
                    [*base, "features", j],
                    f"unknown feature '{code}' (known: {', '.join(sorted(feature_codes))})",
                )

        grants = _dict(plan.get("services"))
        for code, grant in grants.items():
            path = [*base, "services", code]
            if code not in service_codes:
                out.add(
                    path,
                    f"unknown service '{code}' (known: {', '.join(sorted(service_codes)) or 'none'})",
                )
            if not isinstance(grant, dict):
                continue
            service = services_by_code.get(code, {})
            if grant.get("paid") is True:
                if "quota" in grant:
                    out.add(
                        [*path, "quota"],
                        "a paid add-on has no quota (leave quota out or set paid: false)",
                    )
                if code in service_codes and "price" not in service:
                    out.add(path, f"service '{code}' is granted as paid but has no price")
            elif "quota" not in grant:
                out.add(
                    path,
                    "an included service needs a quota (times or days per year), or paid: true",
                )
            if "max_requests" in grant and "quota" not in grant:
                out.add([*path, "max_requests"], "max_requests only applies together with a quota")
            grant_terms = _list(grant.get("terms"))
            for term in grant_terms:
                if term in ("monthly", "annual") and terms and term not in terms:
                    out.add(
                        [*path, "terms"],
                        f"term '{term}' is not one of the plan's billing terms ({', '.join(terms)})",
                    )

    aliases: dict[str, str] = {}
    for i, sw in software:
        base = ["third_party", "software", i]
        if isinstance(sw.get("category"), str) and sw["category"] not in category_codes:
            out.add(
                [*base, "category"],
                f"unknown category '{sw['category']}' (known: {', '.join(sorted(category_codes))})",
            )
        for j, alias in enumerate(sw.get("aliases") or []):
            if not isinstance(alias, str):
                continue
            key = alias.strip().lower()
            owner = aliases.setdefault(key, str(sw.get("code")))
            if owner != sw.get("code"):
                out.add([*base, "aliases", j], f"alias '{alias}' is already used by '{owner}'")
        versions = _dict(sw.get("versions"))
        for platform, specs in versions.items():
            if not isinstance(specs, list):
                continue
            for j, spec in enumerate(specs):
                if not isinstance(spec, str):
                    continue  # the schema pass reported it
                try:
                    Specifier.parse(spec)
                except InvalidSpecifier as exc:
                    out.add([*base, "versions", platform, j], str(exc))
        if sw.get("native") is True and any(
            spec != "*" for specs in versions.values() if isinstance(specs, list) for spec in specs
        ):
            out.add([*base, "versions"], 'native tools are supported in any version: use ["*"]')

    _check_agreements(_dicts(data.get("agreements")), out)

    oos_codes = {o.get("code") for _, o in out_of_scope}
    if out_of_scope and "software_not_in_catalog" not in oos_codes:
        out.add(
            ["out_of_scope"],
            "missing the 'software_not_in_catalog' entry (its where_to_go is shown for out-of-scope software)",
        )


def _check_agreements(agreements: list[tuple[int, dict[str, Any]]], out: _Problems) -> None:
    seen: dict[str, int] = {}
    dates: dict[str, int] = {}
    for i, agreement in agreements:
        version, effective = agreement.get("version"), agreement.get("effective")
        if isinstance(version, str):
            if version in seen:
                out.add(
                    ["agreements", i, "version"],
                    f"duplicate agreement version '{version}' (also agreements[{seen[version]}])",
                )
            seen.setdefault(version, i)
        if isinstance(effective, str) and re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", effective):
            try:
                date.fromisoformat(effective)
            except ValueError:
                out.add(["agreements", i, "effective"], f"{effective!r} is not a real date")
                continue
            if effective in dates:
                out.add(
                    ["agreements", i, "effective"],
                    f"two agreement versions take effect on {effective} (also agreements[{dates[effective]}]); "
                    "which one is current would be ambiguous",
                )
            dates.setdefault(effective, i)


def validate(data: Any, filename: str) -> list[str]:
    """Every problem in the document, as ``file:path: message`` lines; [] when valid."""
    out = _Problems(filename)
    _schema_pass(data, out)
    _semantic_pass(data, out)
    return out.items
