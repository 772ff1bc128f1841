from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from orgs.models import Zone

from ... import notify, reminders
from ...models import Notification


class Command(BaseCommand):
    help = (
        "Make the reminders due today (a month's close deadline in five days and in one day, "
        "a rectification due in three days or overdue) as in-app notices, then e-mail every "
        "notice not yet mailed to users with an address. Run it daily (see README); the same "
        "reminder is never made twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="show what would be done")
        parser.add_argument("--zone", metavar="CODE", help="only this zone (its code)")

    def handle(self, *args, dry_run, zone, **options):
        zones = Zone.objects.order_by("code")
        if zone:
            zones = zones.filter(code=zone.strip().upper())
            if not zones.exists():
                raise CommandError(f"没有编码为“{zone}”的开发区/县区。")
        today = timezone.localdate()
        prefix = "（试运行，未保存、未发送）" if dry_run else ""
        made = 0
        for place in zones:
            drafts = reminders.due_drafts(place, today)
            for draft in drafts:
                self.stdout.write(
                    f"{prefix}站内消息 → {draft.user.username}（{draft.user.display_name}）：{draft.title}"
                )
            if not dry_run:
                with transaction.atomic():
                    made += len(notify.create(drafts))
            else:
                made += len(drafts)
        mailed, failed = self.mail(zones if zone else None, dry_run=dry_run, prefix=prefix)
        self.stdout.write(
            f"{prefix}{today:%Y年%m月%d日}：新提醒 {made} 条，邮件 {mailed} 封"
            + (f"，发送失败 {failed} 封（下次运行再发）" if failed else "")
            + "。"
        )

    def mail(self, zones, *, dry_run, prefix):
        """Mail every pending notice (reminders and events alike); a failed one stays pending."""
        pending = (
            Notification.objects.mail_pending()
            .exclude(user__email="")
            .select_related("user")
            .order_by("pk")
        )
        if zones is not None:
            pending = pending.filter(user__zone__in=zones)
        site = settings.PARTYBUILD_SITE_URL.rstrip("/")
        mailed = failed = 0
        for notice in pending:
            address = notice.user.email
            self.stdout.write(f"{prefix}邮件 → {address}：{notice.title}")
            if dry_run:
                mailed += 1
                continue
            try:
                send_mail(
                    subject=f"【基层党组织积分制管理】{notice.title}",
                    message=f"{notice.body}\n\n办理：{site}{notice.url}\n",
                    from_email=None,
                    recipient_list=[address],
                )
            except OSError as error:  # SMTP and socket errors
                failed += 1
                self.stderr.write(f"邮件发送失败 → {address}：{error}")
                continue
            Notification.objects.filter(pk=notice.pk).update(
                mail_pending=False, mailed_at=timezone.now()
            )
            mailed += 1
        return mailed, failed
