"""The registry's pages (upload, preview, confirm, slips) and its two commands."""

from io import BytesIO, StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import load_workbook

from orgs import registry
from orgs.models import Organization, User

from .test_registry import THREE, org_row, registry_file

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, data, name="名册.xlsx"):
    return client.post(
        reverse("orgs:registry"), {"file": SimpleUploadedFile(name, data, content_type=XLSX)}
    )


def test_the_office_downloads_the_template_with_its_working_committee(zone, login):
    response = login(zone.staff).get(reverse("orgs:registry_template"))
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook[registry.ORG_SHEET].iter_rows(values_only=True))
    assert rows[0][0] == "组织编码" and [r[0] for r in rows[1:]] == ["ROOT"]


def test_the_export_holds_every_organization_of_the_zone_only(zone, other_zone, login):
    response = login(zone.staff).get(reverse("orgs:registry_export"))
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    codes = [r[0] for r in workbook[registry.ORG_SHEET].iter_rows(min_row=2, values_only=True)]
    assert codes == ["ROOT", "A", "A-1", "A-2", "B", "B-1"]


def test_upload_preview_confirm_then_the_slips(zone, login):
    client = login(zone.staff)
    response = upload(client, registry_file(THREE))
    assert response.status_code == 302 and response.url == reverse("orgs:registry_preview")
    preview = client.get(response.url)
    assert preview.context["plan"].created[0].code == "CC"
    assert "新建组织（3）" in preview.content.decode()
    assert not Organization.objects.filter(code="CC").exists()  # nothing before confirming
    slips = client.post(reverse("orgs:registry_preview"), {"confirm": "1"})
    assert slips.status_code == 200
    page = slips.content.decode()
    assert "书记账号开通通知单" in page and "13800000001" in page
    assert "no-store" in slips["Cache-Control"]
    for slip in slips.context["slips"]:
        assert User.objects.get(username=slip.username).check_password(slip.password)
    assert Organization.objects.filter(zone=zone.zone, code__startswith="CC").count() == 3
    assert "registry_upload" not in client.session


def test_a_bad_file_lists_every_bad_cell_and_saves_nothing(zone, login):
    client = login(zone.staff)
    response = upload(client, registry_file([*THREE, org_row("CC-3", "NOPE", 党员人数=1)]))
    assert response.status_code == 200
    problems = [(p.row, p.column) for p in response.context["problems"]]
    assert problems == [(5, "F"), (5, "G")]
    assert "上级组织编码在本文件和本区系统中都不存在" in response.content.decode()
    assert not Organization.objects.filter(code__startswith="CC").exists()


def test_a_file_that_is_not_xlsx_is_refused_on_the_form(zone, login):
    response = upload(login(zone.staff), b"not a workbook", name="名册.csv")
    assert "只接受 .xlsx" in response.content.decode()


def test_missing_organizations_are_deactivated_only_when_ticked(zone, login):
    client = login(zone.staff)
    upload(client, registry_file(THREE))
    preview = client.get(reverse("orgs:registry_preview"))
    assert f'value="{zone.a2.pk}"' in preview.content.decode()
    client.post(reverse("orgs:registry_preview"), {"confirm": "1", "deactivate": [zone.a2.pk]})
    active = dict(Organization.objects.filter(zone=zone.zone).values_list("code", "is_active"))
    assert active["A-2"] is False
    assert all(v for code, v in active.items() if code != "A-2")


def test_a_change_since_the_preview_shows_the_preview_again(zone, login):
    client = login(zone.staff)
    upload(client, registry_file([org_row("A-1", "A", 组织名称="甲一支部（新）")]))
    Organization.objects.filter(pk=zone.a1.pk).update(member_count=44)
    response = client.post(reverse("orgs:registry_preview"), {"confirm": "1"})
    assert response.status_code == 200
    assert "预览之后名册有了变化" in response.content.decode()
    assert Organization.objects.get(pk=zone.a1.pk).name == "甲一支部"
    client.post(reverse("orgs:registry_preview"), {"confirm": "1"})
    assert Organization.objects.get(pk=zone.a1.pk).name == "甲一支部（新）"


def test_cancelling_changes_nothing(zone, login):
    client = login(zone.staff)
    upload(client, registry_file(THREE))
    client.post(reverse("orgs:registry_preview"), {"cancel": "1"})
    assert not Organization.objects.filter(code="CC").exists()
    assert client.get(reverse("orgs:registry_preview")).status_code == 302


def test_an_upload_of_one_zone_is_not_confirmed_in_another(zone, other_zone, login):
    client = login(zone.staff)
    upload(client, registry_file(THREE))
    session = client.session
    session["registry_upload"]["zone"] = other_zone.zone.pk
    session.save()
    assert client.get(reverse("orgs:registry_preview")).status_code == 302


# The commands.


def test_export_then_import_by_command_changes_nothing(zone, tmp_path):
    path = tmp_path / "名册.xlsx"
    call_command("export_registry", "--zone", "ROOT", "--output", str(path), stdout=StringIO())
    out = StringIO()
    call_command("import_registry", str(path), "--user", "staff", stdout=out)
    assert "新建 0 个、修改 0 个、调整上级 0 个" in out.getvalue()


def test_a_dry_run_shows_the_plan_and_saves_nothing(zone, tmp_path):
    path = tmp_path / "名册.xlsx"
    path.write_bytes(registry_file(THREE))
    out = StringIO()
    call_command("import_registry", str(path), "--user", "staff", "--dry-run", stdout=out)
    assert "新建 3 个" in out.getvalue() and "未保存任何修改" in out.getvalue()
    assert not Organization.objects.filter(code="CC").exists()


def test_the_import_command_writes_the_slips_and_deactivates_only_when_asked(zone, tmp_path):
    path = tmp_path / "名册.xlsx"
    path.write_bytes(registry_file(THREE))
    out = StringIO()
    call_command("import_registry", str(path), "--user", "staff", stdout=out)
    slips = tmp_path / "名册-开通通知单.xlsx"
    text = [
        c
        for row in load_workbook(slips).active.iter_rows(values_only=True)
        for c in row
        if c is not None
    ]
    assert "13800000001" in text and "停用 0 个" in out.getvalue()
    assert "初始密码" not in out.getvalue().replace("（含初始密码）", "")
    call_command(
        "import_registry", str(path), "--user", "staff", "--deactivate-missing", stdout=out
    )
    assert not Organization.objects.get(pk=zone.a1.pk).is_active
    assert Organization.objects.get(pk=zone.root.pk).is_active


def test_the_import_command_lists_every_problem_and_refuses(zone, tmp_path):
    path = tmp_path / "名册.xlsx"
    path.write_bytes(
        registry_file([org_row("CC-1", "NOPE"), org_row("CC-2", "ROOT", 成立日期="x")])
    )
    err = StringIO()
    with pytest.raises(CommandError, match="2 处错误"):
        call_command("import_registry", str(path), "--user", "staff", stderr=err)
    assert "第2行 F列（上级组织编码）“NOPE”" in err.getvalue()
    assert "第3行 H列（成立日期）“x”" in err.getvalue()


def test_the_import_command_needs_an_office_user(zone, tmp_path):
    with pytest.raises(CommandError, match="只有党建办工作人员或管理员可以导入党组织名册"):
        call_command("import_registry", str(tmp_path / "x.xlsx"), "--user", "viewer")
