import io
import zipfile
from decimal import Decimal as D
from io import BytesIO, StringIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from orgs.models import Role
from scoring.models import ImportBatch, PointEntry
from scoring.services.points import Cell, record_points
from scoring.sheets import month_template
from scoring.sheets import points as points_sheet

from .conftest import make_org, make_user


def template(rule_set, month=3):
    return month_template.write(rule_set, 2025, month)


def fill(data, values):
    """Put {(row_code, item_code): value} into a template's bytes; returns new bytes."""
    wb = openpyxl.load_workbook(BytesIO(data))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[month_template.HEADER_ROW]]
    columns = {str(h).split(" ")[0]: i + 1 for i, h in enumerate(header) if h}
    rows = {ws.cell(r, 1).value: r for r in range(month_template.FIRST_DATA_ROW, ws.max_row + 1)}
    for (code, item), value in values.items():
        row = rows.get(code)
        if row is None:
            row = ws.max_row + 1
            ws.cell(row, 1, code)
            rows[code] = row
        ws.cell(row, columns[item], value)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, data, name="模板.xlsx", month=3):
    file = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post(reverse("scoring:import", args=[2025, month]), {"file": file})


def test_the_template_lists_every_organization_with_caps_and_current_values(zone, items, rule_set):
    record_points(
        zone=zone.zone,
        year=2025,
        cells=[Cell(zone.a1.pk, items["2.1"].pk, 3, "2.5")],
        user=None,
        reason="",
    )
    ws = openpyxl.load_workbook(BytesIO(template(rule_set))).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[month_template.HEADER_ROW - 1][:3] == ("组织编码", "组织名称", "1.1 班子建设")
    assert rows[month_template.CAP_ROW - 1][2] == 1.5
    assert rows[month_template.CAP_ROW - 1][-1] == -10
    data = {row[0]: row for row in rows[month_template.FIRST_DATA_ROW - 1 :]}
    assert set(data) == {"A", "A-1", "A-2", "B", "B-1"}
    assert data["A-1"][2 + 3] == 2.5  # 2.1 is the fourth item
    assert ws.freeze_panes == "C5"


def test_the_template_downloads_with_a_chinese_filename(zone, items, login):
    response = login(zone.staff).get(reverse("scoring:template", args=[2025, 3]))
    assert "filename*=utf-8''2025%E5%B9%B43%E6%9C%88" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"PK")


def test_a_good_file_is_previewed_then_saved_in_one_go(zone, items, rule_set, login):
    client = login(zone.staff)
    data = fill(
        template(rule_set), {("A-1", "2.1"): 3, ("A-2", "1.1"): "１．５", ("B-1", "D1"): -1}
    )
    response = upload(client, data)
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("scoring:import_preview", args=[batch.pk])
    preview = client.get(response["Location"])
    assert len(preview.context["changes"]) == 3
    assert not PointEntry.objects.exists()
    client.post(response["Location"], {"confirm": "1"})
    assert {(e.organization.code, e.item.code, e.points) for e in PointEntry.objects.all()} == {
        ("A-1", "2.1", D("3")),
        ("A-2", "1.1", D("1.5")),
        ("B-1", "D1", D("-1")),
    }
    assert not ImportBatch.objects.exists()
    assert PointEntry.history.first().history_change_reason == "Excel导入：模板.xlsx"


def test_a_file_with_bad_cells_is_refused_whole_naming_every_cell(zone, items, rule_set, login):
    data = fill(
        template(rule_set),
        {
            ("A-1", "2.1"): 3,
            ("A-1", "1.2"): 5,
            ("A-2", "2.2"): "abc",
            ("B-1", "D1"): 1,
            ("X-9", "1.1"): 1,
        },
    )
    response = upload(login(zone.staff), data)
    problems = response.context["problems"]
    assert [(p.sheet, p.row, p.column, p.organization, p.item) for p in problems] == [
        ("2025年3月", 6, "D", "甲一支部", "1.2 发展党员"),
        ("2025年3月", 7, "G", "甲二支部", "2.2 主题党日"),
        ("2025年3月", 9, "V", "乙一支部", "D1 材料逾期或不实"),
        ("2025年3月", 10, "A", "X-9", ""),
    ]
    assert "超过季度上限 1.0 分" in problems[0].reason
    assert "不是有效的分值" in problems[1].reason
    assert problems[2].reason == "扣分项只能填 0 或负数"
    assert problems[3].reason == "组织编码不存在或该组织未在用"
    assert not PointEntry.objects.exists()
    assert not ImportBatch.objects.exists()
    assert "文件有 4 处错误，整个文件未导入" in response.content.decode()


def test_it_checks_every_cell_of_a_file_with_duplicate_rows_and_unknown_columns(
    zone, items, rule_set, login
):
    wb = openpyxl.load_workbook(BytesIO(fill(template(rule_set), {("A-2", "2.1"): 9})))
    ws = wb.worksheets[0]
    ws.cell(month_template.HEADER_ROW, 4, "9.9 不存在的小项")
    ws.cell(ws.max_row + 1, 1, "A-1")
    out = BytesIO()
    wb.save(out)
    problems = upload(login(zone.staff), out.getvalue()).context["problems"]
    assert [(p.row, p.column, p.reason) for p in problems] == [
        (month_template.HEADER_ROW, "D", "小项“9.9 不存在的小项”不在 2025 年度评分细则中"),
        (6, "A", "该组织在文件中出现了多次"),
        (7, "F", "超过季度上限 3.0 分（本季度其他月份已记 0.0 分，本月最多 3.0 分）"),
        (10, "A", "该组织在文件中出现了多次"),
    ]


def test_data_typed_in_a_column_without_an_item_is_named_not_dropped(zone, items, rule_set):
    wb = openpyxl.load_workbook(BytesIO(template(rule_set)))
    ws = wb.worksheets[0]
    beyond = ws.max_column + 2
    ws.cell(month_template.FIRST_DATA_ROW + 1, beyond, 1.5)
    out = BytesIO()
    wb.save(out)
    parsed = month_template.parse(
        out.getvalue(),
        "t.xlsx",
        zone=zone.zone,
        year=2025,
        month=3,
        items=rule_set.ordered_items(),
    )
    column = openpyxl.utils.get_column_letter(beyond)
    assert [(p.row, p.column, p.reason) for p in parsed.problems] == [
        (month_template.FIRST_DATA_ROW + 1, column, "此列没有小项表头，填写的数据无法导入")
    ]


@pytest.mark.parametrize(
    ("value", "reason"),
    [(1e30, "超出可录入的范围"), ("9" * 40, "超出可录入的范围"), ("1e30", "不是有效的分值")],
)
def test_a_huge_number_in_a_file_is_named_not_a_crash(zone, items, rule_set, login, value, reason):
    response = upload(login(zone.staff), fill(template(rule_set), {("A-1", "2.1"): value}))
    [problem] = response.context["problems"]
    assert (problem.row, problem.column, problem.organization) == (6, "F", "甲一支部")
    assert reason in problem.reason
    assert not ImportBatch.objects.exists()


def test_a_file_with_thousands_of_problems_lists_the_first_200_and_counts_the_rest(
    zone, items, rule_set, login
):
    values = {}
    for i in range(60):
        make_org(zone.com_b, f"B-X{i}", f"乙扩{i}")
        values.update({(f"B-X{i}", item): "x" for item in ("1.1", "1.2", "1.3", "2.1", "2.2")})
    response = upload(login(zone.staff), fill(template(rule_set), values))
    assert len(response.context["problems"]) == month_template.MAX_PROBLEMS_SHOWN == 200
    html = response.content.decode()
    assert "文件有 300 处错误" in html
    assert "另有 100 处问题未列出" in html
    assert not ImportBatch.objects.exists()


def test_a_preview_that_went_stale_is_shown_again_instead_of_saved(zone, items, rule_set, login):
    client = login(zone.staff)
    response = upload(client, fill(template(rule_set), {("A-1", "2.1"): 3}))
    record_points(
        zone=zone.zone,
        year=2025,
        cells=[Cell(zone.a2.pk, items["2.1"].pk, 3, "1")],
        user=zone.admin,
        reason="",
    )
    page = client.post(response["Location"], {"confirm": "1"})
    assert "预览之后有人修改了本月积分" in page.content.decode()
    assert not PointEntry.objects.filter(organization=zone.a1).exists()
    client.post(response["Location"], {"confirm": "1"})
    assert PointEntry.objects.filter(organization=zone.a1).get().points == 3


def test_another_users_import_is_not_found(zone, items, rule_set, login):
    response = upload(login(zone.staff), fill(template(rule_set), {("A-1", "2.1"): 3}))
    assert login(zone.admin).get(response["Location"]).status_code == 404


def zip_bytes(entries, compression=zipfile.ZIP_DEFLATED):
    out = BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("points.xls", b"\xd0\xcf\x11\xe0", "只接受 .xlsx 格式"),
        ("points.csv", b"a,b", "只接受 .xlsx 格式"),
        ("points.xlsx", b"%PDF-1.4 fake", "不是 .xlsx 格式"),
        ("points.xlsx", b"PK\x03\x04broken", "文件已损坏"),
        ("points.xlsx", zip_bytes({"a.txt": "x"}), "不是 Excel 工作簿"),
        (
            "bomb.xlsx",
            zip_bytes({"[Content_Types].xml": "x", "xl/workbook.xml": "0" * 80_000_000}),
            "解压后过大",
        ),
        (
            "ratio.xlsx",
            zip_bytes({"[Content_Types].xml": "x", "xl/workbook.xml": "0" * 5_000_000}),
            "压缩比异常",
        ),
        (
            "macro.xlsx",
            zip_bytes(
                {"[Content_Types].xml": "x", "xl/workbook.xml": "x", "xl/vbaProject.bin": "x"}
            ),
            "包含宏",
        ),
        *(
            (
                "macro.xlsx",
                zip_bytes({"[Content_Types].xml": "x", "xl/workbook.xml": "x", name: "x"}),
                "包含宏",
            )
            # Office reads the archive's names whatever their case; so does the check.
            for name in ("xl/VBAPROJECT.BIN", "xl/vbaproject.bin", "xl/media/VbaProject.Bin")
        ),
        (
            "fake.xlsx",
            zip_bytes({"[Content_Types].xml": "x", "xl/workbook.xml": "not xml"}),
            "无法作为 Excel 工作簿读取",
        ),
    ],
)
def test_it_refuses_what_is_not_a_sane_xlsx_before_parsing(zone, items, login, name, data, message):
    response = upload(login(zone.staff), data, name=name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_it_refuses_a_file_over_the_size_limit(zone, items, login):
    response = upload(
        login(zone.staff), b"PK\x03\x04" + b"0" * (month_template.MAX_UPLOAD_BYTES + 1)
    )
    assert "文件超过 5 MB" in response.content.decode()


def test_it_refuses_an_empty_upload(zone, items, login):
    response = login(zone.staff).post(reverse("scoring:import", args=[2025, 3]), {})
    assert "请选择要上传的文件" in response.content.decode()


def test_it_refuses_a_template_of_another_month(zone, items, rule_set, login):
    response = upload(login(zone.staff), template(rule_set, month=2))
    assert "这是 2025年2月 的模板，不能导入到 2025年3月" in response.content.decode()


def test_it_refuses_a_workbook_that_is_not_our_template(zone, items, login):
    wb = openpyxl.Workbook()
    wb.active.append(["组织编码", "组织名称"])
    out = io.BytesIO()
    wb.save(out)
    response = upload(login(zone.staff), out.getvalue())
    assert "这不是本系统下载的积分录入模板" in response.content.decode()


def test_it_names_duplicate_rows_and_unknown_item_columns(zone, items, rule_set):
    wb = openpyxl.load_workbook(BytesIO(template(rule_set)))
    ws = wb.worksheets[0]
    ws.cell(month_template.HEADER_ROW, 4, "9.9 不存在的小项")
    ws.cell(ws.max_row + 1, 1, "A-1")
    out = BytesIO()
    wb.save(out)
    parsed = month_template.parse(
        out.getvalue(),
        "t.xlsx",
        zone=zone.zone,
        year=2025,
        month=3,
        items=rule_set.ordered_items(),
    )
    reasons = [p.reason for p in parsed.problems]
    assert "小项“9.9 不存在的小项”不在 2025 年度评分细则中" in reasons
    assert reasons.count("该组织在文件中出现了多次") == 2


def test_openpyxl_parses_with_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True


def test_the_import_command_saves_a_good_file(zone, items, rule_set, tmp_path):
    path = tmp_path / "3月.xlsx"
    path.write_bytes(fill(template(rule_set), {("A-1", "2.1"): 2}))
    out = StringIO()
    call_command("import_points", str(path), year=2025, month=3, user="staff", stdout=out)
    assert "1 处修改" in out.getvalue()
    record = PointEntry.history.get()
    assert (record.history_user, record.history_change_reason) == (zone.staff, "命令导入：3月.xlsx")


def test_the_import_command_refuses_a_bad_file_and_lists_every_cell(
    zone, items, rule_set, tmp_path
):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(
        fill(
            template(rule_set),
            {("A-1", "2.1"): 9, ("A-2", "2.1"): "x", ("X-9", "1.1"): 1, ("B-1", "1.1"): 1e30},
        )
    )
    err = StringIO()
    with pytest.raises(CommandError, match="4 处错误"):
        call_command("import_points", str(path), year=2025, month=3, user="staff", stderr=err)
    lines = err.getvalue().splitlines()
    assert [line.split(" ", 2)[1:2] for line in lines] == [
        ["第6行"],
        ["第7行"],
        ["第9行"],
        ["第10行"],
    ]
    assert "超出可录入的范围" in lines[2] and "组织编码不存在" in lines[3]
    assert not PointEntry.objects.exists()


def test_the_import_command_lists_every_problem_beyond_what_the_web_page_shows(
    zone, items, rule_set, tmp_path
):
    values = {}
    for i in range(50):
        make_org(zone.com_b, f"B-X{i}", f"乙扩{i}")
        values.update({(f"B-X{i}", item): "x" for item in ("1.1", "1.2", "1.3", "2.1", "2.2")})
    path = tmp_path / "bad.xlsx"
    path.write_bytes(fill(template(rule_set), values))
    err = StringIO()
    with pytest.raises(CommandError, match="250 处错误"):
        call_command("import_points", str(path), year=2025, month=3, user="staff", stderr=err)
    assert len(err.getvalue().splitlines()) == 250


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"year": 2031, "month": 3, "user": "staff"}, "2031 年度尚未建立评分细则"),
        ({"year": 2025, "month": 3, "user": "nobody"}, "没有用户 nobody"),
        ({"year": 2025, "month": 3}, "请用 --user 指定记录为修改人的用户名"),
        ({"year": 2025, "month": 3, "user": ""}, "请用 --user 指定"),
        (
            {"year": 2025, "month": 3, "user": "secretary"},
            "角色是“支部书记”，只有党建办工作人员或管理员",
        ),
        ({"year": 2025, "month": 3, "user": "viewer"}, "角色是“党委查看”"),
        ({"year": 2025, "month": 3, "user": "gone"}, "用户 gone 已停用"),
    ],
)
def test_the_import_command_explains_bad_arguments(zone, rule_set, tmp_path, args, message):
    make_user("gone", Role.STAFF, is_active=False)
    path = tmp_path / "x.xlsx"
    path.write_bytes(fill(template(rule_set), {("A-1", "2.1"): 2}))
    with pytest.raises(CommandError, match=message):
        call_command("import_points", str(path), **args)
    assert not PointEntry.objects.exists()


@pytest.mark.parametrize("username", ["staff", "admin"])
def test_the_import_command_records_the_office_user_as_the_author(
    zone, items, rule_set, tmp_path, username
):
    path = tmp_path / "3月.xlsx"
    path.write_bytes(fill(template(rule_set), {("A-1", "2.1"): 2}))
    call_command("import_points", str(path), year=2025, month=3, user=username, stdout=StringIO())
    assert PointEntry.history.get().history_user.username == username


def test_the_export_command_writes_every_entry_of_the_year(zone, items, tmp_path):
    record_points(
        zone=zone.zone,
        year=2025,
        cells=[
            Cell(zone.a1.pk, items["2.1"].pk, 3, "2", note='=HYPERLINK("http://x")'),
            Cell(zone.b1.pk, items["D1"].pk, 5, "-1", note="逾期"),
        ],
        user=None,
        reason="",
    )
    path = tmp_path / "points.xlsx"
    call_command("export_points", year=2025, output=str(path), stdout=StringIO())
    ws = openpyxl.load_workbook(path).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == tuple([name for name, _ in points_sheet.COLUMNS])
    assert rows[1] == ("A-1", "甲一支部", 3, "2.1", "“三会一课”", 2, '=HYPERLINK("http://x")')
    assert rows[2] == ("B-1", "乙一支部", 5, "D1", "材料逾期或不实", -1, "逾期")
    assert ws["G2"].data_type == "s"


def test_the_template_follows_the_grid_filter(zone, items, login):
    url = reverse("scoring:template", args=[2025, 3])
    response = login(zone.staff).get(url, {"committee": zone.com_b.pk})
    ws = openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content))).worksheets[0]
    codes = [
        row[0] for row in ws.iter_rows(min_row=month_template.FIRST_DATA_ROW, values_only=True)
    ]
    assert codes == ["B", "B-1"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("=1+1", "单元格是公式"),
        ('=HYPERLINK("http://example.com","1")', "单元格是公式"),
        ("=A1", "单元格是公式"),
    ],
)
def test_a_formula_cell_is_refused_by_name_and_never_clears_a_value(
    zone, items, rule_set, login, value, reason
):
    record_points(
        zone=zone.zone,
        year=2025,
        cells=[Cell(zone.a1.pk, items["2.1"].pk, 3, "2.5")],
        user=None,
        reason="",
    )
    # Saved by openpyxl, a formula has no cached value: read for its value it would be empty.
    response = upload(login(zone.staff), fill(template(rule_set), {("A-1", "2.1"): value}))
    [problem] = response.context["problems"]
    assert (problem.row, problem.column, problem.organization, problem.item) == (
        6,
        "F",
        "甲一支部",
        "2.1 “三会一课”",
    )
    assert reason in problem.reason
    assert not ImportBatch.objects.exists()
    assert PointEntry.objects.get().points == D("2.5")


def test_a_formula_in_the_code_column_is_refused_as_a_formula(zone, items, rule_set, login):
    """It was refused as a missing code (the files probe saw it): say what the cell is."""
    wb = openpyxl.load_workbook(BytesIO(template(rule_set)))
    wb.worksheets[0]["A6"] = '="A-"&1'
    out = BytesIO()
    wb.save(out)
    response = upload(login(zone.staff), out.getvalue())
    [problem] = response.context["problems"]
    assert (problem.row, problem.column) == (6, "A")
    assert "单元格是公式" in problem.reason
    assert not ImportBatch.objects.exists()


def test_error_dates_and_booleans_in_a_file_are_refused_never_cleared(zone, items, rule_set, login):
    import datetime

    record_points(
        zone=zone.zone,
        year=2025,
        cells=[Cell(zone.a1.pk, items[code].pk, 3, "1") for code in ("1.1", "1.2", "1.3")],
        user=None,
        reason="",
    )
    data = fill(
        template(rule_set),
        {("A-1", "1.1"): datetime.date(2025, 3, 1), ("A-1", "1.2"): True, ("A-1", "1.3"): "#N/A"},
    )
    wb = openpyxl.load_workbook(BytesIO(data))
    wb.worksheets[0]["E6"].data_type = "e"  # 1.3 as an error cell (#N/A), as Excel saves one
    out = BytesIO()
    wb.save(out)
    response = upload(login(zone.staff), out.getvalue())
    problems = {p.item: p.reason for p in response.context["problems"]}
    assert set(problems) == {"1.1 班子建设", "1.2 发展党员", "1.3 党费收缴"}
    assert "错误值" in problems["1.3 党费收缴"]
    assert {e.points for e in PointEntry.objects.all()} == {D("1")}


def test_the_template_gives_each_organizations_room_left_in_the_quarter(zone, items, rule_set):
    record_points(
        zone=zone.zone,
        year=2025,
        cells=[
            Cell(zone.a1.pk, items["2.1"].pk, 1, "2.5"),
            Cell(zone.a1.pk, items["D1"].pk, 2, "-1"),
        ],
        user=None,
        reason="",
    )
    workbook = openpyxl.load_workbook(BytesIO(template(rule_set)))
    assert workbook.sheetnames[:2] == ["2025年3月", month_template.ROOM_SHEET]
    rows = list(workbook[month_template.ROOM_SHEET].iter_rows(values_only=True))
    header = rows[month_template.HEADER_ROW - 1]
    a1 = next(r for r in rows if r[0] == "A-1")
    a2 = next(r for r in rows if r[0] == "A-2")
    assert a1[header.index("2.1 “三会一课”")] == 0.5  # 3.0 cap, 2.5 in January
    assert a1[header.index("D1 材料逾期或不实")] == 1.0  # 2.0 to deduct, 1 already
    assert a2[header.index("2.1 “三会一课”")] == 3.0
    meta = {r[0]: r[1] for r in workbook["说明"].iter_rows(values_only=True)}
    assert (meta["年度"], meta["月份"]) == (2025, 3)
