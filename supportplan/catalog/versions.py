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


__all__ = [
    "InvalidSpecifier",
    "Specifier",
    "any_matches",
    "describe",
    "numbers",
    "parse_specifiers",
    "tokens",
]
