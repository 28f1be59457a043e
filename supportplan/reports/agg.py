"""matplotlib's Agg canvas, with text drawn from glyphs rendered once per thread.

Why by hand: since matplotlib 3.11 Agg draws text one glyph at a time, and for every glyph
of every label it sets the font size, builds a transform with numpy and has FreeType load,
hint and rasterise the glyph again. A report's charts draw about 300 labels, mostly the same
from one tenant to the next (days, tick values, metric names), and that was two thirds of
their drawing time (benchmarks/README.md). No library caches this; matplotlib has no hook.

`Canvas.draw` gives exactly the pixels of `FigureCanvasAgg.draw` (a test compares them):
- a label's layout (glyphs and their offsets) is kept per font properties, text, hinting,
  OpenType features, language and dpi, as FreeType would lay it out the same again;
- a glyph's bitmap is kept per font, size, dpi, glyph, angle, antialiasing, hinting and the
  fraction of a pixel it is placed at (FreeType's 1/64), and is drawn at the whole-pixel
  rest: moving an outline by whole pixels moves its bitmap by as many pixels, nothing else.
Mathtext goes the stock way. Both caches are per thread, like matplotlib's FT2Font objects,
and are emptied when they reach `LIMIT` entries, so memory stays bounded over a batch.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.font_manager import FontProperties, fontManager, get_font
from matplotlib.ft2font import FT2Font, RenderMode

LIMIT = 5_000  # entries per cache (~1.5 MB of glyphs); a report uses ~150 layouts, ~1,400 glyphs

# The private FreeType calls RendererAgg.draw_text makes since matplotlib 3.11; without them
# (an older matplotlib), the stock renderer is used.
SUPPORTED = all(hasattr(FT2Font, name) for name in ("_layout", "_set_transform", "_render_glyph"))

_local = threading.local()


Cache = dict[tuple[Any, ...], Any]


def caches() -> tuple[Cache, Cache, Cache]:
    """This thread's (layouts, glyphs, font heights)."""
    found: tuple[Cache, Cache, Cache] | None = getattr(_local, "caches", None)
    if found is None:
        found = _local.caches = ({}, {}, {})
    return found


def _remember(cache: Cache, key: tuple[Any, ...], value: Any) -> Any:
    if len(cache) >= LIMIT:
        cache.clear()
    cache[key] = value
    return value


def _font_key(prop: FontProperties) -> tuple[Any, ...]:
    # what FontProperties.__hash__ hashes: the properties that pick the font and its size
    return (
        tuple(prop.get_family()),
        prop.get_slant(),
        prop.get_variant(),
        prop.get_weight(),
        prop.get_stretch(),
        prop.get_size_in_points(),
        prop.get_file(),
        prop.get_math_fontfamily(),
    )


class Renderer(RendererAgg):
    def _get_font_height_metrics(
        self, prop: FontProperties
    ) -> tuple[float | None, float | None, float | None]:
        """The font's (ascent, descent, line gap) at its size, which `Text._get_layout` asks
        a renderer for before reading them from the font's tables itself (for every label,
        every time): read here the same way, once per font, size and dpi."""
        heights = caches()[2]
        key = (_font_key(prop), self.dpi)
        found = heights.get(key)
        if found is None:
            found = _remember(heights, key, _height_metrics(prop, self.dpi))
        return found  # type: ignore[no-any-return]

    def draw_text(  # type: ignore[override]
        self,
        gc: Any,
        x: float,
        y: float,
        s: str,
        prop: FontProperties,
        angle: float,
        ismath: bool | str = False,
        mtext: Any = None,
    ) -> None:
        if ismath:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        layouts, glyphs, _heights = caches()
        flags = get_hinting_flag()
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        size = prop.get_size_in_points()
        key = (_font_key(prop), s, flags, features, language, self.dpi)
        items = layouts.get(key)
        if items is None:
            font = self._prepare_font(prop)
            laid = font._layout(s, flags=flags, features=features, language=language)
            items = [(item.ft_object, item.glyph_index, item.x, item.y) for item in laid]
            _remember(layouts, key, items)
        cos = math.cos(math.radians(angle))
        sin = math.sin(math.radians(angle))
        antialiased = gc.get_antialiased()
        height = self.height
        matrix = None
        for ft, glyph_index, dx, dy in items:  # dy is upwards, as FreeType's y
            tx = round(0x40 * (x + dx * cos - dy * sin))
            ty = round(0x40 * (height - y + dx * sin + dy * cos))
            gkey = (ft, size, self.dpi, glyph_index, angle, antialiased, flags, tx & 63, ty & 63)
            drawn = glyphs.get(gkey)
            if drawn is None:
                if matrix is None:  # as RendererAgg: rotation, no slant, no extension
                    matrix = (0x10000 * np.array([[cos, -sin], [sin, cos]])).round().astype(int)
                ft.set_size(size, self.dpi)
                ft._set_transform(matrix, [tx & 63, ty & 63])
                bitmap = ft._render_glyph(
                    glyph_index, flags, RenderMode.NORMAL if antialiased else RenderMode.MONO
                )
                buffer = np.array(bitmap.buffer)  # a copy: the bitmap's memory is FreeType's
                if not antialiased:
                    buffer *= 0xFF
                drawn = _remember(glyphs, gkey, (buffer, bitmap.left, bitmap.top))
            buffer, left, top = drawn
            top += ty >> 6
            self._renderer.draw_text_image(
                buffer, left + (tx >> 6), int(height) - top + buffer.shape[0], 0, gc
            )
        return None


def _height_metrics(
    prop: FontProperties, dpi: float
) -> tuple[float | None, float | None, float | None]:
    # as matplotlib.text.Text._get_layout does when the renderer has no answer
    font = get_font(fontManager._find_fonts_by_props(prop))
    for table_name, gap_key, ascent_key, descent_key in (
        ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
        ("hhea", "lineGap", "ascent", "descent"),
    ):
        table: Any = font.get_sfnt_table(table_name)  # type: ignore[call-overload]
        if table is None:
            continue
        head: Any = font.get_sfnt_table("head")
        scale = 1 / head["unitsPerEm"] * prop.get_size_in_points() * dpi / 72
        return table[ascent_key] * scale, -table[descent_key] * scale, table[gap_key] * scale
    return None, None, None


class Canvas(FigureCanvasAgg):
    """FigureCanvasAgg drawing with `Renderer` (the stock renderer on an older matplotlib)."""

    def get_renderer(self) -> RendererAgg:
        if not SUPPORTED:
            return super().get_renderer()
        w, h = self.get_width_height(physical=True)
        key = (w, h, self.figure.dpi)
        if self._lastKey != key:
            self.renderer = Renderer(w, h, self.figure.dpi)
            self._lastKey = key
        return self.renderer
