"""Every URL × every role, with two zones side by side.

Adding a URL without a row here fails `test_every_url_is_in_the_matrix`. The roles are those
of the first zone, the office of the second (`xstaff`, who must find nothing of the first
zone's objects), a city viewer and the platform administrator (both looking at the first zone).

The cases only read the data, or change it inside their own transaction, so the data is built
once for the module (as Django's setUpTestData does) instead of once for each of them.
"""

import copy
import datetime
import shutil
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections, transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from dashboard.models import Notification
from guidance.models import Station, Visit
from orgs import access
from orgs.models import TierAssignment, User
from scoring.models import AnnualResult, ImportBatch, Item, Rectification, YearState
from scoring.services.grading import finalize_year
from scoring.services.rectifications import submit_rectification
from scoring.services.rulesets import create_rule_set
from scoring.sheets import month_template

from .conftest import build_other_zone, build_zone, publish_first_quarter

ROLES = (
    "anon",
    "admin",
    "staff",
    "viewer",
    "secretary",
    "instructor",
    "xstaff",
    "city",
    "platform",
)
CROSS_ZONE = ("city", "platform")


def codes(
    anon=302,
    admin=200,
    staff=200,
    viewer=200,
    secretary=200,
    xstaff=None,
    city=None,
    platform=None,
    instructor=None,
):
    """Expected answers by role. By default the second zone's office gets what the first's
    staff gets (a page of its own zone), and the city and platform get what the committee
    viewer gets (reading, never writing). An instructor (党建指导员, assigned to a1 as the
    secretary runs it) gets what the secretary gets: no office page, only a1 of the zone."""
    return {
        "anon": anon,
        "admin": admin,
        "staff": staff,
        "viewer": viewer,
        "secretary": secretary,
        "instructor": secretary if instructor is None else instructor,
        "xstaff": staff if xstaff is None else xstaff,
        "city": viewer if city is None else city,
        "platform": (viewer if city is None else city) if platform is None else platform,
    }


EVERYONE = codes()
READERS = codes(secretary=403)
OFFICE = codes(viewer=403, secretary=403)
ADMIN = codes(staff=403, viewer=403, secretary=403, xstaff=403)
PLATFORM = codes(
    admin=403, staff=403, viewer=403, secretary=403, xstaff=403, city=403, platform=200
)
CROSS = codes(admin=403, staff=403, viewer=403, secretary=403, xstaff=403, city=200, platform=200)
# An object of the first zone: reachable in its own scope, and by the city and platform.
IN_ZONE = codes(xstaff=404, city=200)
# An object outside the committee viewer's and the secretary's scope answers 404 before any
# role check; the second zone's office never finds it.
OFFICE_OUTSIDE = codes(viewer=404, secretary=404, xstaff=404, city=200)
# Writing an object of the first zone: its office only; readers who see it get 403.
WRITE_IN_ZONE = codes(viewer=403, secretary=403, xstaff=404, city=403)
WRITE_OUTSIDE = codes(viewer=404, secretary=404, xstaff=404, city=403)

MONTH = {"year": 2025, "month": 3}
# --- accounts (issue 17): an account of the first zone's field (a secretary) is staff's and
# the administrator's to change, an account of its office (a committee viewer) the
# administrator's only.
# The platform keeps zones' administrators and the accounts above the zones: a zone's other
# accounts do not exist for it.
ACCOUNT_PAGE = codes(viewer=403, secretary=403, city=403, platform=200)
ACCOUNT_OF_FIELD = codes(viewer=403, secretary=403, xstaff=404, city=403, platform=404)
ACCOUNT_OF_OFFICE = codes(staff=403, viewer=403, secretary=403, xstaff=404, city=403, platform=404)
ACCOUNT_OF_ADMIN = codes(staff=403, viewer=403, secretary=403, xstaff=404, city=403, platform=200)
ACTION_ON_FIELD = codes(
    admin=302, staff=302, viewer=403, secretary=403, xstaff=404, city=403, platform=404
)
ACTION_ON_OFFICE = codes(
    admin=302, staff=403, viewer=403, secretary=403, xstaff=404, city=403, platform=404
)
# --- end of accounts

# --- guidance (issue 16)
G_READ = codes(viewer=403, secretary=403, instructor=200, city=200)
G_OBJECT = codes(viewer=403, secretary=403, instructor=200, xstaff=404, city=200)
G_OFFICE = codes(viewer=403, secretary=403, instructor=403, city=403)
G_OFFICE_OBJECT = codes(viewer=403, secretary=403, instructor=403, xstaff=404, city=403)
# The second zone's station has no batch yet: its office is sent to enter one first.
G_OFFICE_NEW = codes(viewer=403, secretary=403, instructor=403, xstaff=302, city=403)
G_RECORD = codes(viewer=403, secretary=403, instructor=200, city=403)
NOT_GET = codes(405, 405, 405, 405, 405, 405, 405, 405)
G_MONTH = {"year": 2025, "month": 3}
G_YEAR = {"year": 2025}
GUIDANCE_LISTS = (
    "overview",
    "instructors",
    "visits",
    "visits_export",
    "problems",
    "problems_export",
    "tasks",
    "meetings",
    "decisions",
    "roster",
    "rule_sets",
    "weeks",
)
GUIDANCE_OBJECTS = (
    ("instructor", {"pk": "g_instructor"}),
    ("visit", {"pk": "g_visit"}),
    ("task_list", G_MONTH),
    ("rule_set", G_YEAR),
    ("week", {"pk": "g_week"}),
    ("points", G_YEAR),
    ("points_export", G_YEAR),
)
# --- end of guidance
# --- records (issue 14)
# An instructor reads a1 (their assigned organization) but writes nothing of its own.
SECRETARY_WRITES = codes(
    admin=403, staff=403, viewer=403, secretary=200, instructor=403, xstaff=404, city=403
)
SECRETARY_OUTSIDE = codes(admin=403, staff=403, viewer=404, secretary=404, xstaff=404, city=403)
SECRETARY_OUTSIDE_POST = codes(302, 403, 403, 404, 404, xstaff=404, city=403)
REVIEW = codes(viewer=403, secretary=403, xstaff=404, city=403)
APPEAL_NEW = codes(
    admin=403, staff=403, viewer=403, secretary=302, instructor=403, xstaff=404, city=403
)
# --- end of records


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
    Case("home", codes(admin=302, staff=302, viewer=302, secretary=302, city=302)),
    Case("login", codes(anon=200, admin=302, staff=302, viewer=302, secretary=302, city=302)),
    Case("logout", codes(302, 302, 302, 302, 302, city=302), method="post"),
    Case("password_change", EVERYONE),
    Case("password_change_done", EVERYONE),
    # Django's admin is the developers' (superusers) only: daily work has its own pages.
    Case(
        "admin:index",
        codes(admin=302, staff=302, viewer=302, secretary=302, city=302, platform=302),
    ),
    Case("orgs:list", codes(secretary=302, instructor=200)),
    Case("orgs:create", ADMIN),
    Case("orgs:create", ADMIN, method="post"),
    Case("orgs:detail", IN_ZONE, {"pk": "a1"}),
    Case("orgs:detail", OFFICE_OUTSIDE, {"pk": "b1"}),
    Case(
        "orgs:edit", codes(staff=403, viewer=403, secretary=403, xstaff=404, city=403), {"pk": "a1"}
    ),
    Case(
        "orgs:edit",
        codes(staff=403, viewer=403, secretary=403, xstaff=404, city=403),
        {"pk": "a1"},
        method="post",
    ),
    Case(
        "orgs:edit", codes(staff=403, viewer=404, secretary=404, xstaff=404, city=403), {"pk": "b1"}
    ),
    Case("orgs:tier", WRITE_IN_ZONE, {"pk": "a1"}),
    Case("orgs:tier", WRITE_IN_ZONE, {"pk": "a1"}, method="post"),
    Case("orgs:tier", WRITE_OUTSIDE, {"pk": "b1"}),
    Case("orgs:move", PLATFORM, {"pk": "a1"}),
    Case("orgs:move", PLATFORM, {"pk": "a1"}, method="post"),
    Case("orgs:zones", CROSS),
    Case("orgs:zone_create", PLATFORM),
    Case("orgs:zone_create", PLATFORM, method="post"),
    Case("orgs:zone_choose", codes(405, 405, 405, 405, 405, 405, 405, 405), {"pk": "place"}),
    Case(
        "orgs:zone_choose",
        codes(admin=403, staff=403, viewer=403, secretary=403, xstaff=403, city=302, platform=302),
        {"pk": "other_place"},
        method="post",
    ),
    Case("scoring:compare", CROSS),
    Case("scoring:rules", codes(302, 302, 302, 302, 302, city=302)),
    Case("scoring:rule_set", EVERYONE, {"year": 2025}),
    Case("scoring:rule_set_create", ADMIN),
    Case("scoring:rule_set_create", ADMIN, method="post"),
    # The second zone has no 2026 rule set: its administrator's URL of that year finds nothing.
    Case("scoring:rule_set_edit", ADMIN, {"year": 2025}),
    Case("scoring:rule_set_edit", ADMIN, {"year": 2025}, method="post"),
    Case("scoring:grid_current", codes(admin=302, staff=302, viewer=403, secretary=403, city=403)),
    Case("scoring:grid", codes(viewer=403, secretary=403, city=403), MONTH),
    Case("scoring:save", codes(405, 405, 405, 405, 405, 405, 405, 405)),
    Case(
        "scoring:save",
        codes(admin=400, staff=400, viewer=403, secretary=403, city=403),
        method="post",
    ),
    Case("scoring:close", codes(302, 302, 302, 403, 403, city=403), MONTH, "post"),
    Case("scoring:reopen", codes(admin=302, staff=302, viewer=403, secretary=403, city=403), MONTH),
    Case("scoring:template", codes(viewer=403, secretary=403, city=403), MONTH),
    Case("scoring:import", codes(viewer=403, secretary=403, city=403), MONTH),
    Case("scoring:import", codes(viewer=403, secretary=403, city=403), MONTH, method="post"),
    Case(
        "scoring:import_preview",
        codes(admin=404, viewer=403, secretary=403, xstaff=404, city=403),
        {"batch_id": "batch"},
    ),
    Case("scoring:sheet", IN_ZONE, {"pk": "a1", "year": 2025}),
    Case("scoring:sheet", OFFICE_OUTSIDE, {"pk": "b1", "year": 2025}),
    Case("scoring:status", IN_ZONE, {"pk": "a1"}),
    Case("scoring:status", OFFICE_OUTSIDE, {"pk": "b1"}),
    Case(
        "scoring:warnings_index", codes(admin=302, staff=302, viewer=302, secretary=403, city=302)
    ),
    Case("scoring:warnings", READERS, {"year": 2025, "quarter": 2}),
    Case("scoring:warnings", READERS, {"year": 2025, "quarter": 1}),
    Case(
        "scoring:publish", codes(viewer=403, secretary=403, city=403), {"year": 2025, "quarter": 2}
    ),
    Case(
        "scoring:publish",
        codes(viewer=403, secretary=403, city=403),
        {"year": 2025, "quarter": 2},
        method="post",
    ),
    # The second zone published nothing: the first zone's notice does not exist for it.
    # Secretaries read their own entry of a notice (an excerpt); readers the whole of it.
    Case("scoring:notice", codes(xstaff=404), {"year": 2025, "quarter": 1}),
    Case("scoring:notice_export", codes(secretary=403, xstaff=404), {"year": 2025, "quarter": 1}),
    Case("scoring:rectifications", READERS),
    Case("scoring:rectification", IN_ZONE, {"pk": "task_a1"}),
    Case("scoring:rectification", OFFICE_OUTSIDE, {"pk": "task_b1"}),
    Case(
        "scoring:rectification_submit",
        codes(405, 405, 405, 405, 405, 405, 405, 405),
        {"pk": "task_a1"},
    ),
    Case(
        "scoring:rectification_submit",
        codes(302, 403, 403, 403, 200, xstaff=404, city=403, instructor=403),
        {"pk": "task_a1"},
        "post",
    ),
    Case(
        "scoring:rectification_submit",
        codes(302, 403, 403, 404, 404, xstaff=404, city=403),
        {"pk": "task_b1"},
        "post",
    ),
    Case(
        "scoring:rectification_review",
        codes(302, 302, 302, 403, 403, xstaff=404, city=403),
        {"pk": "task_a1"},
        "post",
    ),
    Case(
        "scoring:rectification_review",
        codes(302, 302, 302, 404, 404, xstaff=404, city=403),
        {"pk": "task_b1"},
        "post",
    ),
    Case("scoring:rectification_attachment", IN_ZONE, {"pk": "task_a1"}),
    Case("scoring:rectification_attachment", OFFICE_OUTSIDE, {"pk": "task_b1"}),
    Case("scoring:sheet_export", IN_ZONE, {"pk": "a1", "year": 2025}),
    Case("scoring:sheet_export", OFFICE_OUTSIDE, {"pk": "b1", "year": 2025}),
    Case("scoring:grading_index", codes(admin=302, staff=302, viewer=302, secretary=403, city=302)),
    Case("scoring:grading", READERS, {"year": 2025}),
    Case("scoring:grading", codes(secretary=403, xstaff=404), {"year": 2026}),
    Case("scoring:finalize", codes(405, 405, 405, 405, 405, 405, 405, 405), {"year": 2025}),
    Case("scoring:finalize", codes(302, 302, 302, 403, 403, city=403), {"year": 2025}, "post"),
    Case("scoring:reopen_year", codes(viewer=403, secretary=403, city=403), {"year": 2025}),
    Case("scoring:reopen_year", codes(viewer=403, secretary=403, city=403), {"year": 2025}, "post"),
    Case("scoring:grades_export", codes(viewer=403, secretary=403, city=403), {"year": 2025}),
    # The second zone has not finalized 2025: its tiers page sends it back to grading.
    Case("scoring:tiers", codes(viewer=403, secretary=403, xstaff=302, city=403), {"year": 2025}),
    Case("scoring:tiers_confirm", codes(302, 302, 302, 403, 403, city=403), {"year": 2025}, "post"),
    Case(
        "scoring:tier_override",
        codes(302, 302, 302, 403, 403, xstaff=404, city=403),
        {"year": 2025, "pk": "a1"},
        "post",
    ),
    Case(
        "scoring:tier_override",
        codes(302, 404, 404, 403, 403, xstaff=404, city=403),
        {"year": 2024, "pk": "a1"},
        "post",
    ),
    # --- dashboard (issue 13): the office's and committee viewers' home, its month page and
    # marks, everyone's notices. The second zone has no rule set for this year: its dashboard
    # says so (200); its month page of 2025 is its own.
    Case("dashboard:dashboard", READERS),
    Case("dashboard:month", READERS, MONTH),
    Case("dashboard:mark", codes(405, 405, 405, 405, 405, 405, 405, 405), MONTH),
    Case(
        "dashboard:mark",
        codes(admin=302, staff=302, viewer=403, secretary=403, city=403, platform=403),
        MONTH,
        "post",
    ),
    Case("dashboard:notifications", EVERYONE),
    Case("dashboard:notifications_read", codes(405, 405, 405, 405, 405, 405, 405, 405)),
    Case(
        "dashboard:notifications_read",
        codes(302, 302, 302, 302, 302, 302, 302, 302),
        method="post",
    ),
    # A notice is its own user's only: staff's opens (and leads on), nobody else finds it.
    Case(
        "dashboard:notification",
        codes(admin=404, staff=302, viewer=404, secretary=404, xstaff=404, city=404, platform=404),
        {"pk": "staff_notice"},
    ),
    # --- end of dashboard
    # --- accounts (issue 17): a zone's office keeps its accounts (staff the secretaries',
    # the administrator everyone's); another zone's accounts do not exist for it. Nobody
    # resets their own password here (sent back with a message).
    Case("accounts:list", ACCOUNT_PAGE),
    Case("accounts:create", ACCOUNT_PAGE),
    Case("accounts:create", ACCOUNT_PAGE, method="post"),
    Case("accounts:detail", ACCOUNT_OF_FIELD, {"pk": "secretary"}),
    Case("accounts:detail", ACCOUNT_OF_FIELD, {"pk": "secretary"}, method="post"),
    Case("accounts:detail", ACCOUNT_OF_OFFICE, {"pk": "viewer"}),
    Case("accounts:detail", ACCOUNT_OF_OFFICE, {"pk": "viewer"}, method="post"),
    Case("accounts:reset", codes(405, 405, 405, 405, 405, 405, 405, 405), {"pk": "secretary"}),
    Case("accounts:reset", ACCOUNT_OF_FIELD, {"pk": "secretary"}, "post"),
    Case("accounts:detail", ACCOUNT_OF_ADMIN, {"pk": "admin"}),
    Case("accounts:reset", {**ACCOUNT_OF_ADMIN, "admin": 302}, {"pk": "admin"}, "post"),
    Case("accounts:unlock", codes(405, 405, 405, 405, 405, 405, 405, 405), {"pk": "secretary"}),
    Case("accounts:unlock", ACTION_ON_FIELD, {"pk": "secretary"}, "post"),
    Case("accounts:unlock", ACTION_ON_OFFICE, {"pk": "viewer"}, "post"),
    Case("accounts:active", codes(405, 405, 405, 405, 405, 405, 405, 405), {"pk": "secretary"}),
    Case("accounts:active", ACTION_ON_FIELD, {"pk": "secretary"}, "post"),
    Case("accounts:active", ACTION_ON_OFFICE, {"pk": "viewer"}, "post"),
    Case("orgs:secretary", WRITE_IN_ZONE, {"pk": "a1"}),
    Case("orgs:secretary", WRITE_IN_ZONE, {"pk": "a1"}, method="post"),
    Case("orgs:secretary", WRITE_OUTSIDE, {"pk": "b1"}),
    # The slips' Excel is read back from the page that showed them (without its signed
    # field the office is sent to the accounts list with a message).
    Case("accounts:slips_download", codes(405, 405, 405, 405, 405, 405, 405, 405)),
    Case(
        "accounts:slips_download",
        codes(admin=302, staff=302, viewer=403, secretary=403, city=403, platform=302),
        method="post",
    ),
    # --- end of accounts
    # --- registry (issue 17): the zone's office brings its registry in and out. The preview
    # without a pending upload sends the office back to the upload page.
    Case("orgs:registry", OFFICE),
    Case("orgs:registry", OFFICE, method="post"),
    Case("orgs:registry_template", OFFICE),
    Case("orgs:registry_export", OFFICE),
    Case("orgs:registry_preview", codes(admin=302, staff=302, viewer=403, secretary=403, city=403)),
    Case(
        "orgs:registry_preview",
        codes(admin=302, staff=302, viewer=403, secretary=403, city=403),
        method="post",
    ),
    # --- end of registry
    # --- guidance (issue 16): the station's pages are read by the zone's office, its
    # instructors and the cross-zone readers (never by committee viewers or secretaries); the
    # office manages it, the head runs the roster and the month's feedback, instructors enter
    # their own visits and weeks. The second zone has a station of its own with nothing in it.
    *(Case(f"guidance:{name}", G_READ) for name in GUIDANCE_LISTS),
    *(Case(f"guidance:{name}", G_OBJECT, kwargs) for name, kwargs in GUIDANCE_OBJECTS),
    Case("guidance:station_edit", G_OFFICE),
    Case("guidance:station_edit", G_OFFICE, method="post"),
    Case(
        "guidance:mine",
        codes(admin=403, staff=403, viewer=403, secretary=403, instructor=200, city=403),
    ),
    Case("guidance:instructor_create", G_OFFICE_NEW),
    Case("guidance:instructor_create", G_OFFICE_NEW, method="post"),
    Case("guidance:instructor_edit", G_OFFICE_OBJECT, {"pk": "g_instructor"}),
    Case("guidance:instructor_edit", G_OFFICE_OBJECT, {"pk": "g_instructor"}, "post"),
    *(
        Case(f"guidance:{name}", G_OFFICE, method=m)
        for name in ("groups", "batches")
        for m in ("get", "post")
    ),
    Case("guidance:visit_create", G_RECORD),
    Case("guidance:visit_create", G_RECORD, method="post"),
    Case("guidance:problem_move", NOT_GET, {"pk": "g_problem"}),
    Case(
        "guidance:problem_move",
        codes(302, 302, 302, 403, 403, instructor=302, xstaff=404, city=403),
        {"pk": "g_problem"},
        "post",
    ),
    Case("guidance:task_list_create", NOT_GET),
    Case(
        "guidance:task_list_create",
        codes(302, 302, 302, 403, 403, instructor=403, city=403),
        method="post",
    ),
    Case("guidance:task_list_close", G_OFFICE_OBJECT, G_MONTH),
    Case("guidance:task_list_close", G_OFFICE_OBJECT, G_MONTH, "post"),
    Case("guidance:task_claim", NOT_GET, {"pk": "g_task"}),
    Case(
        "guidance:task_claim",
        codes(302, 403, 403, 403, 403, instructor=302, xstaff=404, city=403),
        {"pk": "g_task"},
        "post",
    ),
    *(Case(f"guidance:{name}", G_OFFICE) for name in ("meeting_create", "roster_plan")),
    *(
        Case(f"guidance:{name}", G_OFFICE, method="post")
        for name in ("meeting_create", "decisions", "roster_plan")
    ),
    Case("guidance:attendance", NOT_GET),
    Case(
        "guidance:attendance",
        codes(302, 302, 302, 403, 403, instructor=403, city=403),
        method="post",
    ),
    Case(
        "guidance:rule_sets",
        codes(302, 302, 302, 403, 403, instructor=403, city=403),
        method="post",
    ),
    Case("guidance:rule_set_edit", G_OFFICE_OBJECT, G_YEAR),
    Case("guidance:rule_set_edit", G_OFFICE_OBJECT, G_YEAR, "post"),
    Case("guidance:week_start", NOT_GET),
    Case(
        "guidance:week_start",
        codes(302, 403, 403, 403, 403, instructor=302, xstaff=403, city=403),
        method="post",
    ),
    # The week is the instructor's own, still being filled in: only they may open its form.
    *(
        Case(
            "guidance:week_edit",
            codes(302, 403, 403, 403, 403, instructor=i, xstaff=404, city=403),
            {"pk": "g_week"},
            m,
        )
        for m, i in (("get", 200), ("post", 302))
    ),
    Case("guidance:week_step", NOT_GET, {"pk": "g_week"}),
    Case(
        "guidance:week_step",
        codes(302, 403, 403, 403, 403, instructor=302, xstaff=404, city=403),
        {"pk": "g_week"},
        "post",
    ),
    # --- end of guidance
    # --- records (issue 14): a secretary writes only their organization's records, readers
    # read them in scope, the office reviews. `draft_a1` is a1's draft, `record_a1` and
    # `record_b1` submitted records with a photo (`file_a1`, `file_b1`).
    Case("records:home", codes(302, 302, 302, 302, 302, instructor=403, city=302)),
    Case("records:month", IN_ZONE, {"pk": "a1", "year": 2025, "month": 3}),
    Case("records:month", OFFICE_OUTSIDE, {"pk": "b1", "year": 2025, "month": 3}),
    Case("records:year", IN_ZONE, {"pk": "a1", "year": 2025}),
    Case("records:year", OFFICE_OUTSIDE, {"pk": "b1", "year": 2025}),
    Case("records:create", SECRETARY_WRITES, {"pk": "a1"}),
    Case("records:create", SECRETARY_WRITES, {"pk": "a1"}, "post"),
    Case("records:create", SECRETARY_OUTSIDE, {"pk": "b1"}),
    Case("records:detail", IN_ZONE, {"rid": "record_a1"}),
    Case("records:detail", OFFICE_OUTSIDE, {"rid": "record_b1"}),
    Case("records:edit", SECRETARY_WRITES, {"rid": "draft_a1"}),
    Case("records:edit", SECRETARY_WRITES, {"rid": "draft_a1"}, "post"),
    Case("records:edit", SECRETARY_OUTSIDE, {"rid": "record_b1"}),
    Case("records:submit", codes(405, 405, 405, 405, 405, 405, 405, 405), {"rid": "draft_a1"}),
    Case(
        "records:submit",
        codes(302, 403, 403, 403, 302, instructor=403, xstaff=404, city=403),
        {"rid": "draft_a1"},
        "post",
    ),
    Case("records:submit", SECRETARY_OUTSIDE_POST, {"rid": "record_b1"}, "post"),
    Case("records:attachment", IN_ZONE, {"aid": "file_a1"}),
    Case("records:attachment", OFFICE_OUTSIDE, {"aid": "file_b1"}),
    Case("records:thumbnail", IN_ZONE, {"aid": "file_a1"}),
    Case("records:thumbnail", OFFICE_OUTSIDE, {"aid": "file_b1"}),
    Case("records:queue", READERS, MONTH),
    Case("records:review", REVIEW, {"pk": "a1", **MONTH}),
    Case("records:review", REVIEW, {"pk": "a1", **MONTH}, "post"),
    Case("records:review", REVIEW, {"pk": "b1", **MONTH}),
    Case("records:appeals", READERS),
    # The 2025 Q1 notice's window is long over: the secretary is sent back with the reason.
    Case("records:appeal_new", APPEAL_NEW, {"wid": "warning_a1"}),
    Case("records:appeal_new", APPEAL_NEW, {"wid": "warning_a1"}, "post"),
    Case("records:appeal_new", SECRETARY_OUTSIDE, {"wid": "warning_b1"}),
    Case("records:appeal", IN_ZONE, {"pk": "appeal_a1"}),
    Case("records:appeal", OFFICE_OUTSIDE, {"pk": "appeal_b1"}),
    Case(
        "records:appeal_answer", codes(405, 405, 405, 405, 405, 405, 405, 405), {"pk": "appeal_a1"}
    ),
    Case("records:appeal_answer", WRITE_IN_ZONE, {"pk": "appeal_a1"}, "post"),
    Case("records:appeal_answer", WRITE_OUTSIDE, {"pk": "appeal_b1"}, "post"),
    Case("records:appeal_attachment", IN_ZONE, {"pk": "appeal_a1"}),
    Case("records:appeal_attachment", OFFICE_OUTSIDE, {"pk": "appeal_b1"}),
    # --- end of records
]


@contextmanager
def rolled_back_everywhere():
    """An atomic block on every database, rolled back however it ends. Test mirrors are left
    out, as Django's TestCase leaves them out: they stand for their primary's database."""
    aliases = [
        alias for alias in connections if not connections[alias].settings_dict["TEST"]["MIRROR"]
    ]
    with ExitStack() as blocks:
        for alias in aliases:
            blocks.enter_context(transaction.atomic(using=alias))
        yield
        for alias in aliases:
            transaction.set_rollback(True, using=alias)


@pytest.fixture(scope="module")
def module_media(tmp_path_factory):
    """Where the module's attachments are written once, at set-up."""
    return tmp_path_factory.mktemp("matrix-uploads")


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path, module_media):
    """Replaces conftest's empty upload directory per test, which would hide the attachments
    written at set-up: each case still gets one of its own, a copy of the module's."""
    settings.MEDIA_ROOT = shutil.copytree(module_media, tmp_path / "uploads")


@pytest.fixture(scope="module")
def module_zone(django_db_setup, django_db_blocker, module_media):
    """The zones with everything a URL of the matrix can show, built once, inside a
    transaction that stays open while the module's cases run and is rolled back after the
    last one. Each case's `db` fixture opens a savepoint inside it and rolls its own changes
    back to this."""
    with django_db_blocker.unblock(), ExitStack() as setting_up:
        setting_up.enter_context(rolled_back_everywhere())
        # conftest's fast hashing and upload directory are per test: not in force here yet.
        with override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            MEDIA_ROOT=module_media,
        ):
            zone = build_matrix_zones()
        # Built: keep the transaction open past this block (a failure above rolls it back).
        outer = setting_up.pop_all()
    yield zone
    with django_db_blocker.unblock():
        outer.close()


def build_matrix_zones():
    """The first zone: a published 2025 Q1 whose rectifications a1's and b1's secretaries have
    submitted with attachments, an import batch of staff's, a 2026 rule set, 2025 finalized.
    The second: a 2025 rule set and nothing else."""
    zone = build_zone()
    rule_set = create_rule_set(zone=zone.zone, year=2025, user=zone.admin)
    publish_first_quarter(zone)
    zone.batch = make_batch(zone.staff, rule_set)
    zone.task_a1, zone.task_b1 = (
        Rectification.objects.get(warning__organization=org) for org in (zone.a1, zone.b1)
    )
    for task, user in ((zone.task_a1, zone.secretary), (zone.task_b1, zone.outsider)):
        pdf = SimpleUploadedFile(
            "整改.pdf", b"%PDF-1.4 test\n%%EOF", content_type="application/pdf"
        )
        submit_rectification(rectification=task, user=user, report="整改", attachment=pdf)
    create_rule_set(zone=zone.zone, year=2026, user=zone.admin, copy_from=rule_set)
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    other = build_other_zone(zone)
    create_rule_set(zone=other.zone, year=2025, user=other.admin)
    zone.xstaff = other.staff
    zone.city = zone.city_viewer
    zone.place, zone.other_place = zone.zone, other.zone
    # --- dashboard (issue 13): a notice of the first zone's staff.
    zone.staff_notice = Notification.objects.create(
        user=zone.staff, kind="month_deadline", title="提醒", url="/dashboard/"
    )
    # --- end of dashboard
    # --- guidance (issue 16): the first zone's station with a visit raising a problem of the
    # instructor's, March's task list, the 2025 rule set and the instructor's week in draft;
    # an empty station in the second zone.
    from guidance import services as guidance

    from .conftest import build_station

    station = build_station(zone)
    zone.instructor = station.instructor.user
    zone.g_instructor = station.instructor
    zone.g_visit = guidance.record_visit(
        visit=Visit(
            station=station.station,
            visited_on=datetime.date(2025, 3, 3),
            purpose="走访",
            organization=zone.a1,
        ),
        instructors=[station.instructor],
        problems=[guidance.NewProblem("用工难", station.instructor)],
        user=zone.staff,
    )
    zone.g_problem = zone.g_visit.problems.get()
    task_list = guidance.issue_task_list(
        station=station.station, year=2025, month=3, titles=["走访企业"], user=zone.staff
    )
    zone.g_task = task_list.tasks.get()
    guidance.create_rule_set(station=station.station, year=2025)
    zone.g_week = guidance.start_week(
        instructor=station.instructor, monday=datetime.date(2025, 3, 3)
    )
    Station.objects.create(zone=other.zone, name="另一指导站")
    # --- end of guidance
    # --- records (issue 14): a draft of a1's, submitted records of a1 and b1 with a photo.
    build_matrix_records(zone)
    # --- end of records
    return zone


def build_matrix_records(zone):
    from partybuild.attachments import accept
    from records.models import Appeal, State, WorkRecord
    from records.services import add_attachment
    from scoring.models import Warning

    from .files import image_bytes

    item = Item.objects.get(rule_set__zone=zone.place, rule_set__year=2025, code="2.2")
    day = datetime.date(2025, 3, 5)

    def record(org, state):
        return WorkRecord.objects.create(
            organization=org,
            item=item,
            date=day,
            year=2025,
            month=3,
            title="主题党日",
            content="内容",
            state=state,
        )

    zone.draft_a1 = record(zone.a1, State.DRAFT)
    zone.record_a1, zone.record_b1 = (
        record(zone.a1, State.SUBMITTED),
        record(zone.b1, State.SUBMITTED),
    )
    for name, rec in (("file_a1", zone.record_a1), ("file_b1", zone.record_b1)):
        photo = SimpleUploadedFile("照片.jpg", image_bytes("JPEG"), content_type="image/jpeg")
        setattr(zone, name, add_attachment(record=rec, accepted=accept(photo)))
    for org in ("a1", "b1"):
        warning = Warning.objects.get(organization=getattr(zone, org), notice__year=2025)
        appeal = Appeal(warning=warning, reason="理由")
        pdf = SimpleUploadedFile(
            "申诉.pdf", b"%PDF-1.4 test\n%%EOF", content_type="application/pdf"
        )
        appeal.attachment.save("申诉.pdf", pdf, save=False)
        appeal.attachment_name, appeal.attachment_type = "申诉.pdf", "application/pdf"
        appeal.save()
        setattr(zone, f"warning_{org}", warning)
        setattr(zone, f"appeal_{org}", appeal)


def make_batch(user, rule_set):
    content = month_template.write(rule_set, 2025, 3)
    return ImportBatch.objects.create(
        user=user, year=2025, month=3, filename="t.xlsx", content=content, fingerprint=""
    )


@pytest.fixture
def zone(module_zone, db):
    """The module's zones for one case, deep-copied as setUpTestData's attributes are: signing
    in stamps `last_login` on the user object, which the next case must not inherit."""
    return copy.deepcopy(module_zone)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_role_gets_what_its_scope_allows(client, zone, case, role):
    if role != "anon":
        client.force_login(getattr(zone, role))
    if role in CROSS_ZONE:
        # They look at the first zone, as after choosing it on the zones page.
        session = client.session
        session[access.CHOSEN_ZONE] = zone.place.pk
        session.save()
    url = case.url(zone)
    response = getattr(client, case.method)(url)
    expected = case.expected[role]
    assert response.status_code == expected, f"{role} {case}: {response.status_code}"
    if role == "anon" and expected == 302 and case.name not in ("logout",):
        assert "/login/" in response["Location"]


@pytest.mark.parametrize("turn", ["one case", "the next"])
def test_what_a_case_changes_is_gone_for_the_next(client, zone, turn):
    """Both turns start from the module's data whichever runs first. Confirming the tiers twice
    answers 302 all the same, so the matrix alone would not notice the first one leaking."""
    state = YearState.objects.get(zone=zone.place, year=2025)
    assert state.tiers_confirmed is False
    assert not TierAssignment.objects.filter(year=2026).exists()
    assert zone.staff.last_login is None
    assert User.objects.get(pk=zone.staff.pk).last_login is None

    client.force_login(zone.staff)
    response = client.post(reverse("scoring:tiers_confirm", kwargs={"year": 2025}))

    assert response.status_code == 302
    assert YearState.objects.get(zone=zone.place, year=2025).tiers_confirmed is True
    graded = AnnualResult.objects.filter(zone=zone.place, year=2025).count()
    assert graded and TierAssignment.objects.filter(year=2026).count() == graded
    assert zone.staff.last_login is not None


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
