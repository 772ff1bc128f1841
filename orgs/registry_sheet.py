"""The registry file (党组织名册) written: the empty template (the zone's working committee
only, whose code the new organizations' parents name) and the export of a zone, which imports
back as it is. Its columns and their rules are `registry`'s."""

import datetime
from collections.abc import Iterable, Iterator
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from partybuild import xlsx

from .models import CoveredUnit, Organization, Zone
from .registry import (
    ACTIVE,
    GUIDE,
    GUIDE_SHEET,
    INACTIVE,
    NO,
    ORG_COLUMNS,
    ORG_SHEET,
    UNIT_COLUMNS,
    UNIT_SHEET,
    YES,
    Column,
)

DATE_FORMAT = "yyyy-mm-dd"


def _cell(ws: Any, value: Any) -> Any:
    """A value as the registry writes it: text never read as a formula, dates as dates."""
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(ws, value)
        cell.number_format = DATE_FORMAT
        return cell
    return xlsx.text(ws, value)


def _sheet(workbook: Workbook, title: str, columns: list[Column], rows: Iterable[list]) -> None:
    ws = workbook.create_sheet(title)
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "B2"
    ws.append(xlsx.header(ws, [c.title for c in columns]))
    for row in rows:
        ws.append([_cell(ws, value) for value in row])


def registry_file(org_rows: Iterable[list], unit_rows: Iterable[list]) -> bytes:
    """A registry file of rows of values in the order of the columns (labels as the file
    spells them: 党支部, 非公企业, 是, 在用), with the guide sheet."""
    workbook = Workbook(write_only=True)
    _sheet(workbook, ORG_SHEET, ORG_COLUMNS, org_rows)
    _sheet(workbook, UNIT_SHEET, UNIT_COLUMNS, unit_rows)
    guide = workbook.create_sheet(GUIDE_SHEET)
    guide.column_dimensions["A"].width = 18
    guide.column_dimensions["B"].width = 100
    guide.append([xlsx.text(guide, GUIDE[0], font=xlsx.TITLE)])
    for line in GUIDE[1:]:
        guide.append([line])
    for title, columns in ((ORG_SHEET, ORG_COLUMNS), (UNIT_SHEET, UNIT_COLUMNS)):
        guide.append([])
        guide.append(xlsx.header(guide, [f"“{title}”的列", "填写要求"]))
        for column in columns:
            guide.append([column.title, column.guide])
    return xlsx.to_bytes(workbook)


def _org_rows(zone: Zone, year: int, organizations: Any) -> Iterator[list]:
    codes_by_path = dict(Organization.objects.in_zone(zone).values_list("path", "code"))
    rows = organizations.with_tier(year).select_related("secretary").order_by("path")
    for org in rows.iterator(chunk_size=2000):
        secretary = org.secretary
        yield [
            org.code,
            org.name,
            org.short_name,
            org.get_kind_display(),
            org.get_sector_display(),
            codes_by_path.get(org.path[: -Organization.steplen]) if org.depth > 1 else None,
            org.member_count,
            org.founded_on,
            YES if org.is_demo_point else NO,
            org.tier,
            secretary.display_name if secretary else None,
            (secretary.phone or None) if secretary else None,
            org.term_ends_on,
            ACTIVE if org.is_active else INACTIVE,
        ]


def _unit_rows(organizations: Any) -> Iterator[list]:
    for code, name, credit, kind, employees in (
        CoveredUnit.objects.filter(organization__in=organizations.values("pk"))
        .order_by("organization__path", "pk")
        .values_list("organization__code", "name", "credit_code", "kind", "employee_count")
        .iterator(chunk_size=5000)
    ):
        yield [code, name, credit or None, CoveredUnit.Kind(kind).label, employees]


def write(zone: Zone, *, year: int, organizations: Any) -> bytes:
    """The registry file of `organizations` (a queryset of the zone's) with their tiers of
    `year`, their secretaries and covered units, parents before children."""
    return registry_file(_org_rows(zone, year, organizations), _unit_rows(organizations))


def template(zone: Zone, *, year: int) -> bytes:
    """An empty registry of the zone: only its working committee, to be the parent of the
    first organizations."""
    return write(zone, year=year, organizations=Organization.objects.in_zone(zone).filter(depth=1))


def export(zone: Zone, *, year: int) -> bytes:
    """Every organization of the zone, active or not: the file imports back as it is."""
    return write(zone, year=year, organizations=Organization.objects.in_zone(zone))
