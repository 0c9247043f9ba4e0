"""The map drawn as one picture: stages across, the emotion curve, then the swimlanes.

``draw(document, rows)`` lays the map out once as a list of shapes (rectangles, lines, text with
its position already wrapped and measured); ``to_svg``, ``to_pdf`` and ``to_png`` only paint those
shapes, so the three exports are the same picture. Text is measured with the fonts the PDF and
PNG embed (FreeType through Pillow), and a string with Chinese characters is set in Noto Sans CJK,
every other string in Noto Sans (Latin, Latvian, Cyrillic):

- PDF (reportlab) embeds TrueType outlines only; Noto Sans CJK ships PostScript (CFF) outlines,
  so the characters a document uses are cut from it with fontTools and converted to TrueType
  quadratics for that document (a few dozen glyphs, not the 65,000 of the font).
- PNG (Pillow) reads the CJK font as it is.
- SVG names the same families and leaves the fonts to the reader's browser.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils.translation import get_language, gettext

logger = logging.getLogger(__name__)

INK = "#1f2937"
MUTED = "#5b6472"
BORDER = "#d9dde5"
SURFACE = "#f7f8fa"
ACCENT = "#4f46e5"
TONES = {"negative": "#b42318", "positive": "#0f7b45", "warning": "#8a5a00", "": "#9aa3b2"}

MARGIN = 28
LABEL_W = 150
COL_W = 210
PAD = 8
CURVE_H = 150
TITLE_SIZE = 20
STAGE_SIZE = 13
ITEM_SIZE = 10.5
DETAIL_SIZE = 9
MAX_ITEM_LINES = 4

_CJK = re.compile(
    r"[\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
)


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def runs(text: str) -> list[tuple[str, str]]:
    """Split ``text`` into runs set in one font each: ("cjk", "漏斗頂部："), ("latin", "Rīga")."""
    out: list[tuple[str, str]] = []
    for char in text:
        kind = "cjk" if _CJK.match(char) else "" if char.isspace() else "latin"
        if out and (kind == "" or kind == out[-1][0]):
            out[-1] = (out[-1][0], out[-1][1] + char)
        elif out and out[-1][1].isspace() and out[-1][0] == "":
            out[-1] = (kind, out[-1][1] + char)
        else:
            out.append((kind, char))
    return [(kind or "latin", part) for kind, part in out]


# --- fonts ------------------------------------------------------------------------------------


def latin_font_path() -> str:
    import fontpkg_noto_sans

    return str(fontpkg_noto_sans.ROOT / "files" / "NotoSans[wdth,wght].ttf")


def cjk_font() -> tuple[str, int] | None:
    """Return the Noto Sans CJK collection and the index of the face for the reader's language, or None."""
    for candidate in getattr(settings, "EXPORT_CJK_FONTS", []):
        if Path(candidate).exists():
            return candidate, _cjk_face(candidate, get_language() or "")
    return None


@functools.cache
def _cjk_faces(path: str) -> dict[str, int]:
    from fontTools.ttLib import TTCollection

    if not path.lower().endswith((".ttc", ".otc")):
        return {}
    faces = {}
    with TTCollection(path, lazy=True) as collection:
        for i, font in enumerate(collection.fonts):
            faces[font["name"].getDebugName(1) or ""] = i
    return faces


def _cjk_face(path: str, language: str) -> int:
    faces = _cjk_faces(path)
    wanted = "Noto Sans CJK SC" if language.lower().startswith("zh-hans") else "Noto Sans CJK TC"
    return faces.get(wanted, 0)


@functools.lru_cache(maxsize=64)
def _pil_font(kind: str, size: float):
    from PIL import ImageFont

    if kind == "cjk":
        found = cjk_font()
        if found:
            return ImageFont.truetype(found[0], size=size, index=found[1])
    return ImageFont.truetype(latin_font_path(), size=size)


def text_width(text: str, size: float) -> float:
    return sum(_pil_font(kind, size).getlength(part) for kind, part in runs(text))


# --- layout -----------------------------------------------------------------------------------


@dataclass
class Drawing:
    width: float
    height: float
    shapes: list[tuple] = field(default_factory=list)
    title: str = ""

    def rect(self, x, y, w, h, *, fill=None, stroke=None, radius=0.0):
        self.shapes.append(("rect", x, y, w, h, fill, stroke, radius))

    def line(self, x1, y1, x2, y2, *, color=BORDER, width=1.0, dash=False):
        self.shapes.append(("line", x1, y1, x2, y2, color, width, dash))

    def path(self, points, *, color=ACCENT, width=2.0):
        self.shapes.append(("path", tuple(points), color, width))

    def circle(self, cx, cy, r, *, fill):
        self.shapes.append(("circle", cx, cy, r, fill))

    def text(self, x, y, text, *, size, color=INK, anchor="start"):
        """Put one line of ``text`` with its baseline at ``y``."""
        self.shapes.append(("text", x, y, text, size, color, anchor))

    def texts(self) -> list[str]:
        return [s[3] for s in self.shapes if s[0] == "text"]


_TOKENS = re.compile(r"\s+|[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+")


@functools.lru_cache(maxsize=100_000)
def _token_width(token: str, size: float) -> float:
    # Lines are measured as the sum of their words (kerning between words is nil in these fonts),
    # so each word is measured once per size however often it is tried on a line.
    return text_width(token, size)


def wrap(text: str, size: float, width: float, max_lines: int = 0) -> list[str]:
    """Break ``text`` into lines no wider than ``width``: at spaces, or between CJK characters."""
    lines: list[str] = []
    for paragraph in (text or "").splitlines() or [""]:
        line, used = "", 0.0
        for token in _TOKENS.findall(paragraph):
            w = _token_width(token, size)
            if used + w <= width:
                line, used = line + token, used + w
            elif token.isspace():
                continue
            elif w <= width:
                lines.append(line.rstrip())
                line, used = token, w
            else:
                # One word longer than the line: cut it where it no longer fits.
                for char in token:
                    cw = _token_width(char, size)
                    if used + cw > width and line.strip():
                        lines.append(line.rstrip())
                        line, used = "", 0.0
                    line, used = line + char, used + cw
        lines.append(line.rstrip())
    if max_lines and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and text_width(last + "…", size) > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def _item_height(item, width: float) -> tuple[list[str], list[str], float]:
    main = wrap(item.text, ITEM_SIZE, width, MAX_ITEM_LINES)
    detail = wrap(item.detail, DETAIL_SIZE, width, 2) if item.detail else []
    return main, detail, len(main) * 14 + len(detail) * 12 + 2 * 5


def draw(document: dict, rows: list, *, subtitle: str = "") -> Drawing:
    """Lay out ``document`` (its stages and emotion curve) with the swimlane ``rows`` under it."""
    stages = document.get("stages", [])
    n = max(1, len(stages))
    width = MARGIN * 2 + LABEL_W + COL_W * n
    d = Drawing(width=width, height=0, title=document.get("map", {}).get("title", ""))
    y = MARGIN

    # Title and subtitle.
    for line in wrap(d.title, TITLE_SIZE, width - 2 * MARGIN, 2):
        y += TITLE_SIZE * 1.3
        d.text(MARGIN, y, line, size=TITLE_SIZE)
    if subtitle:
        y += 18
        d.text(MARGIN, y, subtitle, size=10, color=MUTED)
    y += 16
    left = MARGIN + LABEL_W

    # Stage headers.
    headers = [wrap(s["name"], STAGE_SIZE, COL_W - 2 * PAD - 4, 3) for s in stages]
    header_h = max([len(h) for h in headers] or [1]) * 17 + 2 * PAD
    d.text(MARGIN, y + PAD + 13, gettext("Stages"), size=10, color=MUTED)
    for i, lines in enumerate(headers):
        x = left + i * COL_W
        d.rect(x + 2, y, COL_W - 4, header_h, fill=ACCENT, radius=6)
        for j, line in enumerate(lines):
            d.text(x + PAD + 2, y + PAD + 13 + j * 17, line, size=STAGE_SIZE, color="#ffffff")
    y += header_h + 10

    # The emotion curve: a band with one row per score, the touchpoints spread in their stage.
    axis = [
        (2, gettext("Delighted")),
        (1, gettext("Positive")),
        (0, gettext("Neutral")),
        (-1, gettext("Uneasy")),
        (-2, gettext("Frustrated")),
    ]
    top, inner = y + 14, CURVE_H - 28
    d.rect(left, y, COL_W * n, CURVE_H, fill=SURFACE, stroke=BORDER, radius=6)
    d.text(MARGIN, y + 14, gettext("Emotion curve"), size=10, color=MUTED)

    def score_y(score: float) -> float:
        return top + (2 - score) / 4 * inner

    for score, label in axis:
        yy = score_y(score)
        d.line(left, yy, left + COL_W * n, yy, color=BORDER, dash=score != 0)
        d.text(left - 6, yy + 3, f"{score:+d} {label}" if score else f"0 {label}", size=8, color=MUTED, anchor="end")
    points = []
    for i, stage in enumerate(stages):
        tps = stage.get("touchpoints", [])
        for j, tp in enumerate(tps):
            points.append((left + i * COL_W + COL_W * (j + 0.5) / len(tps), score_y(tp["emotion"]), tp["emotion"]))
        if i:
            d.line(left + i * COL_W, y, left + i * COL_W, y + CURVE_H, color=BORDER)
    if len(points) > 1:
        d.path([(px, py) for px, py, _ in points], color=ACCENT, width=2)
    for px, py, score in points:
        tone = "negative" if score < 0 else "positive" if score > 0 else ""
        d.circle(px, py, 4.5, fill=TONES[tone])
    if not points:
        d.text(
            left + PAD,
            y + CURVE_H / 2,
            gettext("The curve appears once the map has touchpoints."),
            size=10,
            color=MUTED,
        )
    y += CURVE_H + 10

    # The lanes: a row each, its height that of its fullest cell.
    inner_w = COL_W - 2 * PAD - 10
    for row in rows:
        laid = [[_item_height(item, inner_w) for item in cell] for cell in row.cells]
        title_lines = wrap(row.title, 11, LABEL_W - 2 * PAD, 4)
        content = max([sum(h for _, _, h in cell) + 6 * max(0, len(cell) - 1) for cell in laid] or [0])
        row_h = max(content + 2 * PAD, len(title_lines) * 15 + 2 * PAD, 44)
        d.rect(MARGIN, y, LABEL_W - 6, row_h, fill=SURFACE, stroke=BORDER, radius=6)
        for j, line in enumerate(title_lines):
            d.text(MARGIN + PAD, y + PAD + 11 + j * 15, line, size=11)
        for i, cell in enumerate(laid):
            x = left + i * COL_W
            d.rect(x + 2, y, COL_W - 4, row_h, stroke=BORDER, radius=6)
            cy = y + PAD
            for (main, detail, h), item in zip(cell, row.cells[i], strict=True):
                d.rect(x + PAD, cy, COL_W - 2 * PAD, h, fill=SURFACE, radius=4)
                d.rect(x + PAD, cy, 3, h, fill=TONES.get(item.tone, TONES[""]))
                ty = cy + 5
                for line in main:
                    ty += 14
                    d.text(x + PAD + 8, ty - 3, line, size=ITEM_SIZE)
                for line in detail:
                    ty += 12
                    d.text(x + PAD + 8, ty - 3, line, size=DETAIL_SIZE, color=MUTED)
                cy += h + 6
        y += row_h + 8

    d.height = y + MARGIN - 8
    return d


# --- painters ---------------------------------------------------------------------------------

SVG_FONTS = "'Noto Sans', 'Noto Sans CJK TC', 'Noto Sans CJK SC', sans-serif"


def to_svg(d: Drawing) -> str:
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{d.width:.0f}" height="{d.height:.0f}" '
        f'viewBox="0 0 {d.width:.0f} {d.height:.0f}" role="img" font-family="{escape(SVG_FONTS)}">',
        f"<title>{escape(d.title)}</title>",
        f'<rect width="{d.width:.0f}" height="{d.height:.0f}" fill="#ffffff"/>',
    ]
    for shape in d.shapes:
        kind = shape[0]
        if kind == "rect":
            _, x, y, w, h, fill, stroke, r = shape
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{r}" '
                f'fill="{fill or "none"}" stroke="{stroke or "none"}"/>'
            )
        elif kind == "line":
            _, x1, y1, x2, y2, color, width, dash = shape
            extra = ' stroke-dasharray="3 3"' if dash else ""
            out.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{color}" '
                f'stroke-width="{width}"{extra}/>'
            )
        elif kind == "path":
            _, points, color, width = shape
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            out.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="{width}"/>')
        elif kind == "circle":
            _, cx, cy, r, fill = shape
            out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r}" fill="{fill}"/>')
        elif kind == "text":
            _, x, y, text, size, color, anchor = shape
            out.append(
                f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{color}" text-anchor="{anchor}">'
                f"{escape(text)}</text>"
            )
    out.append("</svg>")
    return "\n".join(out)


@functools.lru_cache(maxsize=32)
def _cjk_subset_ttf(chars: str, path: str, index: int) -> bytes:
    """Return a TrueType font holding only ``chars`` of the CJK collection (CFF outlines converted)."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    # fontTools reports every step of a subset at INFO; the project's logging would print them all.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    font = TTFont(path, fontNumber=index, lazy=True)
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.desubroutinize = True
    options.notdef_outline = True
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    if "CFF " in font:
        glyph_set = font.getGlyphSet()
        glyf = newTable("glyf")
        glyf.glyphOrder = font.getGlyphOrder()
        glyf.glyphs = {}
        for name in glyf.glyphOrder:
            pen = TTGlyphPen(glyph_set)
            glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
            glyf[name] = pen.glyph()
        font["glyf"] = glyf
        font["loca"] = newTable("loca")
        maxp = newTable("maxp")
        maxp.tableVersion = 0x00010000
        for attr in (
            "maxZones",
            "maxTwilightPoints",
            "maxStorage",
            "maxFunctionDefs",
            "maxInstructionDefs",
            "maxStackElements",
            "maxSizeOfInstructions",
            "maxComponentElements",
        ):
            setattr(maxp, attr, 0)
        maxp.maxZones = 1
        font["maxp"] = maxp
        for tag in ("CFF ", "VORG"):
            if tag in font:
                del font[tag]
        font["head"].glyphDataFormat = 0
        font["post"].formatType = 2.0
        font["post"].extraNames = []
        font["post"].mapping = {}
        font.sfntVersion = "\x00\x01\x00\x00"
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _pdf_fonts(d: Drawing) -> tuple[str, str]:
    """Register the fonts this drawing needs with reportlab; return (latin, cjk) font names."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    if "WMNotoSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("WMNotoSans", latin_font_path()))
    chars = "".join(sorted({c for t in d.texts() for kind, part in runs(t) if kind == "cjk" for c in part}))
    if not chars:
        return "WMNotoSans", "WMNotoSans"
    found = cjk_font()
    if found is None:
        # No CJK font on this machine: name a standard CJK font the reader's viewer supplies.
        logger.warning("No Noto Sans CJK font found (EXPORT_CJK_FONTS); the PDF relies on the viewer's CJK font.")
        name = "STSong-Light" if (get_language() or "").startswith("zh-hans") else "MSung-Light"
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(name))
        return "WMNotoSans", name
    data = _cjk_subset_ttf(chars, *found)
    name = "WMCJK-" + hashlib.sha1(data, usedforsecurity=False).hexdigest()[:12]
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, io.BytesIO(data)))
    return "WMNotoSans", name


def to_pdf(d: Drawing) -> bytes:
    """Return the drawing as a one-page PDF the size of the map (text as text, fonts embedded)."""
    from reportlab.lib.colors import HexColor
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen import canvas as pdf_canvas

    latin, cjk = _pdf_fonts(d)
    out = io.BytesIO()
    c = pdf_canvas.Canvas(out, pagesize=(d.width, d.height), pageCompression=1)
    c.setTitle(d.title)
    c.setCreator("Waymark")
    height = d.height
    for shape in d.shapes:
        kind = shape[0]
        if kind == "rect":
            _, x, y, w, h, fill, stroke, r = shape
            if fill:
                c.setFillColor(HexColor(fill))
            if stroke:
                c.setStrokeColor(HexColor(stroke))
            if r:
                c.roundRect(x, height - y - h, w, h, r, stroke=1 if stroke else 0, fill=1 if fill else 0)
            else:
                c.rect(x, height - y - h, w, h, stroke=1 if stroke else 0, fill=1 if fill else 0)
        elif kind == "line":
            _, x1, y1, x2, y2, color, width, dash = shape
            c.setStrokeColor(HexColor(color))
            c.setLineWidth(width)
            c.setDash(3, 3) if dash else c.setDash()
            c.line(x1, height - y1, x2, height - y2)
            c.setDash()
        elif kind == "path":
            _, points, color, width = shape
            c.setStrokeColor(HexColor(color))
            c.setLineWidth(width)
            p = c.beginPath()
            p.moveTo(points[0][0], height - points[0][1])
            for x, y in points[1:]:
                p.lineTo(x, height - y)
            c.drawPath(p, stroke=1, fill=0)
        elif kind == "circle":
            _, cx, cy, r, fill = shape
            c.setFillColor(HexColor(fill))
            c.circle(cx, height - cy, r, stroke=0, fill=1)
        elif kind == "text":
            _, x, y, text, size, color, anchor = shape
            c.setFillColor(HexColor(color))
            parts = [(cjk if kind == "cjk" else latin, part) for kind, part in runs(text)]
            widths = [pdfmetrics.stringWidth(part, font, size) for font, part in parts]
            x = x - sum(widths) if anchor == "end" else x
            for (font, part), w in zip(parts, widths, strict=True):
                c.setFont(font, size)
                c.drawString(x, height - y, part)
                x += w
    c.showPage()
    c.save()
    return out.getvalue()


# Keep a big map's PNG under this many pixels by lowering the scale (memory, not looks).
PNG_MAX_PIXELS = 12_000_000


def to_png(d: Drawing, *, scale: float = 2.0) -> bytes:
    """Return the drawing as a PNG painted by Pillow at ``scale`` (2: sharp on high-density screens)."""
    from PIL import Image, ImageDraw

    scale = min(scale, (PNG_MAX_PIXELS / max(1.0, d.width * d.height)) ** 0.5)
    image = Image.new("RGB", (round(d.width * scale), round(d.height * scale)), "#ffffff")
    g = ImageDraw.Draw(image)

    def s(v):
        return v * scale

    for shape in d.shapes:
        kind = shape[0]
        if kind == "rect":
            _, x, y, w, h, fill, stroke, r = shape
            box = [s(x), s(y), s(x + w), s(y + h)]
            g.rounded_rectangle(box, radius=s(r), fill=fill, outline=stroke, width=max(1, round(scale)))
        elif kind == "line":
            _, x1, y1, x2, y2, color, width, dash = shape
            if dash:
                step = 6
                length = max(abs(x2 - x1), abs(y2 - y1))
                for k in range(0, int(length), step):
                    t0, t1 = k / length, min(1, (k + step / 2) / length)
                    g.line(
                        [
                            s(x1 + (x2 - x1) * t0),
                            s(y1 + (y2 - y1) * t0),
                            s(x1 + (x2 - x1) * t1),
                            s(y1 + (y2 - y1) * t1),
                        ],
                        fill=color,
                        width=max(1, round(width * scale)),
                    )
            else:
                g.line([s(x1), s(y1), s(x2), s(y2)], fill=color, width=max(1, round(width * scale)))
        elif kind == "path":
            _, points, color, width = shape
            g.line([(s(x), s(y)) for x, y in points], fill=color, width=max(1, round(width * scale)), joint="curve")
        elif kind == "circle":
            _, cx, cy, r, fill = shape
            g.ellipse([s(cx - r), s(cy - r), s(cx + r), s(cy + r)], fill=fill)
        elif kind == "text":
            _, x, y, text, size, color, anchor = shape
            parts = [(_pil_font(kind, size * scale), part) for kind, part in runs(text)]
            widths = [font.getlength(part) for font, part in parts]
            left = s(x) - sum(widths) if anchor == "end" else s(x)
            for (font, part), w in zip(parts, widths, strict=True):
                g.text((left, s(y)), part, font=font, fill=color, anchor="ls")
                left += w
    out = io.BytesIO()
    # Fast compression: a big map's PNG is written in a fraction of the time for a slightly larger file.
    image.save(out, format="PNG", optimize=False, compress_level=1)
    return out.getvalue()


FORMATS = {
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "png": "image/png",
}


def render(document: dict, rows: list, fmt: str, *, subtitle: str = "") -> bytes:
    """Return the map drawn as ``fmt`` (svg, pdf or png)."""
    drawing = draw(document, rows, subtitle=subtitle)
    if fmt == "svg":
        return to_svg(drawing).encode()
    if fmt == "pdf":
        return to_pdf(drawing)
    if fmt == "png":
        return to_png(drawing)
    raise ValueError(fmt)
