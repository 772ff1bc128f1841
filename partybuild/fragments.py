"""Rendered page content kept in the cache under a digest of what it shows.

A fragment's key is built from stamps read before the fragment's data (orgs.stamps: a digest
of every committed write to the zone's tables), the request's filters and the day, so a
write that changes what the fragment shows changes its key: a stale fragment is never looked
up again, whichever process wrote, and nothing has to be invalidated. The office pages render
hundreds of rows; with their content cached, a reload costs a few small queries.
"""

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import caches
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

# Fragments are large (a grid page is ~150 KB), so they live in a cache of their own with a
# bounded number of entries (settings.CACHES), never crowding out the small ones.
ALIAS = "fragments"
TIMEOUT = 24 * 3600
# Rendered in place of the request's CSRF token and Content-Security-Policy nonce (which
# inline chart styles carry), put in on every serve: a cached fragment is shared by every
# session, and both are the response's own.
CSRF_MARKER = "csrf-token-of-the-request-9f1c2e"
NONCE_MARKER = "csp-nonce-of-the-response-4b7d0a"


def key(name: str, parts: object) -> str:
    """`name` and a digest of `parts` (any nesting of values with a stable repr)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=20).hexdigest()
    return f"{name}:{digest}"


def cached(name: str, parts: object, render: Callable[[], str]) -> str:
    """The HTML that `render()` gives for `parts`, from the cache when it was rendered for
    the same parts before. `parts` must hold everything the HTML depends on."""
    cache = caches[ALIAS]
    fragment_key = key(name, parts)
    html = cache.get(fragment_key)
    if html is None:
        html = render()
        cache.set(fragment_key, html, TIMEOUT)
    return html


def content(
    request: Any, name: str, parts: object | None, template: str, context: Callable[[], dict]
) -> SafeString:
    """`template` rendered with `context()`, cached under `parts` (everything it depends on
    but the CSRF token and the CSP nonce, which `context()` gives as NONCE_MARKER; None: not
    cached); `context` runs only when the cache has no such fragment."""

    def render() -> str:
        return render_to_string(template, {**context(), "csrf_token": CSRF_MARKER}, request)

    html = render() if parts is None else cached(name, parts, render)
    html = html.replace(CSRF_MARKER, get_token(request))
    if NONCE_MARKER in html:
        html = html.replace(NONCE_MARKER, str(request.csp_nonce))
    return mark_safe(html)
