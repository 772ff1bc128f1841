"""What the management commands share: naming the zone a command works on."""

from argparse import ArgumentParser

from django.core.management.base import CommandError

from .models import Zone


def add_zone_argument(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--zone", help="the zone's code (开发区编码); may be left out when there is only one zone"
    )


def zone_named(code: str | None) -> Zone:
    """The zone with `code`, or the only zone when no code is given."""
    if code:
        zone = Zone.objects.filter(code=code).first()
        if zone is None:
            known = "、".join(Zone.objects.values_list("code", flat=True)) or "（无）"
            raise CommandError(f"没有编码为 {code} 的开发区；现有：{known}。")
        return zone
    zones = list(Zone.objects.all()[:2])
    if len(zones) != 1:
        raise CommandError("系统中有多个开发区（或还没有开发区），请用 --zone 指定开发区编码。")
    return zones[0]
