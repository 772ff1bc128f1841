"""The registry from Excel: the file read and refused cell by cell, the plan, applying it, and
the round trip through an empty database."""

import datetime
from io import BytesIO

import pytest
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from orgs import registry, registry_sheet
from orgs.credit_code import check_character
from orgs.models import (
    CoveredUnit,
    Kind,
    Organization,
    Role,
    SecretaryTerm,
    TierAssignment,
    TierSource,
    User,
    Zone,
)
from orgs.services import create_zone
from partybuild.xlsx import FileRefused

from .conftest import make_user

pytestmark = pytest.mark.django_db
YEAR = 2026


def credit(prefix="91341500MA2N0000"):
    """A well-formed 统一社会信用代码 from 16 characters and a serial digit."""

    def code(serial):
        first = f"{prefix}{serial}"
        return first + check_character(first)

    return code


CODE = credit()


def org_row(code, parent, **values):
    row = {
        "组织编码": code,
        "组织名称": f"{code}党支部",
        "简称": code,
        "组织类别": "党支部",
        "类型": "非公企业",
        "上级组织编码": parent,
        "党员人数": 10,
        "成立日期": "2015-07-01",
    }
    row.update(values)
    return row


def unit_row(org, name, **values):
    row = {"所属组织编码": org, "单位名称": name, "单位类型": "非公企业"}
    row.update(values)
    return row


def registry_file(orgs, units=()):
    workbook = Workbook()
    ws = workbook.active
    ws.title = registry.ORG_SHEET
    ws.append(registry.ORG_TITLES)
    for row in orgs:
        ws.append([row.get(title) for title in registry.ORG_TITLES])
    ws = workbook.create_sheet(registry.UNIT_SHEET)
    ws.append(registry.UNIT_TITLES)
    for row in units:
        ws.append([row.get(title) for title in registry.UNIT_TITLES])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def prepare(zone, orgs, units=()):
    return registry.prepare(registry_file(orgs, units), "名册.xlsx", zone=zone.zone, year=YEAR)


def problems(zone, orgs, units=()):
    with pytest.raises(registry.Refused) as refused:
        prepare(zone, orgs, units)
    return [(p.sheet, p.row, p.column, p.value, p.reason) for p in refused.value.problems]


def imported(zone, orgs, units=(), **kwargs):
    plan = prepare(zone, orgs, units)
    return plan, registry.apply(plan=plan, by=zone.staff, source="名册.xlsx", **kwargs)


THREE = [
    org_row("CC", "ROOT", 组织名称="丙党委", 组织类别="党委"),
    org_row("CC-1", "CC", 书记姓名="张三", 书记手机号="13800000001", 初始分类="A"),
    org_row("CC-2", "CC", 书记姓名="李四", 书记手机号=13800000002, 初始分类="B"),
]


# The check character (GB 32100-2015).


def test_the_credit_code_check_character_is_that_of_real_codes():
    for real in ("91110108551385082Q", "914403001922038216", "91330100716105852F"):
        assert check_character(real[:17]) == real[17]


def test_a_remainder_of_zero_gives_the_character_zero():
    # 31 - 0 would be 31, which the standard writes as 0.
    assert check_character("00000000000000000") == "0"


# Creating.


def test_a_parent_may_come_after_its_children(zone):
    _plan, applied = imported(zone, list(reversed(THREE)))
    assert applied.created == 3
    c = Organization.objects.get(zone=zone.zone, code="CC")
    assert c.parent() == zone.root and c.numchild == 2
    assert {o.code for o in Organization.objects.get_children(c)} == {"CC-1", "CC-2"}
    assert Organization.objects.find_problems() == ([], [], [], [], [])


def test_importing_creates_secretaries_named_by_phone_with_one_time_passwords(zone):
    _, applied = imported(zone, THREE)
    opened = {o.user.username: o for o in applied.opened}
    assert set(opened) == {"13800000001", "13800000002"}
    user = opened["13800000001"].user
    user.refresh_from_db()
    assert user.must_change_password and user.role == Role.SECRETARY
    assert user.check_password(opened["13800000001"].password)
    assert opened["13800000001"].password not in user.password
    assert user.secretary_of.code == "CC-1"
    assert SecretaryTerm.objects.filter(user=user, ended_at__isnull=True).count() == 1


def test_initial_tiers_are_set_for_the_year(zone):
    imported(zone, THREE)
    tier = TierAssignment.objects.get(organization__code="CC-1", organization__zone=zone.zone)
    assert (tier.year, tier.tier, tier.source) == (YEAR, "A", TierSource.INITIAL)
    assert tier.set_by == zone.staff


def test_covered_units_are_created_with_their_organization(zone):
    units = [unit_row("CC-1", "甲公司", 统一社会信用代码=CODE(1), 职工人数=120)]
    imported(zone, THREE, units)
    unit = CoveredUnit.objects.get(name="甲公司")
    assert (unit.organization.code, unit.credit_code, unit.employee_count) == ("CC-1", CODE(1), 120)


# Refusals: every bad cell named; nothing written.


def assert_nothing_written(zone):
    assert not Organization.objects.filter(zone=zone.zone, code__startswith="CC").exists()
    assert not User.objects.filter(username__startswith="138").exists()


def test_an_unknown_parent_is_named(zone):
    rows = [*THREE, org_row("CC-3", "NOPE")]
    assert problems(zone, rows) == [
        (registry.ORG_SHEET, 5, "F", "NOPE", "上级组织编码在本文件和本区系统中都不存在")
    ]
    assert_nothing_written(zone)


def test_a_cycle_is_named_on_every_row_of_it(zone):
    rows = [
        org_row("CC", "DD", 组织类别="党委"),
        org_row("DD", "CC", 组织类别="党总支"),
        org_row("CC-1", "CC"),
    ]
    found = problems(zone, rows)
    assert [(row, column) for _, row, column, _, _ in found] == [(2, "F"), (3, "F")]
    assert all("循环" in reason for *_, reason in found)
    assert_nothing_written(zone)


def test_an_existing_organization_cannot_be_put_under_its_own_branch(zone):
    rows = [org_row("A", "A-1", 组织类别="党委"), org_row("A-1", "ROOT", 组织类别="党总支")]
    # A-1 is A's child in the zone; A under under ROOT is no cycle.
    plan = prepare(zone, rows)
    assert {m.row.code for m in plan.moved} == {"A", "A-1"}
    rows = [org_row("A", "A-1", 组织类别="党委")]
    found = problems(zone, rows)
    assert found[0][1:3] == (2, "F") and "上级组织是党支部" in found[0][4]


def test_a_duplicate_code_is_named(zone):
    rows = [*THREE, org_row("cc-1", "CC")]
    assert problems(zone, rows) == [(registry.ORG_SHEET, 5, "A", "CC-1", "组织编码与第 3 行重复")]


def test_an_unknown_kind_and_sector_are_named(zone):
    rows = [org_row("CC-1", "ROOT", 组织类别="小组", 类型="企业")]
    found = problems(zone, rows)
    assert [(column, value) for _, _, column, value, _ in found] == [("D", "小组"), ("E", "企业")]
    assert "可选：党工委、党委" in found[0][4]


def test_a_bad_date_is_named(zone):
    rows = [
        org_row("CC-1", "ROOT", 成立日期="2015-13-01"),
        org_row("CC-2", "ROOT", 成立日期="1900-01-01"),
        org_row("CC-3", "ROOT", 届满日期="明年"),
    ]
    found = problems(zone, rows)
    assert [(row, column) for _, row, column, _, _ in found] == [(2, "H"), (3, "H"), (4, "M")]


def test_a_credit_code_with_a_wrong_check_character_is_named(zone):
    good = CODE(1)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    units = [unit_row("CC-1", "甲公司", 统一社会信用代码=bad)]
    found = problems(zone, THREE, units)
    assert found == [
        (
            registry.UNIT_SHEET,
            2,
            "C",
            bad,
            f"统一社会信用代码校验位错误：按前 17 位计算，第 18 位应为 {good[17]}",
        )
    ]


def test_a_duplicate_phone_is_named(zone):
    rows = [*THREE, org_row("CC-3", "CC", 书记姓名="王五", 书记手机号="13800000001")]
    found = problems(zone, rows)
    assert found == [
        (registry.ORG_SHEET, 5, "L", "13800000001", "手机号与第 3 行重复：一人只能任一个组织的书记")
    ]


def test_a_phone_of_another_zones_or_roles_account_is_named(zone, other_zone):
    make_user("13900000001", Role.SECRETARY, zone=other_zone.zone)
    make_user("13900000002", Role.STAFF, zone=zone.zone)
    make_user("someone", Role.SECRETARY, zone=zone.zone, phone="13900000003")
    rows = [
        org_row("CC-1", "ROOT", 书记姓名="甲", 书记手机号="13900000001"),
        org_row("CC-2", "ROOT", 书记姓名="乙", 书记手机号="13900000002"),
        org_row("CC-3", "ROOT", 书记姓名="丙", 书记手机号="13900000003"),
    ]
    found = problems(zone, rows)
    assert [(row, column) for _, row, column, _, _ in found] == [(2, "L"), (3, "L"), (4, "L")]
    assert "账号“someone”" in found[2][4]


def test_a_formula_cell_is_refused(zone):
    rows = [org_row("CC-1", "ROOT", 党员人数="=5+5")]
    found = problems(zone, rows)
    assert found[0][1:3] == (2, "G") and "公式" in found[0][4]


def test_a_credit_code_held_by_a_unit_elsewhere_is_named(zone):
    CoveredUnit.objects.create(
        organization=zone.b1, name="旧单位", kind="enterprise", credit_code=CODE(2)
    )
    units = [unit_row("CC-1", "甲公司", 统一社会信用代码=CODE(2))]
    found = problems(zone, THREE, units)
    assert found[0][:3] == (registry.UNIT_SHEET, 2, "C") and "乙一支部" in found[0][4]


def test_every_bad_cell_is_listed_not_only_the_first(zone):
    rows = [
        org_row("CC-1", "ROOT", 党员人数=2, 党建示范点="可能"),
        org_row("", "ROOT", 组织名称=""),
    ]
    units = [unit_row("ZZZ", "某公司")]
    found = problems(zone, rows, units)
    assert [(sheet, row, column) for sheet, row, column, _, _ in found] == [
        (registry.ORG_SHEET, 2, "G"),
        (registry.ORG_SHEET, 2, "I"),
        (registry.ORG_SHEET, 3, "A"),
        (registry.ORG_SHEET, 3, "B"),
        (registry.ORG_SHEET, 3, "C"),
        (registry.UNIT_SHEET, 2, "A"),
    ]


def test_a_file_that_is_not_a_registry_is_refused_whole(zone):
    with pytest.raises(FileRefused, match="没有“党组织名册”工作表"):
        registry.prepare(_workbook_bytes(Workbook()), "名册.xlsx", zone=zone.zone, year=YEAR)
    with pytest.raises(FileRefused, match=r"\.xlsx"):
        registry.prepare(b"PK", "名册.xls", zone=zone.zone, year=YEAR)


def _workbook_bytes(workbook):
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# Re-importing: matched by code.


def test_reimporting_updates_and_never_duplicates(zone):
    imported(zone, THREE)
    changed = [
        THREE[0],
        {**THREE[1], "组织名称": "丙一党支部（更名）", "党员人数": 25, "初始分类": "C"},
        THREE[2],
    ]
    plan, applied = imported(zone, changed)
    assert not plan.created and applied.created == 0
    assert [(c.row.code, [(x.label, x.old, x.new) for x in c.changes]) for c in plan.changed] == [
        (
            "CC-1",
            [
                ("组织名称", "CC-1党支部", "丙一党支部（更名）"),
                ("党员人数", "10", "25"),
                (f"{YEAR} 年度分类", "A", "C"),
            ],
        )
    ]
    assert Organization.objects.filter(zone=zone.zone, code="CC-1").count() == 1
    c1 = Organization.objects.filter(pk=plan.changed[0].organization.pk).with_tier(YEAR).get()
    assert (c1.name, c1.member_count, c1.tier) == ("丙一党支部（更名）", 25, "C")
    assert User.objects.filter(username="13800000001").count() == 1
    assert applied.opened == []


def test_the_same_file_twice_changes_nothing(zone):
    units = [unit_row("CC-1", "甲公司", 统一社会信用代码=CODE(1))]
    imported(zone, THREE, units)
    plan = prepare(zone, THREE, units)
    assert not (plan.created or plan.changed or plan.moved)


def test_a_move_places_the_branch_under_its_new_parent(zone):
    plan, _applied = imported(zone, [org_row("A-1", "B")])
    assert [(m.old_parent, m.new_parent) for m in plan.moved] == [("A", "B")]
    a1 = Organization.objects.get(pk=zone.a1.pk)
    assert a1.parent() == zone.com_b
    assert Organization.objects.get(pk=zone.com_a.pk).numchild == 1
    assert Organization.objects.get(pk=zone.com_b.pk).numchild == 2
    assert Organization.objects.find_problems() == ([], [], [], [], [])


def test_swapping_a_parent_and_its_child_keeps_a_sound_tree(zone):
    rows = [org_row("A", "A-1", 组织类别="党委"), org_row("A-1", "ROOT", 组织类别="党总支")]
    imported(zone, rows)
    a, a1 = (Organization.objects.get(pk=o.pk) for o in (zone.com_a, zone.a1))
    assert a.parent() == a1 and a1.parent() == zone.root
    assert Organization.objects.get(pk=zone.a2.pk).parent() == a
    assert Organization.objects.find_problems() == ([], [], [], [], [])


def test_a_new_secretary_by_phone_ends_the_old_ones_term(zone):
    zone.secretary.phone = "13700000000"
    zone.secretary.save()
    plan, _applied = imported(
        zone, [org_row("A-1", "A", 书记姓名="新书记", 书记手机号="13800000009")]
    )
    assert [x.label for x in plan.changed[0].changes] == ["组织名称", "简称", "成立日期", "书记"]
    a1 = Organization.objects.get(pk=zone.a1.pk)
    assert a1.secretary.username == "13800000009"
    assert not Organization.objects.filter(secretary=zone.secretary).exists()
    assert SecretaryTerm.objects.get(organization=a1, ended_at__isnull=True).user == a1.secretary


# Missing from the file: offered, deactivated only when ticked.


def test_organizations_missing_from_the_file_are_only_deactivated_when_ticked(zone):
    plan, applied = imported(zone, THREE)
    missing = {o.code for o in plan.missing}
    assert missing == {"A", "B", "A-1", "A-2", "B-1"}
    assert applied.deactivated == 0
    assert Organization.objects.filter(zone=zone.zone, is_active=True).count() == 9
    plan, applied = imported(zone, THREE, deactivate=[zone.a2.pk, zone.root.pk])
    assert applied.deactivated == 1
    assert not Organization.objects.get(pk=zone.a2.pk).is_active
    assert Organization.objects.filter(pk=zone.a2.pk).exists()  # never deleted
    assert Organization.objects.get(pk=zone.root.pk).is_active


# The round trip.


def sheet_values(data):
    workbook = load_workbook(BytesIO(data))
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in workbook}


def new_zone():
    """A zone as its platform administrator creates it: the working committee and the first
    administrator, nothing else."""
    zone = create_zone(
        name="新区",
        code="XQ",
        region=None,
        root_name="新区党工委",
        root_short_name="党工委",
        root_members=9,
        root_founded_on=datetime.date(2001, 1, 1),
        admin_username="first",
        admin_name="首位管理员",
        admin_password="a-long-test-password",
    )
    return zone, User.objects.get(username="first")


def test_an_export_imported_into_an_empty_database_exports_the_same(transactional_db):
    zone, admin = new_zone()
    rows = [
        org_row("XQ", "", 组织名称="新区党工委（全称）", 组织类别="党工委", 类型="机关事业单位"),
        org_row("CC-3", "CC", 党建示范点="是", 届满日期="2027年6月30日", 状态="停用"),
        org_row("CC-4", "DD", 组织类别="联合党支部", 类型="社会组织", 初始分类="C"),
        org_row("DD", "XQ", 组织类别="党委", 书记姓名="赵六", 书记手机号="13800000006"),
        *(dict(r, 上级组织编码="XQ") if r["组织编码"] == "CC" else r for r in THREE),
    ]
    units = [
        unit_row("CC-1", "甲公司", 统一社会信用代码=CODE(1), 职工人数=300),
        unit_row("CC-4", "乙协会", 单位类型="社会组织"),
        unit_row("CC-4", "丙协会", 单位类型="社会组织", 统一社会信用代码=CODE(3)),
    ]
    plan = registry.prepare(registry_file(rows, units), "名册.xlsx", zone=zone, year=YEAR)
    registry.apply(plan=plan, by=admin, source="名册.xlsx")
    first = registry_sheet.export(zone, year=YEAR)

    call_command("flush", interactive=False, verbosity=0)
    assert not Organization.objects.exists() and not User.objects.exists()
    zone, admin = new_zone()
    plan = registry.prepare(first, "导出.xlsx", zone=zone, year=YEAR)
    registry.apply(plan=plan, by=admin, source="导出.xlsx")
    second = registry_sheet.export(zone, year=YEAR)
    assert sheet_values(second) == sheet_values(first)
    assert len(sheet_values(first)[registry.ORG_SHEET]) == 1 + 7
    assert Organization.objects.get(code="XQ").name == "新区党工委（全称）"
    assert Organization.objects.find_problems() == ([], [], [], [], [])


def test_the_template_holds_the_working_committee_and_the_guide(zone):
    values = sheet_values(registry_sheet.template(zone.zone, year=YEAR))
    assert values[registry.ORG_SHEET][0] == registry.ORG_TITLES
    assert [row[0] for row in values[registry.ORG_SHEET][1:]] == ["ROOT"]
    assert values[registry.UNIT_SHEET] == [registry.UNIT_TITLES]
    assert values[registry.GUIDE_SHEET][0][0] == "党组织名册填写说明"


def test_a_template_filled_in_imports(zone):
    workbook = load_workbook(BytesIO(registry_sheet.template(zone.zone, year=YEAR)))
    ws = workbook[registry.ORG_SHEET]
    for row in THREE:
        ws.append([row.get(title) for title in registry.ORG_TITLES])
    plan = registry.prepare(_workbook_bytes(workbook), "模板.xlsx", zone=zone.zone, year=YEAR)
    assert [r.code for r in plan.created] == ["CC", "CC-1", "CC-2"]
    assert not plan.changed


def test_kind_of_root_row_is_checked(zone):
    rows = [org_row("ROOT", "", 组织类别="党委")]
    found = problems(zone, rows)
    assert found[0][2] == "D"
    assert Kind.WORKING_COMMITTEE.label in found[0][4]


def test_two_organizations_can_swap_their_secretaries_in_one_import(zone):
    imported(zone, THREE)
    swapped = [
        THREE[0],
        {**THREE[1], "书记姓名": "李四", "书记手机号": "13800000002"},
        {**THREE[2], "书记姓名": "张三", "书记手机号": "13800000001"},
    ]
    _, applied = imported(zone, swapped)
    assert applied.opened == []
    holders = dict(
        Organization.objects.filter(code__in=["CC-1", "CC-2"]).values_list(
            "code", "secretary__username"
        )
    )
    assert holders == {"CC-1": "13800000002", "CC-2": "13800000001"}
    open_terms = SecretaryTerm.objects.filter(
        ended_at__isnull=True, organization__code__startswith="CC-"
    )
    assert open_terms.count() == 2
    assert SecretaryTerm.objects.filter(ended_at__isnull=False).count() == 2


def test_a_phone_of_a_deactivated_secretary_is_named(zone):
    make_user("13900000009", Role.SECRETARY, zone=zone.zone, is_active=False)
    rows = [org_row("CC-1", "ROOT", 书记姓名="甲", 书记手机号="13900000009")]
    assert problems(zone, rows) == [
        (
            registry.ORG_SHEET,
            2,
            "L",
            "13900000009",
            "该手机号的书记账号已停用，请先在账号管理中启用",
        )
    ]


def test_the_benchs_city_registry_imports_and_imports_again_unchanged(db, monkeypatch):
    from bench import registry as bench_registry

    monkeypatch.setattr(bench_registry, "ORGS", 150)
    first, again, _ = bench_registry.one_run(bench_registry.registry_file("RGBENCH", 150))
    assert first > 0 and again > 0
    assert not Zone.objects.filter(code="RGBENCH").exists()  # rolled back
