"""Does Chinese text in a report render with a Chinese font, in matplotlib and in WeasyPrint?

A fresh machine whose matplotlib font cache predates the installed Noto CJK fonts draws
every Chinese chart label as boxes, silently. `cjk_fonts_problem()` answers that question
(rebuilding matplotlib's font list once if it does not know the font yet): the start-up
system check, the readiness check and the report generator all ask it, and a report whose
charts would fall back to a font without Chinese is failed with that reason.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import threading
from functools import lru_cache

from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

PROBE = "月度服务报告工单"
_lock = threading.Lock()
_ok: dict[str, bool] = {}


class FontMissing(Exception):
    """Chinese text would be drawn with a font that has no Chinese glyphs."""


def _families() -> list[str]:
    from . import charts

    return [f for f in charts.FONT_FAMILY if f not in ("sans-serif", "DejaVu Sans")]


def _matplotlib_font() -> str | None:
    """The file matplotlib uses for the charts' CJK family, if it has the probe glyphs."""
    from matplotlib import font_manager
    from matplotlib.font_manager import FontProperties

    for family in _families():
        try:
            path = font_manager.fontManager.findfont(
                FontProperties(family=family), fallback_to_default=False, rebuild_if_missing=False
            )
        except ValueError:
            continue
        font = font_manager.get_font(path)
        if all(font.get_char_index(ord(ch)) for ch in PROBE):
            return str(path)
    return None


def _rebuild_matplotlib_fonts() -> None:
    """The cache predates the font: rebuild it (written to disk for the next process) and
    add the system's font files to this process's font manager."""
    from matplotlib import font_manager

    fresh = font_manager._load_fontmanager(try_read_cache=False)  # type: ignore[attr-defined]
    known = {f.fname for f in font_manager.fontManager.ttflist}
    for entry in fresh.ttflist:
        if entry.fname not in known:
            try:
                font_manager.fontManager.addfont(entry.fname)
            except (OSError, RuntimeError, ValueError):  # an unreadable font file
                continue


def matplotlib_problem() -> str:
    """ "" when the charts' labels resolve to a font with Chinese glyphs, else the reason."""
    if _ok.get("matplotlib"):
        return ""
    with _lock:
        if _matplotlib_font() is None:
            log.warning("matplotlib does not resolve a CJK font: rebuilding its font cache")
            _rebuild_matplotlib_fonts()
        if _matplotlib_font() is None:
            return str(
                _(
                    "The charts have no font with Chinese characters: matplotlib finds none of "
                    "%(families)s. Install fonts-noto-cjk and restart."
                )
                % {"families": ", ".join(_families())}
            )
        _ok["matplotlib"] = True
    return ""


@lru_cache(maxsize=1)
def _zh_families() -> frozenset[str]:
    """Font families fontconfig knows to cover Chinese (normalised: no spaces or dashes)."""
    exe = shutil.which("fc-list")
    if exe is None:
        return frozenset()
    out = subprocess.run(
        [exe, ":lang=zh", "family"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    names = {n for line in out.splitlines() for n in line.split(",")}
    return frozenset(_norm(n) for n in names if n.strip())


def _norm(name: str) -> str:
    return re.sub(r"[\s\-_]", "", name).lower()


def weasyprint_problem() -> str:
    """ "" when WeasyPrint embeds a Chinese-capable font for the report's CJK text."""
    if _ok.get("weasyprint"):
        return ""
    from weasyprint import HTML

    family = ", ".join(f'"{f}"' for f in _families())
    pdf = HTML(string=f'<p style="font-family: {family}, sans-serif">{PROBE}</p>').write_pdf(
        uncompressed_pdf=True
    )
    embedded = [
        m.decode("latin-1").split("+", 1)[-1]
        for m in re.findall(rb"/BaseFont\s*/([^\s/]+)", pdf or b"")
    ]
    zh = _zh_families()
    good = [
        name
        for name in embedded
        if (any(_norm(name).startswith(f) for f in zh) if zh else "cjk" in name.lower())
    ]
    if not good:
        return str(
            _(
                "The PDF has no font with Chinese characters: WeasyPrint draws Chinese text with "
                "%(fonts)s. Install fonts-noto-cjk and restart."
            )
            % {"fonts": ", ".join(embedded) or "-"}
        )
    _ok["weasyprint"] = True
    return ""


def cjk_fonts_problem() -> str:
    """ "" when both renderers draw Chinese with a Chinese font; else what is wrong."""
    return matplotlib_problem() or weasyprint_problem()


def require_cjk_fonts() -> None:
    problem = cjk_fonts_problem()
    if problem:
        raise FontMissing(problem)


def forget() -> None:
    """Ask again next time (tests, and after fonts were installed)."""
    _ok.clear()
    _zh_families.cache_clear()
