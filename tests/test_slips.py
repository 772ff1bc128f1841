"""开通通知单: the slips of new one-time passwords, on paper and in Excel, never kept."""

from io import BytesIO

import openpyxl
import pytest
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core import signing
from django.test import RequestFactory
from django.urls import reverse

from orgs.accounts import issue_one_time_password
from orgs.slips import (
    MAX_AGE,
    Slip,
    SlipsExpired,
    login_address,
    render_slips,
    sign,
    slip_for,
    slips_workbook,
    unsign,
)

pytestmark = pytest.mark.django_db


def make_slips(n=2):
    return [
        Slip(
            organization=f"第{i}党支部",
            name=f"书记{i}",
            username=f"1380000000{i}",
            password=f"pw{i}abcdefgh",
            login_address="https://dj.example.cn/accounts/login/",
        )
        for i in range(n)
    ]


def sheet_of(data):
    return openpyxl.load_workbook(BytesIO(data))["开通通知单"]


def test_the_workbook_has_one_block_per_slip_each_on_its_own_printed_page():
    ws = sheet_of(slips_workbook(make_slips(3)))
    values = [[c.value for c in row] for row in ws.iter_rows()]
    titles = [i for i, row in enumerate(values) if row[0] == "账号开通通知单"]
    assert len(titles) == 3
    first = {row[0]: row[1] for row in values[titles[0] + 1 : titles[1]] if row and row[0]}
    assert first["党组织"] == "第0党支部"
    assert first["姓名"] == "书记0"
    assert first["用户名"] == "13800000000"
    assert first["初始密码"] == "pw0abcdefgh"
    assert first["登录地址"] == "https://dj.example.cn/accounts/login/"
    assert "首次登录" in first["说明"]
    # A break after each block but the last, at the row before the next block's title.
    assert [b.id for b in ws.row_breaks.brk] == [titles[1], titles[2]]
    assert ws.page_setup.orientation == "portrait"
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4


def test_a_name_that_looks_like_a_formula_stays_text_in_the_workbook():
    slip = Slip("=1+1", "=HYPERLINK(1)", "13800000000", "pw", "http://x/")
    ws = sheet_of(slips_workbook([slip]))
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value}
    assert cells["=HYPERLINK(1)"].data_type == "s"
    assert cells["=1+1"].data_type == "s"


def test_a_secretarys_slip_names_their_organization_and_the_sites_login_page(zone, settings):
    settings.PARTYBUILD_SITE_URL = "https://dj.example.cn/"
    password = issue_one_time_password(user=zone.secretary)
    slip = slip_for(zone.secretary, password)
    assert slip.organization == zone.a1.name
    assert slip.name == zone.secretary.display_name
    assert slip.username == "secretary"
    assert slip.password == password
    assert slip.login_address == login_address() == "https://dj.example.cn/accounts/login/"


def test_an_office_accounts_slip_names_its_zones_office(zone):
    slip = slip_for(zone.staff, "pw")
    assert slip.organization == "测试开发区党建办工作人员"


def test_signed_slips_come_back_only_to_the_user_who_made_them(zone):
    slips = make_slips()
    token = sign(slips, by=zone.staff)
    assert "pw0abcdefgh" not in token  # compressed and encoded, not legible in the page
    assert unsign(token, by=zone.staff) == slips
    with pytest.raises(SlipsExpired, match="不是您生成的"):
        unsign(token, by=zone.admin)
    with pytest.raises(SlipsExpired, match="无效"):
        unsign(token[:-2] + "xx", by=zone.staff)


def test_signed_slips_expire(zone, monkeypatch):
    token = sign(make_slips(), by=zone.staff)
    later = signing.time.time() + MAX_AGE + 1
    monkeypatch.setattr(signing.time, "time", lambda: later)
    with pytest.raises(SlipsExpired, match="60 分钟"):
        unsign(token, by=zone.staff)


def slip_page(user, slips):
    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    return render_slips(request, slips, title="重置密码", back="/orgs/")


def test_the_slip_page_shows_every_slip_and_is_never_cached(zone):
    response = slip_page(zone.staff, make_slips(2))
    html = response.content.decode()
    assert html.count('class="slip card"') == 2
    assert "pw1abcdefgh" in html and "第1党支部" in html
    assert "no-store" in response["Cache-Control"]
    assert 'href="/orgs/"' in html
    assert reverse("accounts:slips_download") in html


def test_the_download_gives_back_the_slips_the_page_showed(login, zone):
    slips = make_slips(2)
    token = sign(slips, by=zone.staff)
    response = login(zone.staff).post(reverse("accounts:slips_download"), {"slips": token})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "attachment" in response["Content-Disposition"]
    ws = sheet_of(b"".join(response.streaming_content))
    assert "pw1abcdefgh" in [c.value for row in ws.iter_rows() for c in row]


def test_someone_elses_slips_are_not_downloaded(login, zone):
    token = sign(make_slips(), by=zone.staff)
    response = login(zone.admin).post(reverse("accounts:slips_download"), {"slips": token})
    assert response.status_code == 302
    follow = login(zone.admin).get(response["Location"], follow=True)
    assert "不是您生成的" in follow.content.decode()


def test_a_big_zones_slips_fill_sheets_of_at_most_so_many_page_breaks(monkeypatch):
    # Excel keeps at most 1,026 page breaks to a sheet: slips go on in a new sheet.
    from orgs import slips

    monkeypatch.setattr(slips, "SLIPS_PER_SHEET", 2)
    workbook = openpyxl.load_workbook(BytesIO(slips_workbook(make_slips(5))))
    assert workbook.sheetnames == ["开通通知单", "开通通知单2", "开通通知单3"]
    assert [len(workbook[name].row_breaks.brk) for name in workbook.sheetnames] == [1, 1, 0]
    users = [c.value for ws in workbook for row in ws.iter_rows() for c in row if c.column == 2]
    assert [u for u in users if u and u.startswith("138")] == [f"1380000000{i}" for i in range(5)]
