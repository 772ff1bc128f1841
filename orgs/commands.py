"""What the management commands share: naming the zone a command works on."""

from argparse import ArgumentParser

from django.core.management.base import CommandError

from .models import User, Zone


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


def office_user(username: str | None, *, task: str) -> tuple[User, Zone]:
    """The account a command's changes are recorded under, an active office or admin user
    who does `task` (e.g. "导入积分"), and their zone: nobody changes another zone's data."""
    if not username:
        raise CommandError("请用 --user 指定记录为修改人的用户名（党建办工作人员或管理员）。")
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"没有用户 {username}。")
    if not user.is_active:
        raise CommandError(f"用户 {username} 已停用，不能作为修改人。")
    if not user.is_office:
        raise CommandError(
            f"用户 {username} 的角色是“{user.get_role_display()}”，只有党建办工作人员或管理员可以{task}。"
        )
    if user.zone is None:
        raise CommandError(f"用户 {username} 没有所属的开发区。")
    return user, user.zone
