"""Work records (一本通): the secretary records and submits, the office awards or returns."""

import datetime
import importlib.util
import os
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dashboard.models import Notification
from records.models import RecordAttachment, State, WorkRecord
from records.services import Decision, Draft, review_records, save_record, submit_record
from scoring.models import PointEntry
from scoring.services.periods import close_month
from scoring.services.points import Cell, record_points
from scoring.services.steps import Refused

from .files import image_bytes, pdf_bytes


def photo(name="活动.jpg", size=(800, 600)):
    return SimpleUploadedFile(name, image_bytes("JPEG", size=size), content_type="image/jpeg")


def form_data(items, **changes):
    data = {
        "date": "2025-03-05",
        "item": items["2.2"].pk,
        "title": "3月主题党日",
        "participants": "全体党员 12 人",
        "content": "参观革命纪念馆，重温入党誓词。",
        "claimed": "1",
        "action": "draft",
    }
    data.update(changes)
    return data


def make_record(zone, items, *, item="2.2", date=datetime.date(2025, 3, 5), title="主题党日"):
    draft = Draft(
        item=items[item], date=date, title=title, participants="", content="内容", claimed=None
    )
    return save_record(organization=zone.a1, user=zone.secretary, draft=draft)


def submitted(zone, items, **kwargs):
    return submit_record(record=make_record(zone, items, **kwargs), user=zone.secretary)


def at(day):
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
    return lambda: moment


def test_a_secretary_saves_a_draft_with_photos_and_a_pdf(zone, items, login):
    client = login(zone.secretary)
    data = form_data(items, evidence=[photo(), SimpleUploadedFile("签到表.pdf", pdf_bytes())])
    response = client.post(reverse("records:create", args=[zone.a1.pk]), data)
    record = WorkRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("records:detail", args=[record.pk])
    assert (record.state, record.year, record.month) == (State.DRAFT, 2025, 3)
    assert record.claimed_points == Decimal("1")
    files = {a.name: a for a in record.attachments.all()}
    assert set(files) == {"活动.jpg", "签到表.pdf"}
    assert files["活动.jpg"].thumbnail and not files["签到表.pdf"].thumbnail
    thumb = client.get(reverse("records:thumbnail", args=[files["活动.jpg"].pk]))
    assert thumb["Content-Type"] == "image/jpeg"
    page = client.get(reverse("records:detail", args=[record.pk])).content.decode()
    assert reverse("records:thumbnail", args=[files["活动.jpg"].pk]) in page
    assert items["2.2"].standard[:10] in page


def test_a_disguised_file_is_refused_and_nothing_is_saved(zone, items, login):
    client = login(zone.secretary)
    fake = SimpleUploadedFile("照片.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    response = client.post(
        reverse("records:create", args=[zone.a1.pk]), form_data(items, evidence=[fake])
    )
    assert response.status_code == 200
    assert "附件只能是 PDF、JPG、PNG 或 DOCX 文件" in response.content.decode()
    assert not WorkRecord.objects.exists() and not RecordAttachment.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"date": "2099-01-01"}, "活动日期不能晚于今天"),
        ({"date": "2024-05-01"}, "所选小项属于 2025 年度评分细则，活动日期在 2024 年"),
        ({"claimed": "abc"}, "自评分"),
        ({"claimed": "99"}, "自评分"),
        ({"title": ""}, "请填写活动名称"),
    ],
)
def test_bad_input_is_refused_with_a_message(zone, items, login, changes, message):
    response = login(zone.secretary).post(
        reverse("records:create", args=[zone.a1.pk]), form_data(items, **changes)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not WorkRecord.objects.exists()


def test_deduction_items_cannot_be_chosen(zone, items, login):
    response = login(zone.secretary).post(
        reverse("records:create", args=[zone.a1.pk]), form_data(items, item=items["D1"].pk)
    )
    assert "所选小项不在本开发区的评分细则中" in response.content.decode()


def test_a_submission_after_the_month_deadline_is_marked_late(zone, items, monkeypatch):
    record = make_record(zone, items)
    monkeypatch.setattr(timezone, "now", at(datetime.date(2025, 4, 10)))
    assert submit_record(record=record, user=zone.secretary).late is False
    other = make_record(zone, items, title="迟交")
    monkeypatch.setattr(timezone, "now", at(datetime.date(2025, 4, 11)))
    assert submit_record(record=other, user=zone.secretary).late is True


def test_saving_and_submitting_in_one_step(zone, items, login):
    client = login(zone.secretary)
    client.post(reverse("records:create", args=[zone.a1.pk]), form_data(items, action="submit"))
    assert WorkRecord.objects.get().state == State.SUBMITTED


def test_awarding_writes_points_through_the_grid_service_naming_the_record(zone, items):
    record = submitted(zone, items)
    record_points(
        zone=zone.zone,
        year=2025,
        cells=[Cell(zone.a1.pk, items["2.2"].pk, 3, "1")],
        user=zone.staff,
        reason="表格录入",
    )
    review_records(
        zone=zone.zone,
        organization=zone.a1,
        year=2025,
        month=3,
        decisions=[Decision(record.pk, award=True, points=Decimal("0.5"), comment="好")],
        versions={items["2.2"].pk: 1},
        user=zone.staff,
    )
    entry = PointEntry.objects.get(organization=zone.a1, item=items["2.2"], month=3)
    assert entry.points == Decimal("1.5")
    assert entry.history.first().history_change_reason == f"采纳工作记录#{record.pk}《主题党日》"
    record.refresh_from_db()
    assert (record.state, record.awarded_points, record.changed_by) == (
        State.AWARDED,
        Decimal("0.5"),
        zone.staff,
    )
    notice = Notification.objects.get(user=zone.secretary)
    assert "已采纳" in notice.title and notice.url == reverse("records:detail", args=[record.pk])


def test_an_award_over_the_cap_is_refused_and_nothing_changes(zone, items):
    record = submitted(zone, items)
    with pytest.raises(Refused, match="上限"):
        review_records(
            zone=zone.zone,
            organization=zone.a1,
            year=2025,
            month=3,
            decisions=[Decision(record.pk, award=True, points=Decimal("50"))],
            versions={},
            user=zone.staff,
        )
    record.refresh_from_db()
    assert record.state == State.SUBMITTED
    assert not PointEntry.objects.exists()


def test_a_cell_changed_meanwhile_in_the_grid_is_not_overwritten(zone, items):
    record = submitted(zone, items)
    record_points(
        zone=zone.zone,
        year=2025,
        cells=[Cell(zone.a1.pk, items["2.2"].pk, 3, "1")],
        user=zone.staff,
        reason="表格录入",
    )
    with pytest.raises(Refused, match="已被"):
        review_records(
            zone=zone.zone,
            organization=zone.a1,
            year=2025,
            month=3,
            decisions=[Decision(record.pk, award=True, points=Decimal("1"))],
            versions={items["2.2"].pk: 0},
            user=zone.staff,
        )


def test_a_closed_month_refuses_the_award(zone, items, login):
    record = submitted(zone, items)
    close_month(zone=zone.zone, year=2025, month=3, user=zone.staff)
    page = login(zone.staff).get(reverse("records:review", args=[zone.a1.pk, 2025, 3]))
    assert "2025年3月已关账" in page.content.decode()
    with pytest.raises(Refused, match="已关账"):
        review_records(
            zone=zone.zone,
            organization=zone.a1,
            year=2025,
            month=3,
            decisions=[Decision(record.pk, award=True, points=Decimal("1"))],
            versions={},
            user=zone.staff,
        )


def test_returning_needs_a_comment(zone, items):
    record = submitted(zone, items)
    with pytest.raises(Refused, match="退回时必须填写意见"):
        review_records(
            zone=zone.zone,
            organization=zone.a1,
            year=2025,
            month=3,
            decisions=[Decision(record.pk, award=False, comment=" ")],
            versions={},
            user=zone.staff,
        )


def test_several_records_of_a_month_are_reviewed_in_one_go(zone, items, login):
    one = submitted(zone, items, title="一")
    two = submitted(zone, items, title="二")
    three = submitted(zone, items, item="2.1", title="三")
    client = login(zone.staff)
    url = reverse("records:review", args=[zone.a1.pk, 2025, 3])
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(
        url,
        {
            f"decision-{one.pk}": "award",
            f"points-{one.pk}": "1",
            f"decision-{two.pk}": "award",
            f"points-{two.pk}": "0.5",
            f"decision-{three.pk}": "return",
            f"comment-{three.pk}": "缺少签到表",
            f"version-{items['2.2'].pk}": "0",
            f"version-{items['2.1'].pk}": "0",
        },
    )
    assert response.status_code == 302
    entry = PointEntry.objects.get(organization=zone.a1, item=items["2.2"], month=3)
    assert entry.points == Decimal("1.5")
    assert str(one.pk) in entry.history.first().history_change_reason
    assert str(two.pk) in entry.history.first().history_change_reason
    three.refresh_from_db()
    assert (three.state, three.comment) == (State.RETURNED, "缺少签到表")
    assert Notification.objects.filter(user=zone.secretary).count() == 3


def test_a_return_without_comment_on_the_page_says_which_record(zone, items, login):
    record = submitted(zone, items)
    response = login(zone.staff).post(
        reverse("records:review", args=[zone.a1.pk, 2025, 3]),
        {f"decision-{record.pk}": "return", f"comment-{record.pk}": ""},
    )
    assert response.status_code == 200
    assert f"工作记录#{record.pk}《主题党日》：退回时必须填写意见" in response.content.decode()


def test_an_awarded_record_is_read_only_for_the_secretary(zone, items, login):
    record = submitted(zone, items)
    review_records(
        zone=zone.zone,
        organization=zone.a1,
        year=2025,
        month=3,
        decisions=[Decision(record.pk, award=True, points=Decimal("1"))],
        versions={},
        user=zone.staff,
    )
    client = login(zone.secretary)
    response = client.post(reverse("records:edit", args=[record.pk]), form_data(items))
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.title == "主题党日"
    with pytest.raises(Refused, match="已采纳"):
        save_record(
            organization=zone.a1,
            user=zone.secretary,
            record=record,
            draft=Draft(items["2.2"], datetime.date(2025, 3, 5), "改", "", "改", None),
        )


def test_a_returned_record_is_edited_and_submitted_again(zone, items, login):
    record = submitted(zone, items)
    review_records(
        zone=zone.zone,
        organization=zone.a1,
        year=2025,
        month=3,
        decisions=[Decision(record.pk, award=False, comment="补充照片")],
        versions={},
        user=zone.staff,
    )
    client = login(zone.secretary)
    client.post(
        reverse("records:edit", args=[record.pk]),
        form_data(items, title="补充后", evidence=[photo()], action="submit"),
    )
    record.refresh_from_db()
    assert (record.state, record.title, record.attachments.count()) == (
        State.SUBMITTED,
        "补充后",
        1,
    )
    reasons = list(
        record.history.order_by("history_id").values_list("history_change_reason", flat=True)
    )
    assert reasons[0] == "新建草稿" and reasons[-1].startswith("修改后重新提交")
    assert "修改记录（新增材料：活动.jpg）" in reasons


def test_the_month_view_shows_items_states_and_comments(zone, items, login):
    record = submitted(zone, items)
    review_records(
        zone=zone.zone,
        organization=zone.a1,
        year=2025,
        month=3,
        decisions=[Decision(record.pk, award=False, comment="请补充签到表")],
        versions={},
        user=zone.staff,
    )
    make_record(zone, items, item="2.1", title="支委会")
    page = login(zone.secretary).get(reverse("records:month", args=[zone.a1.pk, 2025, 3]))
    text = page.content.decode()
    assert "已退回" in text and "请补充签到表" in text and "草稿" in text and "支委会" in text
    year = login(zone.secretary).get(reverse("records:year", args=[zone.a1.pk, 2025]))
    assert "主题党日" in year.content.decode()


def test_a_committee_viewer_reads_their_subtree_and_not_beyond(zone, items, login):
    record = submitted(zone, items)
    client = login(zone.viewer)
    assert client.get(reverse("records:detail", args=[record.pk])).status_code == 200
    assert client.get(reverse("records:month", args=[zone.b1.pk, 2025, 3])).status_code == 404
    queue = client.get(reverse("records:queue", args=[2025, 3]))
    assert "甲一支部" in queue.content.decode()


def test_another_secretary_finds_nothing(zone, items, login):
    record = submitted(zone, items)
    attachment = add_photo(record)
    client = login(zone.outsider)
    for url in (
        reverse("records:detail", args=[record.pk]),
        reverse("records:attachment", args=[attachment.pk]),
        reverse("records:thumbnail", args=[attachment.pk]),
        reverse("records:month", args=[zone.a1.pk, 2025, 3]),
    ):
        assert client.get(url).status_code == 404


def add_photo(record):
    from partybuild.attachments import accept
    from records.services import add_attachment

    return add_attachment(record=record, accepted=accept(photo()))


def test_the_queue_lists_organizations_with_waiting_records(
    zone, items, login, django_assert_max_num_queries
):
    submitted(zone, items)
    make_record(zone, items, title="草稿不进队列")
    client = login(zone.staff)
    page = client.get(reverse("records:queue", args=[2025, 3]))
    text = page.content.decode()
    assert "甲一支部" in text and "待审核 1 条" in text
    filtered = client.get(reverse("records:queue", args=[2025, 3]), {"item": items["2.1"].pk})
    assert "没有符合条件的记录" in filtered.content.decode()


def test_the_grid_cell_shows_its_records_and_opens_them(zone, items, login):
    record = submitted(zone, items)
    review_records(
        zone=zone.zone,
        organization=zone.a1,
        year=2025,
        month=3,
        decisions=[Decision(record.pk, award=True, points=Decimal("1"))],
        versions={},
        user=zone.staff,
    )
    submitted(zone, items, title="第二条")
    make_record(zone, items, title="草稿不算")
    page = login(zone.staff).get(reverse("scoring:grid", args=[2025, 3])).content.decode()
    url = reverse("records:review", args=[zone.a1.pk, 2025, 3])
    assert f'<a class="rec" href="{url}"' in page
    assert 'title="2 条工作记录，已采纳 1 条">2</a>' in page
    assert 'value="1.0" data-v="1"' in page


def test_the_grid_query_count_does_not_grow_with_records(
    zone, items, login, django_assert_max_num_queries
):
    for code in ("2.1", "2.2", "3.1", "5.1"):
        for org in (zone.a1, zone.a2, zone.b1):
            WorkRecord.objects.create(
                organization=org,
                item=items[code],
                date=datetime.date(2025, 3, 2),
                year=2025,
                month=3,
                title="t",
                content="c",
                state=State.SUBMITTED,
            )
    client = login(zone.staff)
    with django_assert_max_num_queries(18):  # as test_point_views counts them
        response = client.get(reverse("scoring:grid", args=[2025, 3]))
    assert response.content.decode().count('<a class="rec"') == 12


def test_the_dashboard_shows_waiting_records_by_month_and_open_appeals(
    zone, items, rule_set, login
):
    from scoring.services.rulesets import create_rule_set

    create_rule_set(
        zone=zone.zone, year=timezone.localdate().year, user=zone.admin, copy_from=rule_set
    )
    submitted(zone, items)
    submitted(zone, items, title="二")
    page = login(zone.staff).get(reverse("dashboard:dashboard")).content.decode()
    assert 'data-review-month="2025-3"' in page and "2025年3月 2 条" in page
    assert reverse("records:queue", args=[2025, 3]) in page
    assert "待处理申诉 0" in page


def test_removed_files_go_and_the_history_names_them(zone, items, login):
    record = make_record(zone, items)
    photo_one = add_photo(record)
    client = login(zone.secretary)
    response = client.post(
        reverse("records:edit", args=[record.pk]),
        form_data(items, title="改", remove=[str(photo_one.pk)]),
    )
    assert response.status_code == 302
    assert not record.attachments.exists()
    assert record.history.first().history_change_reason == "修改记录（删除材料：活动.jpg）"


def test_a_record_holds_at_most_nine_files(zone, items, login):
    record = make_record(zone, items)
    for _ in range(9):
        add_photo(record)
    response = login(zone.secretary).post(
        reverse("records:edit", args=[record.pk]), form_data(items, evidence=[photo()])
    )
    assert "每条记录最多 9 个佐证材料，现有 10 个" in response.content.decode()
    assert record.attachments.count() == 9


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"item": "99999999999999999999999"}, "所选小项不在本开发区的评分细则中"),
        ({"item": "abc"}, "所选小项不在本开发区的评分细则中"),
        ({"date": "2025-02-30"}, "日期"),
        ({"content": "内容\x00"}, "空字符"),
    ],
)
def test_hostile_record_input_gets_a_message_not_an_error(zone, items, login, changes, message):
    response = login(zone.secretary).post(
        reverse("records:create", args=[zone.a1.pk]), form_data(items, **changes)
    )
    assert response.status_code == 200
    assert message in response.content.decode()


def test_hostile_review_input_gets_a_message_not_an_error(zone, items, login):
    record = submitted(zone, items)
    client = login(zone.staff)
    url = reverse("records:review", args=[zone.a1.pk, 2025, 3])
    for data, message in (
        ({f"decision-{record.pk}": "award", f"points-{record.pk}": "abc"}, "不是有效的分值"),
        ({f"decision-{record.pk}": "maybe"}, "选择一个有效的选项"),
        (
            {
                f"decision-{record.pk}": "award",
                f"points-{record.pk}": "1",
                f"version-{items['2.2'].pk}": "x",
            },
            "积分版本号无效",
        ),
    ):
        response = client.post(url, data)
        assert response.status_code == 200, data
        assert message in response.content.decode(), data
    record.refresh_from_db()
    assert record.state == State.SUBMITTED


def test_the_attachment_storage_is_object_storage_when_a_bucket_is_configured():
    import subprocess
    import sys

    from .test_settings import ROOT, manage

    show = (
        "import partybuild.settings as m; s = m.STORAGES; "
        "print(s['attachments']['BACKEND'], s['default']['BACKEND'], "
        "s['attachments'].get('OPTIONS', {}).get('bucket_name'), "
        "s['attachments'].get('OPTIONS', {}).get('endpoint_url'))"
    )

    def settings_with(**env):
        full = {k: v for k, v in os.environ.items() if not k.startswith("PARTYBUILD_S3")}
        result = subprocess.run(
            [sys.executable, "-c", show],
            cwd=ROOT,
            env={**full, **env},
            capture_output=True,
            text=True,
        )
        return result.stdout.split()

    assert settings_with() == [
        "django.core.files.storage.FileSystemStorage",
        "django.core.files.storage.FileSystemStorage",
        "None",
        "None",
    ]
    bucket = {"PARTYBUILD_S3_BUCKET": "dangjian", "PARTYBUILD_S3_ENDPOINT": "http://127.0.0.1:9000"}
    assert settings_with(**bucket) == [
        "storages.backends.s3.S3Storage",
        "storages.backends.s3.S3Storage",
        "dangjian",
        "http://127.0.0.1:9000",
    ]
    # boto3 is needed only then, and its absence is said plainly at start-up.
    started = manage("check", **bucket)
    if importlib.util.find_spec("boto3") is None:
        assert started.returncode != 0 and "Boto3" in started.stderr
    else:
        assert started.returncode == 0, started.stderr


def test_the_month_page_the_queue_and_the_review_run_a_fixed_number_of_queries(
    zone, items, login, django_assert_max_num_queries
):
    from .conftest import make_org

    def many(org, n):
        for i in range(n):
            record = WorkRecord.objects.create(
                organization=org,
                item=items["2.2"],
                date=datetime.date(2025, 3, 2),
                year=2025,
                month=3,
                title=f"t{i}",
                content="c",
                state=State.SUBMITTED,
            )
            add_photo(record)

    pages = [
        (zone.secretary, reverse("records:month", args=[zone.a1.pk, 2025, 3])),
        (zone.staff, reverse("records:queue", args=[2025, 3])),
        (zone.staff, reverse("records:review", args=[zone.a1.pk, 2025, 3])),
    ]

    def counts(django_assert_max_num_queries):
        found = []
        for user, url in pages:
            client = login(user)
            client.get(url)
            with django_assert_max_num_queries(30) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    many(zone.a1, 1)
    few = counts(django_assert_max_num_queries)
    many(zone.a1, 8)
    for i in range(6):
        many(make_org(zone.com_b, f"B-Q{i}", f"乙队{i}"), 1)
    assert counts(django_assert_max_num_queries) == few
