"""The one CSV writer every export uses: cells a spreadsheet would run as a formula are neutralised.

Spreadsheets treat a cell beginning with = + - @ (or their full-width forms, which some convert)
as a formula, and some strip a leading tab, CR or space before looking, which re-arms one. Such a
cell is written with a leading single quote, which spreadsheets show as text and do not evaluate;
the rest of the value, leading whitespace included, is kept as it was.
"""

import csv
from collections.abc import Iterable, Iterator
from typing import Any

FORMULA_STARTS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
# Characters a spreadsheet may skip before deciding whether a cell is a formula.
_SKIPPED = " \t\r\n\u00a0\u3000"


def safe_cell(value: Any) -> Any:
    """Return ``value`` ready for a CSV cell: a text that could be read as a formula gets a leading '."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in FORMULA_STARTS or value.lstrip(_SKIPPED)[:1] in FORMULA_STARTS:
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


class SafeWriter:
    """A csv.writer whose rows go through ``safe_cell``; ``writerow`` returns the written line."""

    def __init__(self, stream=None):
        self._writer = csv.writer(stream if stream is not None else _Echo())

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_lines(header: Iterable[Any], rows: Iterable[Iterable[Any]], *, bom: bool = False) -> Iterator[str]:
    """Yield the CSV text of ``header`` then ``rows``, one line at a time (for a streaming response)."""
    writer = SafeWriter()
    yield ("\ufeff" if bom else "") + writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)
