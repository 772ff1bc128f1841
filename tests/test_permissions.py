"""Every URL × every role.

Adding a URL without a row here fails `test_every_url_is_in_the_matrix`.
"""

from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from scoring.models import ImportBatch, Rectification
from scoring.services.grading import finalize_year
from scoring.services.rectifications import submit_rectification
from scoring.services.rulesets import create_rule_set
from scoring.sheets import month_template

ROLES = ("anon", "admin", "staff", "viewer", "secretary")


def codes(anon=302, admin=200, staff=200, viewer=200, secretary=200):
    return {"anon": anon, "admin": admin, "staff": staff, "viewer": viewer, "secretary": secretary}


EVERYONE = codes()
READERS = codes(secretary=403)
OFFICE = codes(viewer=403, secretary=403)
ADMIN = codes(staff=403, viewer=403, secretary=403)
# An object outside the viewer's and the secretary's scope answers 404 before any role check.
OFFICE_OUTSIDE = codes(viewer=404, secretary=404)
ADMIN_OUTSIDE = codes(staff=403, viewer=404, secretary=404)


MONTH = {"year": 2025, "month": 3}


@dataclass
class Case:
    name: str
    expected: dict
    kwargs: dict = field(default_factory=dict)
    method: str = "get"

    def url(self, zone):
        kwargs = {
            k: getattr(zone, v).pk if isinstance(v, str) else v for k, v in self.kwargs.items()
        }
        return reverse(self.name, kwargs=kwargs)

    def __str__(self):
        return f"{self.method.upper()} {self.name} {self.kwargs}"


CASES = [
    Case("home", codes(admin=302, staff=302, viewer=302, secretary=302)),
    Case("login", codes(anon=200, admin=302, staff=302, viewer=302, secretary=302)),
    Case("logout", codes(302, 302, 302, 302, 302), method="post"),
    Case("password_change", EVERYONE),
    Case("password_change_done", EVERYONE),
    Case("admin:index", codes(staff=302, viewer=302, secretary=302)),
    Case("orgs:list", codes(secretary=302)),
    Case("orgs:create", ADMIN),
    Case("orgs:create", ADMIN, method="post"),
    Case("orgs:detail", EVERYONE, {"pk": "a1"}),
    Case("orgs:detail", codes(viewer=404, secretary=404), {"pk": "b1"}),
    Case("orgs:edit", ADMIN, {"pk": "a1"}),
    Case("orgs:edit", ADMIN, {"pk": "a1"}, method="post"),
    Case("orgs:edit", ADMIN_OUTSIDE, {"pk": "b1"}),
    Case("orgs:tier", OFFICE, {"pk": "a1"}),
    Case("orgs:tier", OFFICE, {"pk": "a1"}, method="post"),
    Case("orgs:tier", OFFICE_OUTSIDE, {"pk": "b1"}),
    Case("scoring:rules", codes(302, 302, 302, 302, 302)),
    Case("scoring:rule_set", EVERYONE, {"year": 2025}),
    Case("scoring:rule_set_create", ADMIN),
    Case("scoring:rule_set_create", ADMIN, method="post"),
    Case("scoring:rule_set_edit", ADMIN, {"year": 2025}),
    Case("scoring:rule_set_edit", ADMIN, {"year": 2025}, method="post"),
    Case("scoring:grid_current", codes(admin=302, staff=302, viewer=403, secretary=403)),
    Case("scoring:grid", OFFICE, {"year": 2025, "month": 3}),
    Case("scoring:save", codes(405, 405, 405, 405, 405)),
    Case("scoring:save", codes(admin=400, staff=400, viewer=403, secretary=403), method="post"),
    Case("scoring:close", codes(302, 302, 302, 403, 403), {"year": 2025, "month": 3}, "post"),
    Case("scoring:reopen", codes(admin=302, staff=302, viewer=403, secretary=403), MONTH),
    Case("scoring:template", OFFICE, MONTH),
    Case("scoring:import", OFFICE, MONTH),
    Case("scoring:import", OFFICE, MONTH, method="post"),
    Case(
        "scoring:import_preview", codes(admin=404, viewer=403, secretary=403), {"batch_id": "batch"}
    ),
    Case("scoring:sheet", EVERYONE, {"pk": "a1", "year": 2025}),
    Case("scoring:sheet", OFFICE_OUTSIDE, {"pk": "b1", "year": 2025}),
    Case("scoring:status", EVERYONE, {"pk": "a1"}),
    Case("scoring:status", OFFICE_OUTSIDE, {"pk": "b1"}),
    Case("scoring:warnings_index", codes(admin=302, staff=302, viewer=302, secretary=403)),
    Case("scoring:warnings", READERS, {"year": 2025, "quarter": 2}),
    Case("scoring:warnings", READERS, {"year": 2025, "quarter": 1}),
    Case("scoring:publish", OFFICE, {"year": 2025, "quarter": 2}),
    Case("scoring:publish", OFFICE, {"year": 2025, "quarter": 2}, method="post"),
    Case("scoring:notice", READERS, {"year": 2025, "quarter": 1}),
    Case("scoring:notice_export", READERS, {"year": 2025, "quarter": 1}),
    Case("scoring:rectifications", READERS),
    Case("scoring:rectification", EVERYONE, {"pk": "task_a1"}),
    Case("scoring:rectification", OFFICE_OUTSIDE, {"pk": "task_b1"}),
    Case("scoring:rectification_submit", codes(405, 405, 405, 405, 405), {"pk": "task_a1"}),
    Case("scoring:rectification_submit", codes(302, 403, 403, 403, 200), {"pk": "task_a1"}, "post"),
    Case("scoring:rectification_submit", codes(302, 403, 403, 404, 404), {"pk": "task_b1"}, "post"),
    Case("scoring:rectification_review", codes(302, 302, 302, 403, 403), {"pk": "task_a1"}, "post"),
    Case("scoring:rectification_review", codes(302, 302, 302, 404, 404), {"pk": "task_b1"}, "post"),
    Case("scoring:rectification_attachment", EVERYONE, {"pk": "task_a1"}),
    Case("scoring:rectification_attachment", OFFICE_OUTSIDE, {"pk": "task_b1"}),
    Case("scoring:sheet_export", EVERYONE, {"pk": "a1", "year": 2025}),
    Case("scoring:sheet_export", OFFICE_OUTSIDE, {"pk": "b1", "year": 2025}),
    Case("scoring:grading_index", codes(admin=302, staff=302, viewer=302, secretary=403)),
    Case("scoring:grading", READERS, {"year": 2025}),
    Case("scoring:grading", READERS, {"year": 2026}),
    Case("scoring:finalize", codes(405, 405, 405, 405, 405), {"year": 2025}),
    Case("scoring:finalize", codes(302, 302, 302, 403, 403), {"year": 2025}, "post"),
    Case("scoring:reopen_year", OFFICE, {"year": 2025}),
    Case("scoring:reopen_year", OFFICE, {"year": 2025}, "post"),
    Case("scoring:grades_export", OFFICE, {"year": 2025}),
    Case("scoring:tiers", OFFICE, {"year": 2025}),
    Case("scoring:tiers_confirm", codes(302, 302, 302, 403, 403), {"year": 2025}, "post"),
    Case(
        "scoring:tier_override", codes(302, 302, 302, 403, 403), {"year": 2025, "pk": "a1"}, "post"
    ),
    Case(
        "scoring:tier_override", codes(302, 404, 404, 403, 403), {"year": 2024, "pk": "a1"}, "post"
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_role_gets_what_its_scope_allows(client, zone, rule_set, published, case, role):
    zone.batch = make_batch(zone.staff, rule_set)
    zone.task_a1, zone.task_b1 = (
        Rectification.objects.get(warning__organization=org) for org in (zone.a1, zone.b1)
    )
    for task, user in ((zone.task_a1, zone.secretary), (zone.task_b1, zone.outsider)):
        pdf = SimpleUploadedFile("整改.pdf", b"%PDF-1.4 test", content_type="application/pdf")
        submit_rectification(rectification=task, user=user, report="整改", attachment=pdf)
    create_rule_set(year=2026, user=zone.admin, copy_from=rule_set)
    finalize_year(year=2025, user=zone.staff)
    if role != "anon":
        client.force_login(getattr(zone, role))
    url = case.url(zone)
    response = getattr(client, case.method)(url)
    expected = case.expected[role]
    assert response.status_code == expected, f"{role} {case}: {response.status_code}"
    if role == "anon" and expected == 302 and case.name not in ("logout",):
        assert "/login/" in response["Location"]


def make_batch(user, rule_set):
    content = month_template.write(rule_set, 2025, 3)
    return ImportBatch.objects.create(
        user=user, year=2025, month=3, filename="t.xlsx", content=content, fingerprint=""
    )


def _names(resolver, namespace=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's admin site: one row above stands for it.
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_url_is_in_the_matrix():
    named = set(_names(get_resolver()))
    covered = {case.name for case in CASES}
    assert named - covered == set(), "URLs missing from the permission matrix"
    assert covered - named - {"admin:index"} == set(), "matrix rows for URLs that no longer exist"


def test_every_url_has_a_name():
    unnamed = [
        str(p.pattern)
        for p in get_resolver().url_patterns
        if isinstance(p, URLPattern) and not p.name
    ]
    assert unnamed == []
