"""A branch secretary on a 390 px phone: no page they can open scrolls sideways, and no text
on it is smaller than 12 px."""

import pytest

from scoring.models import Rectification

pytestmark = pytest.mark.browser

# Every text node's font size and the page's width, measured by the browser.
MEASURE = """() => {
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden" || !el.getClientRects().length) continue;
    if (el.closest("svg")) continue;  // charts carry their numbers as a table beside them
    const size = parseFloat(style.fontSize);
    if (size < 12) small.push(`${size}px: ${node.textContent.trim().slice(0, 30)}`);
  }
  return {width: document.documentElement.scrollWidth, small: small.slice(0, 5)};
}"""


def test_no_page_a_secretary_opens_scrolls_sideways_on_a_phone(
    zone, rule_set, published, sign_in, screenshot
):
    from django.utils import timezone

    from scoring.services.rulesets import create_rule_set

    create_rule_set(
        zone=zone.zone, year=timezone.localdate().year, user=zone.admin, copy_from=rule_set
    )
    task = Rectification.objects.get(warning__organization=zone.a1)
    page = sign_in(zone.secretary)
    page.set_viewport_size({"width": 390, "height": 844})
    year = timezone.localdate().year
    urls = [
        "/",
        f"/status/{zone.a1.pk}/",
        f"/sheet/{zone.a1.pk}/2025/",
        f"/sheet/{zone.a1.pk}/{year}/",
        f"/rules/{year}/",
        "/rules/2025/",
        f"/orgs/{zone.a1.pk}/",
        f"/rectifications/{task.pk}/",
        "/warnings/2025/1/notice/",
        "/accounts/password/",
        "/notices/",
        f"/orgs/{zone.b1.pk}/",  # another organization: the app's own 404 page
    ]
    problems = []
    for number, url in enumerate(urls):
        page.goto(url)
        measured = page.evaluate(MEASURE)
        if measured["width"] > 390:
            problems.append(f"{url} is {measured['width']} px wide")
        if measured["small"]:
            problems.append(f"{url} has text under 12 px: {measured['small']}")
        screenshot(f"phone-secretary-{number:02d}")
    assert problems == []
