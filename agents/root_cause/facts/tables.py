"""Time series from tables whose rows start with a time: one `Series` per numeric column.

A row's first cell is its time (`11:20`, `11:20:05`, `2025-06-01 11:20`, ISO 8601, `06-01
11:20`, `11:20-11:25` for a bucket, or a date for a daily table). A column is a series when
most of its filled cells are numbers; it is named by its header and keeps the unit most of its
cells show (the others converted: `850 ms` next to `1.25 s`). A table without a header right
after a time table with as many columns continues it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from agents.root_cause.facts.numbers import (
    Quantity,
    column_unit,
    convert,
    header_unit,
    is_missing,
    quantity,
)
from agents.root_cause.facts.times import Clock, date_only, first_time
from agents.root_cause.facts.tree import Page, Table
from agents.root_cause.facts.types import Point, Series

_MIN_POINTS = 3
_SHARE = 0.6  # of rows with a time, of filled cells that are numbers


@dataclass
class TimeTable:
    """A table whose rows start with a time: its header, and each row's time and cells."""

    caption: str
    header: list[str]
    rows: list[tuple[datetime, list[str]]]


def time_tables(page: Page, clock: Clock) -> list[TimeTable]:
    out: list[TimeTable] = []
    for table in page.tables:
        dated = _dated_rows(table, clock)
        if not _enough(dated, table):
            continue
        previous = out[-1] if out else None
        if not table.header and previous and _same_width(previous, table):
            previous.rows.extend(dated)
            continue
        out.append(TimeTable(table.caption, table.header, dated))
    return out


def series(tables: list[TimeTable], source: str) -> list[Series]:
    out: list[Series] = []
    for table in tables:
        width = max(len(row) for _, row in table.rows)
        for col in range(1, width):
            found = _column(table, col, source)
            if found is not None:
                out.append(found)
    return out


def row_time(cell: str, clock: Clock) -> datetime | None:
    """The time a row's first cell stands for, if it starts with one."""
    found = first_time(cell, clock)
    if found is not None and found.start <= 4:
        return found.at
    return date_only(cell, clock)


def is_time_table(table: Table, clock: Clock) -> bool:
    """Most rows (at least three) start with a time."""
    return _enough(_dated_rows(table, clock), table)


def _dated_rows(table: Table, clock: Clock) -> list[tuple[datetime, list[str]]]:
    times = [row_time(row[0], clock) if row else None for row in table.rows]
    return [(at, row) for at, row in zip(times, table.rows, strict=True) if at is not None]


def _enough(dated: list[tuple[datetime, list[str]]], table: Table) -> bool:
    return len(dated) >= _MIN_POINTS and len(dated) >= _SHARE * len(table.rows)


def _same_width(previous: TimeTable, table: Table) -> bool:
    widths = {len(row) for _, row in previous.rows}
    return any(len(row) in widths for row in table.rows)


def _column(table: TimeTable, col: int, source: str) -> Series | None:
    cells = [(at, row[col]) for at, row in table.rows if col < len(row)]
    filled = [(at, cell) for at, cell in cells if not is_missing(cell)]
    parsed = [(at, q) for at, cell in filled if (q := quantity(cell)) is not None]
    if len(parsed) < _MIN_POINTS or len(parsed) < _SHARE * len(filled):
        return None
    name = table.header[col] if col < len(table.header) else f"column {col + 1}"
    unit = column_unit([q for _, q in parsed]) or header_unit(name)
    points = _points(parsed, unit)
    if len(points) < _MIN_POINTS:
        return None
    return Series(name=name, unit=unit, points=points, source=source, caption=table.caption)


def _points(parsed: list[tuple[datetime, Quantity]], unit: str) -> tuple[Point, ...]:
    by_time: dict[datetime, float] = {}
    for at, q in parsed:
        value = convert(q, unit)
        if value is not None and at not in by_time:
            by_time[at] = value
    return tuple(Point(at, by_time[at]) for at in sorted(by_time))
