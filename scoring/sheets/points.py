"""Every entry of a year in one sheet: the backup `manage.py export_points` writes."""

from collections.abc import Iterator
from typing import IO, Any

from openpyxl import Workbook

from orgs.models import Zone
from partybuild import xlsx
from partybuild.routers import reading_reports

from ..models import PointEntry

COLUMNS = [
    ("组织编码", 16),
    ("组织名称", 36),
    ("月份", 6),
    ("小项编码", 9),
    ("小项名称", 28),
    ("分值", 7),
    ("说明", 40),
]


def rows(zone: Zone, year: int) -> Iterator[tuple[Any, ...]]:
    entries = (
        PointEntry.objects.recorded()
        .filter(organization__zone=zone, year=year)
        .order_by("organization__path", "month", "item__position")
        .values_list(
            "organization__code",
            "organization__name",
            "month",
            "item__code",
            "item__name",
            "points",
            "note",
        )
    )
    yield from entries.iterator(chunk_size=5000)


@reading_reports()
def write(zone: Zone, year: int, target: IO[bytes] | str) -> None:
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(f"{year}年积分明细")
    for index, (_, width) in enumerate(COLUMNS):
        ws.column_dimensions["ABCDEFG"[index]].width = width
    ws.freeze_panes = "A2"
    ws.append(xlsx.header(ws, [name for name, _ in COLUMNS]))
    for row in rows(zone, year):
        ws.append([xlsx.text(ws, v) for v in row])
    workbook.save(target)
