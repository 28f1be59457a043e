"""Version specifiers for the third-party software catalog (pure, no Django).

The seeds write version ranges the way people do, not the way PEP 440 does:
``> 2.1``, ``≥ 2.4``, ``5.x``, ``5.6 and 5.7``, ``2.2+``, ``2008 R2 SP3``. A catalog
entry holds one or more *specifiers*; a version is supported when any of them matches.

Grammar of one specifier (whitespace around operators is ignored):

* ``*``                  any version (tools native on the provider's images)
* ``>V`` ``>=V`` ``<V`` ``<=V`` ``==V``   numeric comparison on the dotted numbers of V
* ``V+``                 the same as ``>=V`` (the seeds' "2.2+" / "2.2版本以上")
* ``N.x`` / ``N.N.x``    every version whose leading numbers are N / N.N
* ``V``                  a *release line*: the version's tokens start with V's tokens, so
                         ``5.6`` matches ``5.6.51`` and ``2008 R2 SP3`` matches
                         ``2008 R2 SP3`` but neither ``2008 R2`` nor ``2008 R2 SP2``.

Comparisons pad with zeros (``2.1.5 > 2.1``), which is how the seeds' "greater than 2.1"
reads for a patch release: 2.1.5 is later than 2.1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN_RE = re.compile(r"sp\d+|r\d+|\d+|[a-z]+")
_SPEC_RE = re.compile(
    r"""^\s*(?:
        (?P<any>\*)
      | (?P<op>>=|<=|==|>|<)\s*(?P<opver>\d+(?:\.\d+)*)
      | (?P<plus>\d+(?:\.\d+)*)\s*\+
      | (?P<wild>\d+(?:\.\d+)*)\.[xX*]
      | (?P<line>\d+(?:\.\d+)*(?:\s+(?:[Rr]\d+|[Ss][Pp]\s?\d+))*)
    )\s*$""",
    re.VERBOSE,
)


class InvalidSpecifier(ValueError):
    """A specifier string the grammar above does not accept."""


def tokens(version: str) -> tuple[str, ...]:
    """Normalised tokens of a version: lower case, "Service Pack 3" -> "sp3", "R2" kept."""
    text = version.lower().replace("service pack", "sp")
    text = re.sub(r"\bsp\s+(\d)", r"sp\1", text)
    return tuple(_TOKEN_RE.findall(text))


def numbers(version: str) -> tuple[int, ...]:
    """The leading dotted numbers of a version (``"5.7.33-log"`` -> ``(5, 7, 33)``)."""
    match = re.match(r"\s*v?(\d+(?:\.\d+)*)", version.lower())
    if not match:
        return ()
    return tuple(int(part) for part in match.group(1).split("."))


def _pad(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    width = max(len(a), len(b))
    return a + (0,) * (width - len(a)), b + (0,) * (width - len(b))


@dataclass(frozen=True)
class Specifier:
    """One parsed specifier; ``text`` is what the catalog file says, kept for display."""

    text: str
    kind: str  # "any" | "op" | "prefix_numbers" | "line"
    op: str = ""
    target_numbers: tuple[int, ...] = ()
    target_tokens: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Specifier:
        if not isinstance(text, str):
            raise InvalidSpecifier(f"version specifier must be a string, got {text!r}")
        match = _SPEC_RE.match(text)
        if not match:
            raise InvalidSpecifier(
                f"bad version specifier {text!r}: use '*', '>2.1', '>=2.4', '2.2+', '5.x', "
                "'5.6' or '2008 R2 SP3'"
            )
        if match.group("any"):
            return cls(text=text, kind="any")
        if match.group("op"):
            return cls(
                text=text,
                kind="op",
                op=match.group("op"),
                target_numbers=numbers(match.group("opver")),
            )
        if match.group("plus"):
            return cls(text=text, kind="op", op=">=", target_numbers=numbers(match.group("plus")))
        if match.group("wild"):
            return cls(
                text=text, kind="prefix_numbers", target_numbers=numbers(match.group("wild"))
            )
        return cls(text=text, kind="line", target_tokens=tokens(match.group("line")))

    @property
    def is_any(self) -> bool:
        return self.kind == "any"

    def matches(self, version: str | None) -> bool:
        if self.kind == "any":
            return True
        if not version or not version.strip():
            return False
        if self.kind == "op":
            have = numbers(version)
            if not have:
                return False
            left, right = _pad(have, self.target_numbers)
            return {
                ">": left > right,
                ">=": left >= right,
                "<": left < right,
                "<=": left <= right,
                "==": left == right,
            }[self.op]
        if self.kind == "prefix_numbers":
            have = numbers(version)
            return have[: len(self.target_numbers)] == self.target_numbers
        have_tokens = tokens(version)
        return have_tokens[: len(self.target_tokens)] == self.target_tokens


def parse_specifiers(texts: list[str] | tuple[str, ...]) -> tuple[Specifier, ...]:
    return tuple(Specifier.parse(t) for t in texts)


def any_matches(specifiers: tuple[Specifier, ...], version: str | None) -> bool:
    return any(spec.matches(version) for spec in specifiers)


def describe(specifiers: tuple[Specifier, ...]) -> str:
    """Human form of a specifier list: ``"5.6, 5.7"``, ``"any version"`` as ``"*"``."""
    return ", ".join(spec.text for spec in specifiers)


# --------------------------------------------------------------------------- installed versions
# The product's one grammar for the version of installed software (advisories, inventory):
# what `ssh -V`, `openssl version`, `SELECT VERSION()`, `uname -r` and dpkg print. Ordering
# is dpkg's (python-debian's ``version_compare``): digits compare as numbers, letters sort
# after the end of a part (9.8p1 > 9.8, 1.1.1w > 1.1.1), ``~`` sorts before everything
# (1.0~rc1 < 1.0). A trailing word after a hyphen names a build, not a release
# (5.7.44-log, 10.11.6-MariaDB, 5.15.0-91-generic) and is ignored. An epoch ("1:9.2p1-2")
# only counts when both sides carry one: an advisory's "<9.8p1" speaks of upstream releases.

_INSTALLED_RE = re.compile(
    r"(?:(?P<epoch>\d+):)?(?P<upstream>\d[0-9A-Za-z.+~]*)(?P<rest>(?:-[0-9A-Za-z.+~]+)*)"
)
_RANGE_RE = re.compile(r"^\s*(?P<op>==|!=|<=|>=|<|>|=)?\s*(?P<version>[^\s,]+)\s*$")


@dataclass(frozen=True)
class InstalledVersion:
    """A parsed version string; ``text`` is what was entered."""

    text: str
    epoch: int | None
    upstream: str
    revision: str

    @property
    def debian(self) -> str:
        return f"{self.upstream}-{self.revision}" if self.revision else self.upstream


def parse_installed(text: str | None) -> InstalledVersion | None:
    """The version in ``text`` (a product name before it is skipped: "OpenSSH_9.7p1",
    "nginx/1.24.0"), or None when it holds no version at all."""
    if not text:
        return None
    found = _INSTALLED_RE.search(text.strip())
    if not found:
        return None
    parts = [p for p in found.group("rest").split("-") if p]
    # build words (log, MariaDB, generic) end the version; "91" or "2+deb12u3" is a revision
    while parts and parts[-1].isalpha():
        parts.pop()
    epoch = found.group("epoch")
    return InstalledVersion(
        text=text,
        epoch=int(epoch) if epoch is not None else None,
        upstream=found.group("upstream").rstrip("."),
        revision="-".join(parts),
    )


def compare_installed(a: InstalledVersion, b: InstalledVersion) -> int:
    """-1, 0 or 1, in dpkg's order (see above)."""
    from debian.debian_support import version_compare

    if a.epoch is not None and b.epoch is not None and a.epoch != b.epoch:
        return -1 if a.epoch < b.epoch else 1
    # a side without a revision speaks of the upstream release only
    left, right = (a.debian, b.debian) if a.revision and b.revision else (a.upstream, b.upstream)
    result = version_compare(left, right)
    return (result > 0) - (result < 0)


@dataclass(frozen=True)
class RangeClause:
    op: str
    version: InstalledVersion
    wildcard: tuple[str, ...] = ()  # "==5.7.*": the leading parts that must be equal

    def holds(self, have: InstalledVersion) -> bool:
        if self.wildcard:
            equal = tuple(re.split(r"[.]", have.upstream))[: len(self.wildcard)] == self.wildcard
            return equal if self.op == "==" else not equal
        order = compare_installed(have, self.version)
        return {
            "==": order == 0,
            "!=": order != 0,
            "<": order < 0,
            "<=": order <= 0,
            ">": order > 0,
            ">=": order >= 0,
        }[self.op]


def parse_range(text: str) -> tuple[RangeClause, ...]:
    """An affected range: comma-separated clauses that must all hold ("<9.8p1",
    ">=8.5p1,<9.8p1", "==5.7.*", a bare "1.24.0" means ==). Empty: every version.
    Raises InvalidSpecifier naming the clause that is not a version range."""
    clauses = []
    for raw in text.split(",") if text.strip() else []:
        match = _RANGE_RE.match(raw)
        if not match:
            raise InvalidSpecifier(raw.strip())
        op = {"=": "==", None: "=="}.get(match.group("op"), match.group("op"))
        version_text = match.group("version")
        if version_text.endswith(".*"):
            if op not in ("==", "!="):
                raise InvalidSpecifier(raw.strip())
            prefix = version_text[:-2]
            parsed = parse_installed(prefix)
            if parsed is None:
                raise InvalidSpecifier(raw.strip())
            clauses.append(RangeClause(op, parsed, tuple(prefix.split("."))))
            continue
        version = parse_installed(version_text)
        if version is None or version.upstream != version_text.split(":")[-1].split("-")[0]:
            raise InvalidSpecifier(raw.strip())
        clauses.append(RangeClause(op, version))
    return tuple(clauses)


def in_range(clauses: tuple[RangeClause, ...], version: str | None) -> bool | None:
    """True/False, or None when ``version`` holds no version (reported as unknown)."""
    if not clauses:
        return True
    have = parse_installed(version)
    if have is None:
        return None
    return all(clause.holds(have) for clause in clauses)


__all__ = [
    "InstalledVersion",
    "InvalidSpecifier",
    "RangeClause",
    "Specifier",
    "any_matches",
    "compare_installed",
    "describe",
    "in_range",
    "numbers",
    "parse_installed",
    "parse_range",
    "parse_specifiers",
    "tokens",
]
