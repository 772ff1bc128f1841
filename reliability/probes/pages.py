"""The app's pages as the probes reach them: every named URL of the resolver, filled in
with the permission matrix's objects, and the forms those pages hold."""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404


def url_names(resolver: Any = None, namespace: str = "") -> list[str]:
    """Every named URL, Django's admin site left out (it is the platform's and developers',
    and its forms are Django's)."""
    names: list[str] = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names += url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(f"{namespace}{pattern.name}")
    return names


@dataclass
class Form:
    """A form as a page shows it: where it goes, how, and the values it would send."""

    page: str
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    choices: dict[str, list[str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    @property
    def url_name(self) -> str:
        try:
            match = resolve(urlsplit(self.action).path)
        except Resolver404:
            return self.action
        return match.view_name


class _FormParser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.select: str | None = None
        self.first_option = False
        self.textarea: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = a.get("action") or self.page
            self.current = Form(self.page, action, (a.get("method") or "get").lower())
            self.forms.append(self.current)
            return
        form = self.current
        if form is None or "name" not in a or "disabled" in a:
            if tag == "option" and form is not None and self.select:
                self._option(a)
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind == "file":
                form.files.append(name)
            elif kind in ("checkbox", "radio"):
                form.choices.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    form.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "reset", "image"):
                form.fields.append((name, a.get("value", "")))
        elif tag == "select":
            self.select = name
            self.first_option = True
            form.choices[name] = []
            form.fields.append((name, ""))
        elif tag == "textarea":
            self.textarea, self.text = name, []
        elif tag == "button" and a.get("value"):
            form.fields.append((name, a["value"]))

    def _option(self, a: dict[str, str]) -> None:
        assert self.current is not None and self.select is not None
        value = a.get("value", "")
        self.current.choices[self.select].append(value)
        # A browser sends the selected option, or else the first.
        if "selected" in a or self.first_option:
            self.current.fields[-1] = (self.select, value)
        self.first_option = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.current is not None and self.textarea:
            self.current.fields.append((self.textarea, "".join(self.text)))
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.text.append(data)


def forms_of(page: str, html: str) -> list[Form]:
    parser = _FormParser(page)
    parser.feed(html)
    return [f for f in parser.forms if f.method in ("get", "post")]


def sign_in(client: Any, zone: Any, role: str) -> None:
    """`client` as the permission matrix's `role` (anon: signed out); the city and platform
    look at the first zone, as after choosing it on the zones page."""
    from orgs import access

    client.logout()
    if role == "anon":
        return
    client.force_login(getattr(zone, role))
    if getattr(zone, role).reads_across_zones:
        session = client.session
        session[access.CHOSEN_ZONE] = zone.place.pk
        session.save()
