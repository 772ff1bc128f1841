"""One grade-sheet export in a fresh process, for a clean time and peak-memory figure:

    python -m bench.export app|bare ZONE_CODE YEAR   → prints "<seconds> <peak RSS MB>"

`app` runs the app's exporter end to end (query, grading columns, styles, writing); `bare`
first reads the same rows, then times only a plain openpyxl write-only workbook of them.
"""

import sys
import tempfile
import time
from pathlib import Path

import django


def main(kind, zone_code, year):
    django.setup()
    from django.utils import timezone
    from openpyxl import Workbook

    from orgs.models import Sector
    from scoring.models import Grade, RuleSet
    from scoring.sheets import grades

    rule_set = RuleSet.objects.get(zone__code=zone_code, year=year)
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as target:
        if kind == "app":
            started = time.perf_counter()
            grades.write(
                target.name,
                rule_set=rule_set,
                finalized=True,
                today=timezone.localdate(),
            )
        else:
            sectors = dict(Sector.choices)
            rows = [
                (
                    r.code,
                    r.name,
                    r.committee,
                    sectors[r.sector],
                    r.tier,
                    *r.quarters,
                    r.bonus,
                    r.deduction,
                    r.total,
                    r.rank,
                    r.warnings,
                    Grade(r.grade).label,
                    r.proposed_tier,
                    r.coefficient,
                    r.subsidy,
                    r.remark,
                )
                for r in grades.sheet_rows(rule_set, finalized=True, today=timezone.localdate())
            ]
            started = time.perf_counter()
            workbook = Workbook(write_only=True)
            ws = workbook.create_sheet("年度评级表")
            ws.append([name for name, _ in grades.COLUMNS])
            for number, row in enumerate(rows, start=1):
                ws.append([number, *row])
            workbook.save(target.name)
        seconds = time.perf_counter() - started
    print(f"{seconds:.3f} {peak_rss_mb():.1f}")


def peak_rss_mb():
    """This process's own high-water mark. getrusage() would also count the parent's memory
    before exec, which Linux carries over into ru_maxrss."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
