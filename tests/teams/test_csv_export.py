import csv
import io

import pytest

from teams.csv_export import SafeWriter, csv_lines, safe_cell

DANGEROUS = [
    '=HYPERLINK("https://evil.example","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "  =1+1",
    "\uff1d1+1",  # full-width =
    "\uff0b1",
    "\uff0d1",
    "\uff20SUM(A1)",
]


@pytest.mark.parametrize("value", DANGEROUS)
def test_a_formula_like_cell_is_quoted_and_kept_whole(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Checkout", "", "a=b", "email@example.com", "3-4 days", 5, -5, None, 2.5])
def test_other_cells_are_unchanged(value):
    assert safe_cell(value) == value


def test_writer_round_trips_neutralised_rows():
    buffer = io.StringIO()
    SafeWriter(buffer).writerow(["\t=cmd|' /C calc'!A0", "plain", -1])
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == ["'\t=cmd|' /C calc'!A0", "plain", "-1"]


def test_csv_lines_streams_header_then_rows():
    lines = list(csv_lines(["name"], [["=1"], ["ok"]], bom=True))
    assert lines == ["\ufeffname\r\n", "'=1\r\n", "ok\r\n"]
