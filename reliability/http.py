"""A user's browser over plain HTTP: cookies, the CSRF token, the grid's JSON requests.

Transport failures come back as status 0 instead of raising, because counting them is the
point of several sections.
"""

import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    error: str = ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> object:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect is an answer worth seeing (302 after login, to the login page when signed out).
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    def __init__(self, base: str, timeout: float = 20) -> None:
        self.base = base
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def cookie(self, name: str) -> str:
        return next((c.value or "" for c in self.jar if c.name == name), "")

    def get(self, path: str) -> Response:
        return self.send(urllib.request.Request(self.base + path))

    def post_form(self, path: str, fields: dict[str, str]) -> Response:
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": self.cookie("csrftoken"), **fields}
        ).encode()
        return self.send(urllib.request.Request(self.base + path, data=data))

    def post_json(self, path: str, payload: object) -> Response:
        """As static/partybuild/grid.js sends a save: JSON with the CSRF header, nothing
        about what it accepts back."""
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": self.cookie("csrftoken")},
        )
        return self.send(request)

    def login(self, username: str, password: str) -> bool:
        page = self.get("/accounts/login/")
        if page.status != 200:
            return False
        answer = self.post_form("/accounts/login/", {"username": username, "password": password})
        return answer.status == 302

    def send(self, request: urllib.request.Request) -> Response:
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=self.timeout) as answer:
                body, status, headers = answer.read(), answer.status, dict(answer.headers)
        except urllib.error.HTTPError as error:
            body, status, headers = error.read(), error.code, dict(error.headers)
        except OSError as error:  # refused, reset, timed out: no HTTP answer at all
            return Response(
                0, b"", {}, time.monotonic() - started, f"{type(error).__name__}: {error}"
            )
        return Response(status, body, headers, time.monotonic() - started)


CELL_ROW = re.compile(r'<tr data-org="(\d+)"(.*?)</tr>', re.S)
ITEM_HEAD = re.compile(r'<th class="item-head[^"]*" data-item="(\d+)"')
CELL_VERSION = re.compile(r'<input class="cell"[^>]*\bdata-v="(\d+)"')


def grid_versions(page: str) -> dict[tuple[int, int], int]:
    """{(organization, item): version} of every cell on a grid page, as grid.js reads them:
    the header gives the items' order, each row's inputs follow it."""
    items = [int(i) for i in ITEM_HEAD.findall(page)]
    versions: dict[tuple[int, int], int] = {}
    for org, row in CELL_ROW.findall(page):
        for item, version in zip(items, CELL_VERSION.findall(row), strict=False):
            versions[(int(org), item)] = int(version)
    return versions
