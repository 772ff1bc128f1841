"""The Content-Security-Policy: every HTML page carries it, and nothing in the templates needs
'unsafe-inline' (the browser journeys listen for violations on every page they open)."""

import re
from pathlib import Path

from django.urls import reverse

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def test_every_page_carries_the_policy(zone, login):
    response = login(zone.staff).get(reverse("orgs:list"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def test_the_login_page_carries_it_too(client):
    assert "default-src 'self'" in client.get(reverse("login"))["Content-Security-Policy"]


def test_no_template_has_inline_script_handlers_or_styles():
    found = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for pattern in (
            r"\son[a-z]+=\"",
            r"javascript:",
            r"<script>",
            r"<script\s+(?![^>]*src=)",
            r'\sstyle="',
        ):
            if re.search(pattern, text):
                found.append(f"{path.relative_to(TEMPLATES)}: {pattern}")
    assert found == []


def test_an_attachment_keeps_its_own_stricter_policy(zone, published, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from scoring.models import Rectification
    from scoring.services.rectifications import submit_rectification

    task = Rectification.objects.get(warning__organization=zone.a1)
    pdf = SimpleUploadedFile("整改.pdf", b"%PDF-1.4 test\n%%EOF", content_type="application/pdf")
    submit_rectification(rectification=task, user=zone.secretary, report="整改", attachment=pdf)
    response = login(zone.staff).get(reverse("scoring:rectification_attachment", args=[task.pk]))
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
