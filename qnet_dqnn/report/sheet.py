"""Tables as data, written four ways: a terminal table that never cuts a cell, CSV, JSON and Markdown.

A :class:`Sheet` holds raw values (numbers, strings, :class:`Measured` means with their interval,
:class:`~qnet_dqnn.stats.Difference` effect sizes). The terminal writer sizes every column to its content;
a table wider than the terminal is turned (rows become columns) when that fits, else split into parts that
repeat the key columns; a single cell wider than the terminal folds onto several lines. No cell is ever
cut short. The machine formats keep every digit (CSV and JSON write floats at full precision).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from qnet_dqnn.stats import Difference, Interval

#: Output formats of ``run``, ``compare`` and ``sweep``.
FORMATS = ("table", "csv", "json", "markdown")

#: Significant digits of a number in a table (the machine formats keep all of them).
DIGITS = 4

#: A header word longer than this may fold onto a second line instead of widening its column.
HEADER_FOLD = 20


@dataclass(frozen=True)
class Measured:
    """A quantity measured over ``runs`` runs (seeds): its mean and confidence interval over the finite ones."""

    interval: Interval
    runs: int


@dataclass
class Sheet:
    """A titled table of raw values.

    Attributes:
        title: printed above the table.
        columns: column names.
        rows: one list of values per row, in column order.
        caption: printed below the table.
        keys: how many leading columns name a row (repeated in every part of a split table).
        show_header: False for a two-column "what / value" list.
    """

    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    caption: str = ""
    keys: int = 1
    show_header: bool = True


def number_text(value: float, digits: int = DIGITS) -> str:
    """A number for a table: integers (and integral floats below 1e15) in full, others to ``digits`` significant
    digits with their exponent; NaN as ``-``.

    Examples:
        >>> number_text(15564800.0), number_text(9408123.7), number_text(float("nan"))
        ('15564800', '9.408e+06', '-')
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.{digits}g}"


def cell_text(value: Any) -> str:
    """How a value reads in a table: ``mean ± half-width`` of the interval for a measured quantity (with
    ``(n/runs)`` when some runs did not report it), ``+delta ± half-width`` for a difference."""
    if value is None:
        return "-"
    if isinstance(value, Measured):
        iv = value.interval
        if iv.n == 0:
            return "-"
        text = number_text(iv.mean)
        if math.isfinite(iv.half_width):
            text += f" ± {iv.half_width:.2g}"
        return text + (f" ({iv.n}/{value.runs})" if iv.n < value.runs else "")
    if isinstance(value, Difference):
        if math.isnan(value.delta):
            return "-"
        half = (value.high - value.low) / 2.0
        return f"{value.delta:+.{DIGITS}g}" + (f" ± {half:.2g}" if math.isfinite(half) else "")
    if isinstance(value, float | int):
        return number_text(value)
    return str(value)


def interval_text(interval: Interval) -> str:
    """A mean with the half-width of its interval, as tables print it: ``90005 ± 64``."""
    return cell_text(Measured(interval, interval.n))


def _plain(value: float) -> float | None:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _flat(column: str, value: Any) -> list[tuple[str, Any]]:
    """A value as machine columns: a measured quantity is mean, low, high, std and n; a difference is
    delta, low and high."""
    if isinstance(value, Measured):
        iv = value.interval
        return [
            (f"{column} mean", iv.mean),
            (f"{column} low", iv.low),
            (f"{column} high", iv.high),
            (f"{column} std", iv.std),
            (f"{column} n", iv.n),
        ]
    if isinstance(value, Difference):
        return [(f"{column} delta", value.delta), (f"{column} low", value.low), (f"{column} high", value.high)]
    return [(column, value)]


def flat_rows(sheet: Sheet) -> list[dict[str, Any]]:
    """The sheet's rows as flat mappings (every measured quantity spread over its machine columns)."""
    return [
        dict(item for column, value in zip(sheet.columns, row, strict=True) for item in _flat(column, value))
        for row in sheet.rows
    ]


def csv_text(rows: Sequence[dict[str, Any]]) -> str:
    """Flat rows as CSV (columns: the union in order of appearance; floats at full precision, NaN empty)."""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    if columns:
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if _plain(v) is None else v for k, v in row.items()})
    return buffer.getvalue()


def _json_value(value: Any) -> Any:
    if isinstance(value, Measured):
        iv = value.interval
        return {
            "mean": _plain(iv.mean),
            "low": _plain(iv.low),
            "high": _plain(iv.high),
            "std": _plain(iv.std),
            "n": iv.n,
            "runs": value.runs,
            "level": iv.level,
        }
    if isinstance(value, Difference):
        return {
            "delta": _plain(value.delta),
            "low": _plain(value.low),
            "high": _plain(value.high),
            "hedges_g": _plain(value.hedges_g),
            "p_value": _plain(value.p_value),
            "level": value.level,
        }
    if isinstance(value, float):
        return _plain(value)
    return value


def to_csv(sheets: Sequence[Sheet]) -> str:
    """The sheets as CSV; several are separated by a blank line, each after a ``# title`` line."""
    if len(sheets) == 1:
        return csv_text(flat_rows(sheets[0]))
    return "\n".join(f"# {s.title}\n" + csv_text(flat_rows(s)) for s in sheets)


def to_json(sheets: Sequence[Sheet]) -> str:
    """The sheets as a JSON list of ``{title, caption, columns, rows}`` (NaN as null)."""
    data = [
        {
            "title": s.title,
            "caption": s.caption,
            "columns": s.columns,
            "rows": [{c: _json_value(v) for c, v in zip(s.columns, row, strict=True)} for row in s.rows],
        }
        for s in sheets
    ]
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(sheets: Sequence[Sheet]) -> str:
    """The sheets as Markdown pipe tables (numbers right-aligned), each under its title in bold."""
    parts = []
    for s in sheets:
        texts = [[cell_text(v) for v in row] for row in s.rows]
        header = s.columns if s.show_header else [""] * len(s.columns)
        lines = [f"**{_md(s.title)}**", "", "| " + " | ".join(_md(c) for c in header) + " |"]
        lines.append("|" + "|".join(":--" if _left(s, i) else "--:" for i in range(len(s.columns))) + "|")
        lines += ["| " + " | ".join(_md(t) for t in row) + " |" for row in texts]
        if s.caption:
            lines += ["", f"*{_md(s.caption)}*"]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def _left(sheet: Sheet, column: int) -> bool:
    """Columns of text read left-aligned; numbers (and intervals) right-aligned."""
    values = [row[column] for row in sheet.rows if row[column] is not None]
    return bool(values) and all(isinstance(v, str) for v in values)


# ---- the terminal table -----------------------------------------------------------------------------------


@dataclass
class _Layout:
    """One printed table: titles, headers, cell texts, left-alignment and width of each column."""

    title: str
    caption: str
    headers: list[str]
    texts: list[list[str]]
    left: list[bool]
    show_header: bool

    def natural(self, i: int, fold: int = HEADER_FOLD) -> int:
        """Column ``i``'s width: its longest cell, and its header's longest word up to ``fold``."""
        cells = max((len(line) for row in self.texts for line in row[i].splitlines() or [""]), default=0)
        words = max((len(w) for w in self.headers[i].split()), default=0) if self.show_header else 0
        return max(cells, min(words, fold), 1)


def table_width(widths: Sequence[int]) -> int:
    """Width of a boxed table with these column widths (one space of padding each side, one rule between)."""
    return sum(w + 3 for w in widths) + 1


def _layout(sheet: Sheet) -> _Layout:
    texts = [[cell_text(v) for v in row] for row in sheet.rows]
    left = [_left(sheet, i) for i in range(len(sheet.columns))]
    return _Layout(sheet.title, sheet.caption, list(sheet.columns), texts, left, sheet.show_header)


def _turned(sheet: Sheet, layout: _Layout) -> _Layout:
    """Rows become columns: the first column names the quantities, one column per original row."""
    k = sheet.keys
    headers = [", ".join(sheet.columns[:k])] + [", ".join(row[:k]) for row in layout.texts]
    texts = [[sheet.columns[i]] + [row[i] for row in layout.texts] for i in range(k, len(sheet.columns))]
    return _Layout(layout.title, layout.caption, headers, texts, [True] + [False] * len(layout.texts), True)


def _parts(layout: _Layout, keys: int, width: int) -> list[tuple[list[int], list[int]]]:
    """Split the columns into parts that fit ``width``: (column indices, widths) per part, key columns first
    in each. A column too wide on its own gets what is left and folds its cells."""
    natural = [layout.natural(i) for i in range(len(layout.headers))]
    keys = min(keys, len(natural))
    key_cols = list(range(keys))
    key_widths = [natural[i] for i in key_cols]
    while table_width(key_widths) > width // 2 and max(key_widths, default=0) > 8:
        j = key_widths.index(max(key_widths))
        key_widths[j] = max(8, key_widths[j] - (table_width(key_widths) - width // 2))
    parts: list[tuple[list[int], list[int]]] = []
    cols, widths = list(key_cols), list(key_widths)
    for i in range(keys, len(natural)):
        if len(cols) > keys and table_width([*widths, natural[i]]) > width:
            parts.append((cols, widths))
            cols, widths = list(key_cols), list(key_widths)
        room = width - table_width(widths) - 3
        cols.append(i)
        widths.append(max(1, min(natural[i], room)))
    parts.append((cols, widths))
    for cols, widths in parts:  # room left over unfolds long header words
        for j, i in enumerate(cols):
            spare = width - table_width(widths)
            widths[j] += max(0, min(spare, layout.natural(i, fold=width) - widths[j]))
    return parts


def _rich(layout: _Layout, cols: list[int], widths: list[int], part: str) -> Table:
    columns = [
        Column(
            Text(layout.headers[i]),
            justify="left" if layout.left[i] else "right",
            width=w,
            overflow="fold",
        )
        for i, w in zip(cols, widths, strict=True)
    ]
    table = Table(
        *columns,
        title=Text(layout.title + part) if layout.title else None,
        title_justify="left",
        caption=Text(layout.caption) if layout.caption else None,
        caption_justify="left",
        show_header=layout.show_header,
    )
    for row in layout.texts:
        table.add_row(*(Text(row[i]) for i in cols))
    return table


def terminal_tables(sheet: Sheet, width: int | None) -> list[Table]:
    """The sheet as rich tables no wider than ``width`` (None: its natural width), no cell cut.

    Tried in order: the table as it is; turned (scenarios or sweep points as columns); split into parts
    (of the form that needs fewer), each repeating the key columns.
    """
    layout = _layout(sheet)
    columns = list(range(len(layout.headers)))
    for fold in (10**6, HEADER_FOLD):  # long header words whole if that fits, else folded
        natural = [layout.natural(i, fold) for i in columns]
        if width is None or table_width(natural) <= width:
            return [_rich(layout, columns, natural, "")]
    forms = [(_parts(layout, sheet.keys, width), layout)]
    if sheet.show_header and sheet.rows and len(sheet.columns) > sheet.keys:
        turned = _turned(sheet, layout)
        forms.append((_parts(turned, 1, width), turned))
    parts, chosen = min(forms, key=lambda form: len(form[0]))
    n = len(parts)
    return [_rich(chosen, cols, widths, f" ({i}/{n})" if n > 1 else "") for i, (cols, widths) in enumerate(parts, 1)]


@contextmanager
def _at_least_wide(console: Console, width: int) -> Iterator[None]:
    """Let ``console`` render ``width`` columns (a table at its natural width into a pipe or file)."""
    before = console.width
    console.width = max(before, width)
    try:
        yield
    finally:
        console.width = before


def print_sheets(console: Console, sheets: Sequence[Sheet], fmt: str = "table", width: int | None = None) -> None:
    """Print sheets in one of :data:`FORMATS`; a terminal table is fitted to ``width`` (None: natural width)."""
    if fmt == "csv":
        console.file.write(to_csv(sheets))
    elif fmt == "json":
        console.file.write(to_json(sheets))
    elif fmt == "markdown":
        console.file.write(to_markdown(sheets))
    elif fmt == "table":
        for sheet in sheets:
            for table in terminal_tables(sheet, width):
                title, caption = table.title, table.caption  # printed apart: they wrap at the terminal's width
                table.title = table.caption = None
                needed = console.measure(table, options=console.options.update_width(10**6)).maximum
                with _at_least_wide(console, needed):
                    for part in (title, table, caption):
                        if part is not None:
                            console.print(part, soft_wrap=width is None and part is not table)
    else:
        raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    console.file.flush()
