import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from scoring.models import Rectification, Status
from scoring.services.rectifications import review_rectification, submit_rectification
from scoring.services.steps import Refused

from .files import docx_bytes, image_bytes, launch_action, pdf_bytes

PDF = pdf_bytes()
PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")


@pytest.fixture
def task(zone, published):
    return Rectification.objects.get(warning__organization=zone.a1)


def submit(client, task, report="召开专题组织生活会，补齐三会一课记录。", attachment=None):
    data = {"report": report}
    if attachment is not None:
        data["attachment"] = attachment
    return client.post(reverse("scoring:rectification_submit", args=[task.pk]), data)


def test_a_secretary_submits_staff_return_then_accept(zone, task, login):
    secretary = login(zone.secretary)
    submit(secretary, task, attachment=SimpleUploadedFile("整改报告.pdf", PDF))
    task.refresh_from_db()
    assert task.status == Status.SUBMITTED and task.attachment_name == "整改报告.pdf"
    staff = login(zone.staff)
    response = staff.post(
        reverse("scoring:rectification_review", args=[task.pk]),
        {"decision": "return", "comment": ""},
    )
    task.refresh_from_db()
    assert task.status == Status.SUBMITTED  # a return needs a comment
    staff.post(
        reverse("scoring:rectification_review", args=[task.pk]),
        {"decision": "return", "comment": "请补充整改成效的佐证材料"},
    )
    task.refresh_from_db()
    assert (task.status, task.comment) == (Status.RETURNED, "请补充整改成效的佐证材料")
    secretary = login(zone.secretary)
    submit(secretary, task, report="已补充会议记录和照片。")
    staff = login(zone.staff)
    staff.post(reverse("scoring:rectification_review", args=[task.pk]), {"decision": "accept"})
    task.refresh_from_db()
    assert task.status == Status.ACCEPTED
    steps = [
        (h.history_change_reason, h.history_user)
        for h in task.history.order_by("history_date", "history_id")
    ]
    assert steps == [
        ("通报 〔2025〕第1号 发布，开始整改", zone.staff),
        ("提交整改报告", zone.secretary),
        ("退回修改", zone.staff),
        ("重新提交整改报告", zone.secretary),
        ("审核通过，销号", zone.staff),
    ]
    page = staff.get(reverse("scoring:rectification", args=[task.pk])).content.decode()
    assert "请补充整改成效的佐证材料" in page and "已销号" in page
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        (Status.OPEN, "accept", "只有待审核的整改可以销号或退回"),
        (Status.ACCEPTED, "return", "只有待审核的整改可以销号或退回"),
        (Status.SUBMITTED, "submit", "不能再次提交"),
        (Status.ACCEPTED, "submit", "不能再次提交"),
    ],
)
def test_invalid_transitions_are_refused_with_a_message(zone, task, status, action, message):
    Rectification.objects.filter(pk=task.pk).update(status=status)
    with pytest.raises(Refused, match=message):
        if action == "submit":
            submit_rectification(rectification=task, user=zone.secretary, report="x")
        else:
            review_rectification(
                rectification=task, user=zone.staff, accept=action == "accept", comment="意见"
            )


def test_an_invalid_transition_through_the_page_shows_the_message(zone, task, login):
    response = login(zone.staff).post(
        reverse("scoring:rectification_review", args=[task.pk]), {"decision": "accept"}, follow=True
    )
    assert "只有待审核的整改可以销号或退回" in response.content.decode()


def test_an_empty_report_is_refused(zone, task, login):
    response = submit(login(zone.secretary), task, report="   ")
    assert "请填写整改措施和成效" in response.content.decode()
    task.refresh_from_db()
    assert task.status == Status.OPEN


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.exe", b"MZ\x90\x00", "只能是 PDF、JPG、PNG 或 DOCX"),
        ("report.pdf", b"<html><script>alert(1)</script>", "只能是 PDF、JPG、PNG 或 DOCX"),
        ("photo.pdf", PNG, "附件内容是 PNG，但文件扩展名不符"),
        ("macro.docx", docx_bytes(["word/vbaProject.bin"]), "只能是 PDF、JPG、PNG 或 DOCX"),
        ("lower.docx", docx_bytes(["word/vbaproject.bin"]), "只能是 PDF、JPG、PNG 或 DOCX"),
        ("fake.pdf", b"%PDF-<html><script>alert(1)</script>", "只能是 PDF、JPG、PNG 或 DOCX"),
        ("notword.docx", docx_bytes()[:-40], "只能是 PDF、JPG、PNG 或 DOCX"),
        ("bare.docx", docx_bytes(content_types=False), "只能是 PDF、JPG、PNG 或 DOCX"),
        ("big.pdf", PDF + b"0" * (10 * 1024 * 1024), "附件不能超过 10 MB"),
        # What an outside probe stored before the contents were validated in full:
        ("script.pdf", pdf_bytes(javascript=True), "PDF 文件含有可执行的内容"),
        ("launch.pdf", pdf_bytes(open_action=launch_action()), "PDF 文件含有可执行的内容"),
        ("html.pdf", b"%PDF-1.4\n<html><body>hi</body></html>\n%%EOF", "PDF 文件已损坏"),
        ("html.jpg", b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>", "图片文件已损坏"),
        ("bomb.docx", docx_bytes(big=70 * 1024 * 1024), "DOCX 文件解压后过大"),
        ("notxml.docx", docx_bytes(document="not xml"), "只能是 PDF、JPG、PNG 或 DOCX"),
    ],
)
def test_attachments_are_checked_by_content(zone, task, login, name, content, message):
    response = submit(login(zone.secretary), task, attachment=SimpleUploadedFile(name, content))
    assert message in response.content.decode()
    task.refresh_from_db()
    assert task.status == Status.OPEN and not task.attachment


@pytest.mark.parametrize(("name", "content"), [("a.docx", docx_bytes()), ("b.pdf", PDF)])
def test_documents_are_kept_as_uploaded(zone, task, login, name, content):
    submit(login(zone.secretary), task, attachment=SimpleUploadedFile(name, content))
    task.refresh_from_db()
    assert task.status == Status.SUBMITTED and task.attachment.read() == content


@pytest.mark.parametrize(("name", "kind"), [("b.PNG", "PNG"), ("c.jpeg", "JPEG")])
def test_images_are_decoded_and_stored_re_encoded_without_what_rode_along(
    zone, task, login, name, kind
):
    exif = Image.Exif()
    exif[0x8825] = {2: (31, 45, 0)}  # GPSInfo: where the photo was taken
    tail = b"<html><script>alert(1)</script></html>"
    content = image_bytes(kind, size=(40, 30), exif=exif) + tail
    submit(login(zone.secretary), task, attachment=SimpleUploadedFile(name, content))
    task.refresh_from_db()
    stored = task.attachment.read()
    assert task.status == Status.SUBMITTED
    assert tail not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert (image.format, image.size) == (kind, (40, 30))
        assert 0x8825 not in image.getexif()


def test_a_pdf_is_stored_without_what_follows_its_end(zone, task, login):
    """A zip appended to a PDF made the stored file a zip as well (the files probe found it
    kept): only the document is stored."""
    content = PDF + docx_bytes()
    submit(login(zone.secretary), task, attachment=SimpleUploadedFile("a.pdf", content))
    task.refresh_from_db()
    stored = task.attachment.read()
    assert task.status == Status.SUBMITTED
    assert b"PK\x03\x04" not in stored and stored.rstrip() == PDF.rstrip()


def test_a_long_file_name_keeps_its_extension(zone, task, login):
    name = "整" * 300 + ".pdf"
    submit(login(zone.secretary), task, attachment=SimpleUploadedFile(name, PDF))
    task.refresh_from_db()
    assert len(task.attachment_name) == 200 and task.attachment_name.endswith(".pdf")


def test_the_attachment_is_served_only_in_scope_and_as_a_download(zone, task, login, settings):
    submit(login(zone.secretary), task, attachment=SimpleUploadedFile("整改.pdf", PDF))
    task.refresh_from_db()
    assert str(settings.MEDIA_ROOT) in task.attachment.path
    url = reverse("scoring:rectification_attachment", args=[task.pk])
    for user in (zone.secretary, zone.staff, zone.viewer):
        response = login(user).get(url)
        assert response.status_code == 200
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment;")
        assert b"".join(response.streaming_content) == PDF
    assert login(zone.outsider).get(url).status_code == 404


def test_only_the_secretary_of_the_organization_may_submit(zone, task, login):
    for user in (zone.staff, zone.viewer, zone.admin):
        assert submit(login(user), task).status_code == 403
    assert submit(login(zone.outsider), task).status_code == 404
    task.refresh_from_db()
    assert task.status == Status.OPEN


def test_only_the_office_may_review(zone, task, login):
    submit(login(zone.secretary), task)
    url = reverse("scoring:rectification_review", args=[task.pk])
    assert login(zone.secretary).post(url, {"decision": "accept"}).status_code == 403
    assert login(zone.viewer).post(url, {"decision": "accept"}).status_code == 403


def test_the_list_counts_statuses_and_flags_overdue(zone, task, login):
    response = login(zone.staff).get(reverse("scoring:rectifications"))
    counts = dict((s.value, n) for s, n in response.context["counts"])
    assert counts["open"] == 5
    assert response.context["overdue_count"] == 5  # the 2025 deadlines are long past
    assert "逾期" in response.content.decode()
    only = login(zone.staff).get(reverse("scoring:rectifications"), {"status": "overdue"})
    assert len(only.context["page"]) == 5


def test_the_list_opens_on_the_pending_tasks(zone, task, login):
    submit(login(zone.secretary), task)
    review_rectification(rectification=task, user=zone.staff, accept=True)
    client = login(zone.staff)
    pending = client.get(reverse("scoring:rectifications")).context["page"]
    assert task not in list(pending) and len(pending) == 4
    everything = client.get(reverse("scoring:rectifications"), {"status": "all"}).context["page"]
    assert task in list(everything) and len(everything) == 5


def test_a_committee_viewer_lists_only_their_subtree(zone, task, login):
    response = login(zone.viewer).get(reverse("scoring:rectifications"))
    assert {t.warning.organization.code for t in response.context["page"]} == {"A", "A-1", "A-2"}


def test_the_list_query_count_does_not_grow_with_rows(
    zone, published, login, django_assert_max_num_queries
):
    import datetime

    from scoring.services.notices import publish_notice

    from .conftest import make_org

    for i in range(30):
        make_org(zone.com_b, f"B-X{i}", f"乙扩{i}")
    publish_notice(
        zone=zone.zone,
        year=2025,
        quarter=2,
        number=2,
        published_on=datetime.date(2025, 7, 8),
        title="第二季度",
        text="正文",
        user=zone.staff,
    )
    client = login(zone.staff)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("scoring:rectifications"))
    assert len(response.context["page"]) == 40
