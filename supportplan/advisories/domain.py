"""Which tenants an advisory concerns (our rule, docs/notifications.md), as pure functions.

An advisory names what it affects: clouds, regions, software (with version ranges) and
products. A tenant matches when EVERY dimension the advisory names matches (any item within
a dimension is enough); a dimension the advisory leaves empty does not narrow it. So an
advisory naming nothing (e.g. a new product) reaches every tenant.

- clouds: the tenant has a cloud account, or a registered system, on one of the clouds;
- regions: a cloud account on a named cloud (any cloud if none is named) lists one of the
  regions, or lists no regions at all (unknown regions count as affected: we would rather
  tell one customer too many than one too few);
- software: an inventory item with the same name (case, spaces and dashes ignored) whose
  version lies in the range; an item without a version, or with one that cannot be parsed,
  counts as affected for the same reason;
- products are shown to people but not matched (the platform keeps no product inventory).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from supportplan.catalog.versions import InvalidSpecifier, in_range, parse_range


def norm(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", name).casefold()


@dataclass(frozen=True)
class SoftwareRange:
    name: str
    versions: str = ""  # a range such as "<9.8p1" or ">=8.5p1,<9.8p1" or "==5.7.*"; empty: all

    def covers(self, name: str, version: str) -> bool | None:
        """True/False, or None when the version cannot be judged (reported as unknown)."""
        if norm(name) != norm(self.name):
            return False
        try:
            return in_range(parse_range(self.versions), version)
        except InvalidSpecifier:
            return None


def spec_problem(versions: str) -> str | None:
    try:
        parse_range(versions)
    except InvalidSpecifier:
        return versions
    return None


@dataclass(frozen=True)
class Scope:
    clouds: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    software: tuple[SoftwareRange, ...] = ()


@dataclass(frozen=True)
class CloudAccount:
    cloud: str
    regions: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Profile:
    """What a tenant runs, as far as the platform knows."""

    accounts: tuple[CloudAccount, ...] = ()
    system_clouds: frozenset[str] = frozenset()
    software: tuple[tuple[str, str], ...] = ()  # (name, version)


@dataclass(frozen=True)
class Match:
    matched: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)
    # software whose version could not be judged ("OpenSSH ?"): never counted as affected
    unknown: tuple[str, ...] = field(default_factory=tuple)


def match(scope: Scope, profile: Profile) -> Match:
    reasons: list[str] = []
    if scope.clouds:
        clouds = {a.cloud for a in profile.accounts} | set(profile.system_clouds)
        hit = sorted(clouds & scope.clouds)
        if not hit:
            return Match(False)
        reasons.append("cloud:" + ",".join(hit))
    if scope.regions:
        accounts = [a for a in profile.accounts if not scope.clouds or a.cloud in scope.clouds]
        known = sorted({r for a in accounts for r in a.regions} & scope.regions)
        unknown = any(not a.regions for a in accounts)
        if known:
            reasons.append("region:" + ",".join(known))
        elif unknown:
            reasons.append("region:unknown")
        else:
            return Match(False)
    unjudged: list[str] = []
    if scope.software:
        hits: list[str] = []
        for rng in scope.software:
            for name, version in profile.software:
                verdict = rng.covers(name, version)
                if verdict is True:
                    hits.append(f"{name} {version}".strip())
                elif verdict is None:
                    unjudged.append(f"{name} {version or '?'}".strip())
        if not hits:
            return Match(False, unknown=tuple(sorted(set(unjudged))))
        reasons.append("software:" + ", ".join(sorted(set(hits))))
    if not reasons:
        reasons.append("all tenants")
    return Match(True, tuple(reasons), tuple(sorted(set(unjudged))))
