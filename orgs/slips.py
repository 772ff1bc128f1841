"""开通通知单: the slip the office hands to a person with their account's username and one-time
password, printed from the page or downloaded as Excel.

A one-time password is never stored in clear, so the slips exist only in the response that
created the passwords. That page carries them to the Excel download in a signed field
(`sign`/`unsign`): bound to the user who created them and valid for `MAX_AGE` seconds, and
nothing of them is kept on the server.
"""

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from openpyxl import Workbook
from openpyxl.worksheet.pagebreak import Break

from partybuild import xlsx

from .models import Organization, User

# Long enough to print and download after the passwords were issued, short enough that a
# page left open does not keep passwords fetchable for the day.
MAX_AGE = 60 * 60
_SALT = "orgs.slips"
SLIPS_PER_SHEET = 1000
NOTE = "首次登录后系统会要求您设置新密码；初始密码只能使用一次，请勿转交他人。"


@dataclass(frozen=True)
class Slip:
    organization: str  # what the account is for: the organization (or the office) by name
    name: str  # the person's name
    username: str
    password: str  # the one-time password, in clear: it exists only here
    login_address: str

    @property
    def lines(self) -> list[tuple[str, str]]:
        """The slip's lines, the same on paper and in Excel."""
        return [
            ("党组织", self.organization),
            ("姓名", self.name),
            ("登录地址", self.login_address),
            ("用户名", self.username),
            ("初始密码", self.password),
        ]


def login_address() -> str:
    """Where the app is signed into, as it is printed: the site's address (a setting, since
    the registry import also runs from the command line) and the login page."""
    return settings.PARTYBUILD_SITE_URL.rstrip("/") + reverse("login")


def slip_for(user: User, password: str, organization: Organization | None = None) -> Slip:
    """The slip of `user` with its new one-time `password`: for a secretary their organization
    (given, or the one they run), for anyone else their role in their zone (or region)."""
    if organization is None:
        organization = Organization.objects.filter(secretary=user).first()
    if organization is not None:
        place = organization.name
    else:
        above = user.zone or user.region
        place = f"{above.name if above else ''}{user.get_role_display()}"
    return Slip(
        organization=place,
        name=user.display_name,
        username=user.get_username(),
        password=password,
        login_address=login_address(),
    )


def slips_workbook(slips: Iterable[Slip]) -> bytes:
    """Sheets of slips, one block per organization, each printed on its own A4 page; a new
    sheet every SLIPS_PER_SHEET slips (Excel keeps at most 1,026 page breaks to a sheet)."""
    workbook = Workbook(write_only=True)
    slips = list(slips)
    for number, start in enumerate(range(0, max(len(slips), 1), SLIPS_PER_SHEET), start=1):
        _slip_sheet(
            workbook,
            "开通通知单" + (str(number) if number > 1 else ""),
            slips[start : start + SLIPS_PER_SHEET],
        )
    return xlsx.to_bytes(workbook)


def _slip_sheet(workbook: Workbook, title: str, slips: list[Slip]) -> None:
    ws = xlsx.stream_styled_cells(workbook.create_sheet(title))
    xlsx.printable(ws, widths=[14, 60], header_row=None, frozen=None, orientation="portrait")
    # Every block has the same styled cells: one reused cell per style.
    heading = xlsx.Styled(ws, "s", font=xlsx.TITLE)
    label = xlsx.Styled(ws, "s", font=xlsx.BOLD)
    note = xlsx.Styled(ws, "s", alignment=xlsx.WRAP)
    breaks, row = [], 0
    for slip in slips:
        if row:
            breaks.append(Break(id=row))
        ws.append([heading("账号开通通知单")])
        for name, value in slip.lines:
            ws.append([label(name), xlsx.text(ws, value)])
        ws.append([label("说明"), note(NOTE)])
        ws.append([])
        row += len(slip.lines) + 3
    # Set at once: openpyxl checks every break already there on each append.
    ws.row_breaks.brk = tuple(breaks)


def sign(slips: list[Slip], *, by: User) -> str:
    return signing.dumps(
        {"by": by.pk, "slips": [asdict(s) for s in slips]}, salt=_SALT, compress=True
    )


class SlipsExpired(Exception):
    """The signed slips are too old, altered or someone else's; the message says so."""


def unsign(token: str, *, by: User) -> list[Slip]:
    try:
        payload = signing.loads(token, salt=_SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise SlipsExpired(
            f"通知单已超过 {MAX_AGE // 60} 分钟，不能再下载；请在本页直接打印，或重新重置密码。"
        ) from None
    except signing.BadSignature:
        raise SlipsExpired("通知单数据无效，无法下载。") from None
    if payload.get("by") != by.pk:
        raise SlipsExpired("这份通知单不是您生成的，无法下载。")
    return [Slip(**fields) for fields in payload["slips"]]


def render_slips(request: HttpRequest, slips: list[Slip], *, title: str, back: str) -> HttpResponse:
    """The page of `slips` just created: printable, one slip per page, with a button to
    download them as Excel. `back` is where the office returns to."""
    response = render(
        request,
        "orgs/slips.html",
        {
            "slips": slips,
            "title": title,
            "back": back,
            "note": NOTE,
            "max_age_minutes": MAX_AGE // 60,
            "token": sign(slips, by=request.user),  # type: ignore[arg-type]
        },
    )
    # Passwords in clear: never kept by a browser's or a proxy's cache.
    add_never_cache_headers(response)
    return response
