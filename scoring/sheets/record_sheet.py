"""积分制管理记录表 of one organization and year: months × items, grouped by the record sheet's
columns, with column subtotals, the month's total and its notes."""

from typing import IO

from openpyxl import Workbook

from orgs.models import Organization
from partybuild import xlsx
from partybuild.routers import reading_reports

from ..models import PointEntry, RuleSet


@reading_reports()
def write(org: Organization, rule_set: RuleSet, target: IO[bytes] | str) -> None:
    year = rule_set.year
    columns = rule_set.record_columns()
    items = [item for _, _, members in columns for item in members]
    entries = {
        (e.month, e.item_id): e
        for e in PointEntry.objects.recorded().filter(organization=org, year=year)
    }
    sums = {
        (row["month"], row["item__major__column"] or row["item__kind"]): row["points"]
        for row in PointEntry.objects.column_sums(org, year)
    }
    totals = PointEntry.objects.month_totals([org.pk], year, range(1, 13))
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(f"{year}年记录表")
    xlsx.printable(ws, widths=[8], header_row=3, frozen="B4")
    ws.append([xlsx.text(ws, f"{org.name} {year}年积分制管理记录表", font=xlsx.TITLE)])
    ws.append([xlsx.text(ws, f"组织编码：{org.code}")])
    ws.append(
        xlsx.header(
            ws,
            [
                "月份",
                *(i.label for i in items),
                *(label for _, label, _ in columns),
                "月合计",
                "说明",
            ],
        )
    )
    for month in range(1, 13):
        noted = [(i, entries[(month, i.pk)]) for i in items if (month, i.pk) in entries]
        notes = "；".join(f"{i.code} {e.note}" for i, e in noted if e.note)
        ws.append(
            [
                f"{month}月",
                *(
                    xlsx.one_decimal(ws, entries[(month, i.pk)].points)
                    if (month, i.pk) in entries
                    else None
                    for i in items
                ),
                *(xlsx.one_decimal(ws, sums.get((month, key))) for key, _, _ in columns),
                xlsx.one_decimal(ws, totals.get((org.pk, month), 0)),
                xlsx.text(ws, notes),
            ]
        )
    workbook.save(target)
