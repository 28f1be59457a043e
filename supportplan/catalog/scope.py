"""Third-party software scope (SPEC §1.3): is a case about software X, version V on
platform P inside the provider's catalog? And which software does a free text mention?

Pure. Every answer carries a reason (and, when out of scope, where to go instead) in both
product languages, taken from the catalog where the catalog has the words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .domain import Catalog, Software, Text
from .versions import tokens

_PLATFORM_WORDS = {
    "linux": (
        "linux", "centos", "ubuntu", "debian", "rhel", "red hat", "redhat", "tencentos",
        "opencloudos", "euleros", "openeuler", "suse", "rocky", "almalinux", "alibaba cloud linux",
    ),
    "windows": ("windows", "win server", "windows server", "win2008", "win2012", "win2016", "win2019"),
}  # fmt: skip


def normalise_platform(text: str | None) -> str | None:
    """``"CentOS 7.9"`` -> ``"linux"``, ``"Windows Server 2019"`` -> ``"windows"``; None if unknown."""
    if not text:
        return None
    low = text.strip().lower()
    for platform, words in _PLATFORM_WORDS.items():
        if any(low == w or low.startswith(w) for w in words):
            return platform
    return None


@dataclass(frozen=True)
class ScopeResult:
    in_scope: bool
    # in_scope | not_in_catalog | unknown_platform | platform_not_supported | version_missing
    # | version_incomplete | version_not_supported
    reason_code: str
    entry: Software | None
    reason: Text
    where_to_go: Text | None  # None when in scope
    platform: str | None  # normalised
    matched: str | None  # the specifier that matched, e.g. ">2.1"


def _platform_names(platforms: tuple[str, ...]) -> Text:
    zh = {"linux": "Linux", "windows": "Windows"}
    return Text(
        zh_hans="、".join(zh[p] for p in platforms),
        en=" and ".join(zh[p] for p in platforms),
    )


def scope_check(
    catalog: Catalog, software: str, version: str | None, platform: str | None = None
) -> ScopeResult:
    """Is a case about `software` `version` on `platform` inside the provider's third-party
    catalog? Out-of-scope answers say why and where to go instead, in both languages."""
    away = catalog.out_of_scope_entry("software_not_in_catalog").where_to_go
    entry = catalog.find_software(software)
    version = version.strip() if version and version.strip() else None
    if entry is None:
        return ScopeResult(
            False, "not_in_catalog", None,
            Text(
                zh_hans=f"“{software}”不在{catalog.provider.name.zh_hans}的第三方软件支持目录中。",
                en=f"“{software}” is not in {catalog.provider.name.en}'s third-party software catalog.",
            ),
            away, None, None,
        )  # fmt: skip
    name = entry.name
    norm_platform = normalise_platform(platform)
    if platform and norm_platform is None:
        return ScopeResult(
            False, "unknown_platform", entry,
            Text(
                zh_hans=f"无法识别平台“{platform}”；请选择 Linux 或 Windows。",
                en=f"Unknown platform “{platform}”; choose Linux or Windows.",
            ),
            None, None, None,
        )  # fmt: skip
    if norm_platform and norm_platform not in entry.platforms:
        where = _platform_names(entry.platforms)
        return ScopeResult(
            False, "platform_not_supported", entry,
            Text(
                zh_hans=f"{name.zh_hans} 仅在 {where.zh_hans} 平台上属于支持范围。",
                en=f"{name.en} is supported on {where.en} only.",
            ),
            away, norm_platform, None,
        )  # fmt: skip
    specs = entry.specifiers_for(norm_platform)
    supported = ", ".join(s.text for s in specs)
    if all(s.is_any for s in specs):
        return ScopeResult(
            True, "in_scope", entry,
            Text(
                zh_hans=f"{name.zh_hans}（服务商镜像原生组件，任何版本）属于支持范围：{entry.scope.zh_hans}",
                en=f"{name.en} (native on the provider's images, any version) is in scope: {entry.scope.en}",
            ),
            None, norm_platform, "*",
        )  # fmt: skip
    if version is None:
        return ScopeResult(
            False, "version_missing", entry,
            Text(
                zh_hans=f"请填写 {name.zh_hans} 的版本号；支持的版本：{supported}。",
                en=f"Please give the {name.en} version; supported versions: {supported}.",
            ),
            None, norm_platform, None,
        )  # fmt: skip
    matched = next((s for s in specs if s.matches(version)), None)
    if matched is not None:
        return ScopeResult(
            True, "in_scope", entry,
            Text(
                zh_hans=f"{name.zh_hans} {version} 属于支持范围（支持的版本：{supported}）：{entry.scope.zh_hans}",
                en=f"{name.en} {version} is in scope (supported versions: {supported}): {entry.scope.en}",
            ),
            None, norm_platform, matched.text,
        )  # fmt: skip
    have = tokens(version)
    longer = [s for s in specs if s.kind == "line" and s.target_tokens[: len(have)] == have]
    if longer:
        # "SQL Server 2012" when only "2012 SP3" is supported: ask, do not refuse.
        options = ", ".join(s.text for s in longer)
        return ScopeResult(
            False, "version_incomplete", entry,
            Text(
                zh_hans=f"支持的是 {name.zh_hans} {options}；请补充完整版本（如 SP 补丁级别）。",
                en=f"{name.en} {options} is supported; please give the full version (e.g. the service pack).",
            ),
            None, norm_platform, None,
        )  # fmt: skip
    return ScopeResult(
        False, "version_not_supported", entry,
        Text(
            zh_hans=f"{name.zh_hans} {version} 不在支持的版本范围内（支持的版本：{supported}）。",
            en=f"{name.en} {version} is outside the supported versions ({supported}).",
        ),
        away, norm_platform, None,
    )  # fmt: skip


@dataclass(frozen=True)
class Detection:
    software: Software
    version: str | None
    platform: str | None
    start: int  # offset in the text, for highlighting
    matched: str  # the text that named the software


_VERSION_AFTER = re.compile(
    r"""^[\s/:：\-(（]*(?:version|ver\.?|v|版本号?)?[\s:：]*
        (?P<v>\d+(?:\.\d+)*(?:\.[xX])?(?:\s*[Rr]\d+)?(?:\s*(?:[Ss][Pp]|service\s+pack)\s*\d+)?)""",
    re.VERBOSE | re.IGNORECASE,
)


def _alias_pattern(alias: str) -> re.Pattern[str]:
    escaped = r"\s*".join(re.escape(part) for part in alias.lower().split())
    if alias.isascii():
        # A digit may follow ("IIS7.5", "mysql5.7"); a letter may not ("sshd" is not "ssh").
        return re.compile(rf"(?<![a-z0-9]){escaped}(?![a-z])")
    return re.compile(escaped)


def _detect_platform(text: str) -> str | None:
    found = set()
    for platform, words in _PLATFORM_WORDS.items():
        for word in words:
            if re.search(rf"(?<![a-z0-9]){re.escape(word)}", text):
                found.add(platform)
    return found.pop() if len(found) == 1 else None


def detect_software(catalog: Catalog, text: str) -> tuple[Detection, ...]:
    """Find catalog software named in free text, with the version written after it.

    Used to prefill a case's software/version/platform fields, which the user confirms.
    Each software is reported once (its first mention), in the order they appear.
    """
    low = text.lower()
    platform = _detect_platform(low)
    found: list[Detection] = []
    for sw in catalog.software:
        mentions: list[Detection] = []
        for alias in sw.aliases:
            for match in _alias_pattern(alias).finditer(low):
                after = _VERSION_AFTER.match(text[match.end() :])
                version = re.sub(r"\s+", " ", after.group("v")).strip() if after else None
                mentions.append(
                    Detection(
                        sw, version, platform, match.start(), text[match.start() : match.end()]
                    )
                )
        if mentions:
            mentions.sort(key=lambda d: d.start)
            # The first mention that carries a version, else the first mention.
            found.append(next((d for d in mentions if d.version), mentions[0]))
    return tuple(sorted(found, key=lambda d: d.start))
