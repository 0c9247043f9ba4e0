"""Text for the search index: one normalisation, one tokenisation, for both databases.

Both engines index the terms this module writes, not the raw text, so PostgreSQL's full text
search and SQLite's FTS5 find the same rows:

- **Case and diacritics** fold in Python (NFKD, combining marks dropped, NFC, casefold): "Piegāde"
  is found by "piegade", "ДОСТАВКА" by "доставка", fullwidth "ＮＰＳ" by "nps". It is what
  PostgreSQL's ``unaccent`` does, and the same on SQLite, where there is no ``unaccent``.
- **Chinese and Japanese** are written without spaces, so a word tokenizer sees a whole sentence
  as one token. Each run of Han, Hiragana or Katakana is indexed as its overlapping bigrams plus
  its last character ("退貨政策" → "退貨 貨政 政策 策"), the way Lucene's CJK analyser does: every
  character starts exactly one term, so any substring of a run is found, a one-character query as
  a prefix, a longer one as a phrase of its bigrams.
- Other words are matched by prefix ("deliv" finds "delivery"); all terms of a query must match.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

WORD_RE = re.compile(r"[^\W_]+")
# Han (with extensions and compatibility ideographs), Hiragana, Katakana: written without spaces.
CJK_RE = re.compile("([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+)")
MAX_QUERY_LENGTH = 200
MAX_CLAUSES = 12


def normalize(text: str) -> str:
    """Return ``text`` folded for matching: no diacritics, compatibility forms unified, casefolded."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped).casefold()


def _segments(text: str):
    """Yield ``(segment, is_cjk)`` for every word of the normalised ``text``."""
    for word in WORD_RE.findall(normalize(text)):
        for i, part in enumerate(CJK_RE.split(word)):
            if part:
                yield part, i % 2 == 1


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_terms(text: str) -> str:
    """Return the space-separated terms both engines index for ``text``."""
    terms = []
    for segment, is_cjk in _segments(text or ""):
        if is_cjk:
            terms.extend(_bigrams(segment))
            terms.append(segment[-1])
        else:
            terms.append(segment)
    return " ".join(terms)


@dataclass(frozen=True)
class Clause:
    """One part of a query: a prefix of a term, or a phrase of exact terms (a run of CJK)."""

    terms: tuple[str, ...]
    prefix: bool


def query_clauses(q: str) -> list[Clause]:
    """Return what a query asks for; empty when it holds no letter or digit."""
    clauses: list[Clause] = []
    for segment, is_cjk in _segments((q or "")[:MAX_QUERY_LENGTH]):
        if is_cjk and len(segment) > 1:
            clause = Clause(tuple(_bigrams(segment)), prefix=False)
        else:
            clause = Clause((segment,), prefix=True)
        if clause not in clauses:
            clauses.append(clause)
    return clauses[:MAX_CLAUSES]


def needles(q: str) -> list[str]:
    """Return the normalised strings to highlight for a query (longest first)."""
    found = {segment for segment, _ in _segments((q or "")[:MAX_QUERY_LENGTH])}
    return sorted(found, key=len, reverse=True)


def _folded_with_offsets(text: str) -> tuple[str, list[int]]:
    """Return the normalised text and, for each of its characters, the index of its source character."""
    out, offsets = [], []
    for i, char in enumerate(text):
        folded = normalize(char)
        out.append(folded)
        offsets.extend([i] * len(folded))
    return "".join(out), offsets


def highlight(text: str, q: str, *, width: int = 160) -> str:
    """Return an HTML excerpt of ``text`` around the first match of ``q``, matches in ``<mark>``.

    Matching ignores case and diacritics as the index does, and marks the original characters,
    so "piegade" marks "piegāde". Every piece of text is escaped.
    """
    text = " ".join((text or "").split())
    if not text:
        return ""
    folded, offsets = _folded_with_offsets(text)
    spans: list[tuple[int, int]] = []
    for needle in needles(q):
        start = folded.find(needle)
        while start != -1:
            end = start + len(needle)
            spans.append((offsets[start], offsets[end - 1] + 1))
            start = folded.find(needle, end)
    spans.sort()
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    first = merged[0][0] if merged else 0
    begin = max(0, first - width // 3)
    if begin:
        space = text.rfind(" ", 0, begin)
        begin = space + 1 if space != -1 and begin - space < 20 else begin
    stop = min(len(text), begin + width)
    parts, cursor = [], begin
    for start, end in merged:
        if end <= begin or start >= stop:
            continue
        start, end = max(start, begin), min(end, stop)
        parts.append(html.escape(text[cursor:start]))
        parts.append(f"<mark>{html.escape(text[start:end])}</mark>")
        cursor = end
    parts.append(html.escape(text[cursor:stop]))
    return ("…" if begin else "") + "".join(parts) + ("…" if stop < len(text) else "")
