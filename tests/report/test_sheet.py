"""Tables never cut a cell: at any width every cell's full text is printed; the machine formats keep every digit."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest
from rich.console import Console

from qnet_dqnn.report.sheet import Measured, Sheet, cell_text, print_sheets, to_csv, to_json, to_markdown
from qnet_dqnn.stats import mean_interval

LONG = "train_coherent_star4_2qpu_fidelity"


def _wide() -> Sheet:
    """A comparison as wide as the one that lost its exponents: long names, numbers with exponents."""
    columns = ["scenario", "seeds", *(f"quantity number {i} (s)" for i in range(12))]
    rows = [
        [
            name,
            3,
            *(Measured(mean_interval([9.408e6 * (i + 1), 9.5e6 * (i + 1), 9.3e6 * (i + 2)]), 3) for i in range(12)),
        ]
        for name in (LONG, "tri_coherent", "tri_cut")
    ]
    return Sheet("comparison", columns, rows, caption="mean ± half-width")


def _printed(sheet: Sheet, width: int | None) -> str:
    buffer = io.StringIO()
    print_sheets(Console(file=buffer, width=80, color_system=None), [sheet], "table", width)
    return buffer.getvalue()


def _headers(text: str) -> set[str]:
    """The column headers of every printed table part, each rejoined from the lines it wraps or folds over
    (whitespace removed)."""
    headers: set[str] = set()
    columns: list[str] = []
    for line in text.splitlines():
        if line.startswith("┏"):
            columns = []
        elif line.startswith("┃"):
            cells = line.strip().strip("┃").split("┃")
            columns = columns or [""] * len(cells)
            columns = [c + "".join(cell.split()) for c, cell in zip(columns, cells, strict=True)]
        elif line.startswith("┡"):
            headers |= set(columns)
    return headers


@pytest.mark.parametrize("width", [None, 200, 120, 80, 60])
def test_no_cell_is_cut_at_any_width(width: int | None) -> None:
    sheet = _wide()
    text = _printed(sheet, width)
    lines = text.splitlines()
    if width is not None:
        assert max(len(line.rstrip()) for line in lines) <= width
    assert "…" not in text
    cells = [cell_text(v) for row in sheet.rows for v in row[1:]]
    assert all("e+" in c for c in cells[1:13])  # the numbers the old table cut (9.408e+…)
    for cell in cells:  # each number whole on one line (none is wider than 60 columns)
        assert any(cell in line for line in lines), (cell, text)
    names = [row[0] for row in sheet.rows] + sheet.columns  # headers, or row names once the table is turned
    found = _headers(text) | {"".join(line.strip("│ ").split("│")[0].split()) for line in lines}
    assert {"".join(n.split()) for n in names} <= found, text


def test_a_too_wide_table_is_turned_when_that_fits_and_split_otherwise() -> None:
    turned = _printed(_wide(), 100)
    header = next(line for line in turned.splitlines() if "tri_cut" in line)
    assert "tri_coherent" in header  # scenarios became columns
    assert "(1/" not in turned
    split = _printed(_wide(), 60)
    assert "(1/" in split and "(2/" in split  # parts, each repeating the key column


def test_a_cell_wider_than_the_terminal_folds_instead_of_being_cut() -> None:
    sheet = Sheet("t", ["what", "value"], [["x", "y" * 150]], show_header=False)
    text = _printed(sheet, 40)
    assert max(len(line) for line in text.splitlines()) <= 40
    assert "".join(line.strip("│ ") for line in text.splitlines() if "y" in line).count("y") == 150


def test_csv_and_json_keep_every_digit_and_the_interval() -> None:
    values = [1.234567891234, 2.345678912345, 3.456789123456]
    iv = mean_interval(values)
    sheet = Sheet("s", ["scenario", "x"], [["a", Measured(iv, 3)], ["b", Measured(mean_interval([]), 3)]])
    [a, b] = list(csv.DictReader(io.StringIO(to_csv([sheet]))))
    assert float(a["x mean"]) == iv.mean and float(a["x low"]) == iv.low and float(a["x high"]) == iv.high
    assert a["x n"] == "3" and b["x mean"] == ""  # missing, not "nan"
    [record] = json.loads(to_json([sheet]))
    assert record["rows"][0]["x"]["mean"] == iv.mean and record["rows"][1]["x"]["mean"] is None
    markdown = to_markdown([sheet])
    assert "| scenario | x |" in markdown and "|:--|--:|" in markdown and cell_text(Measured(iv, 3)) in markdown


def test_numbers_keep_their_digits_and_a_partial_count_is_shown() -> None:
    assert cell_text(15564800.0) == "15564800" and cell_text(9.4081237e6) == "9.408e+06"
    assert cell_text(math.nan) == "-" and cell_text(None) == "-"
    measured = Measured(mean_interval([1.0, math.nan, 3.0]), 3)
    assert cell_text(measured).endswith("(2/3)")
