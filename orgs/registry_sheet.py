"""The registry file (党组织名册) written: the empty template (the zone's working committee
only, whose code the new organizations' parents name) and the export of a zone, which imports
back as it is. Its columns and their rules are `registry`'s."""

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


def _date(ws: Any, day: Any) -> Any:
    if day is None:
        return None
    cell = WriteOnlyCell(ws, day)
    cell.number_format = DATE_FORMAT
    return cell


def _sheet(workbook: Workbook, title: str, columns: list[Column]) -> Any:
    ws = workbook.create_sheet(title)
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "B2"
    ws.append(xlsx.header(ws, [c.title for c in columns]))
    return ws


def write(zone: Zone, *, year: int, organizations: Any) -> bytes:
    """The registry file of `organizations` (a queryset of the zone's) with their tiers of
    `year`, their secretaries and covered units, parents before children."""
    organizations = organizations.with_tier(year).select_related("secretary").order_by("path")
    codes_by_path = dict(Organization.objects.in_zone(zone).values_list("path", "code"))
    workbook = Workbook(write_only=True)
    ws = _sheet(workbook, ORG_SHEET, ORG_COLUMNS)
    pks = []
    for org in organizations.iterator(chunk_size=2000):
        pks.append(org.pk)
        secretary = org.secretary
        ws.append(
            [
                xlsx.text(ws, org.code),
                xlsx.text(ws, org.name),
                xlsx.text(ws, org.short_name),
                org.get_kind_display(),
                org.get_sector_display(),
                codes_by_path.get(org.path[: -Organization.steplen]) if org.depth > 1 else None,
                org.member_count,
                _date(ws, org.founded_on),
                YES if org.is_demo_point else NO,
                org.tier,
                xlsx.text(ws, secretary.display_name) if secretary else None,
                (secretary.phone or None) if secretary else None,
                _date(ws, org.term_ends_on),
                ACTIVE if org.is_active else INACTIVE,
            ]
        )
    units = _sheet(workbook, UNIT_SHEET, UNIT_COLUMNS)
    for code, name, credit, kind, employees in (
        CoveredUnit.objects.filter(organization__in=pks)
        .order_by("organization__path", "pk")
        .values_list("organization__code", "name", "credit_code", "kind", "employee_count")
        .iterator(chunk_size=5000)
    ):
        units.append(
            [
                xlsx.text(units, code),
                xlsx.text(units, name),
                credit or None,
                CoveredUnit.Kind(kind).label,
                employees,
            ]
        )
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


def template(zone: Zone, *, year: int) -> bytes:
    """An empty registry of the zone: only its working committee, to be the parent of the
    first organizations."""
    return write(zone, year=year, organizations=Organization.objects.in_zone(zone).filter(depth=1))


def export(zone: Zone, *, year: int) -> bytes:
    """Every organization of the zone, active or not: the file imports back as it is."""
    return write(zone, year=year, organizations=Organization.objects.in_zone(zone))
