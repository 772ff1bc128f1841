"""The registry: party organizations in a tree, the units they cover, their ABC tier per year,
and the accounts that use the system."""

import calendar
import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

# The Party Constitution (art. 30) requires three full members to found a grassroots organization.
MIN_MEMBERS = 3
MAX_MEMBERS = 100_000
PARTY_FOUNDED = datetime.date(1921, 7, 1)


class Role(models.TextChoices):
    ADMIN = "admin", "管理员"
    STAFF = "staff", "党建办工作人员"
    COMMITTEE = "committee", "党委查看"
    SECRETARY = "secretary", "支部书记"
    INSTRUCTOR = "instructor", "党建指导员"
    REGION = "region", "市/省级查看"
    PLATFORM = "platform", "平台管理员"


# Roles that work inside one zone; the others read across the zones of a region, or run the
# deployment.
ZONE_ROLES = (Role.ADMIN, Role.STAFF, Role.COMMITTEE, Role.SECRETARY, Role.INSTRUCTOR)


class RegionKind(models.TextChoices):
    CITY = "city", "市"
    PROVINCE = "province", "省"


class Region(models.Model):
    """A city or a province: what a 市/省级查看 account reads across. A province holds cities,
    a city holds zones."""

    name = models.CharField("名称", max_length=50, unique=True)
    kind = models.CharField("级别", max_length=16, choices=RegionKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = "市/省"
        verbose_name_plural = "市/省"
        ordering = ["name"]

    def __str__(self):
        return self.name


class ZoneQuerySet(models.QuerySet):
    def in_region(self, region):
        """The zones of `region` and of the cities below it."""
        return self.filter(Q(region=region) | Q(region__parent=region))


code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9-]{1,19}$",
    "编码只能包含字母、数字和连字符，长度 2–20 位，且不能以连字符开头。",
)


class Zone(models.Model):
    """开发区 / 县区: a top-level part of the organization tree with its own office, rule sets,
    month closing, notice numbering and grading. Its organizations never see another zone."""

    name = models.CharField(
        "名称", max_length=40, unique=True, help_text="印在通报和评级表上，如“六安开发区”。"
    )
    code = models.CharField("编码", max_length=20, unique=True, validators=[code_validator])
    region = models.ForeignKey(
        Region,
        verbose_name="所属市/省",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="zones",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = ZoneQuerySet.as_manager()

    class Meta:
        verbose_name = "开发区/县区"
        verbose_name_plural = "开发区/县区"
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def root(self):
        """The zone's working committee (党工委): its tree's root."""
        return Organization.objects.get(zone=self, depth=1)


phone_validator = RegexValidator(r"^1\d{10}$", "手机号应为以 1 开头的 11 位数字。")


class UserQuerySet(models.QuerySet):
    def search(self, text):
        """Accounts whose name, username or phone contains `text`."""
        text = (text or "").strip()
        if not text:
            return self
        # The name as it is written: family name first, no space (User.display_name).
        named = self.alias(full_name=Concat("last_name", "first_name"))
        return named.filter(
            Q(username__icontains=text) | Q(phone__icontains=text) | Q(full_name__icontains=text)
        )

    def with_organization(self):
        """Annotate `organization_name`: the organization a secretary runs (None for others)."""
        held = Organization.objects.filter(secretary=OuterRef("pk")).order_by()
        return self.annotate(organization_name=Subquery(held.values("name")[:1]))


class AccountManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    role = models.CharField("角色", max_length=16, choices=Role.choices, default=Role.SECRETARY)
    zone = models.ForeignKey(
        Zone,
        verbose_name="所属开发区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text="管理员、党建办、党委查看和书记账号只在所属开发区内工作。",
    )
    committee = models.ForeignKey(
        "Organization",
        verbose_name="所查看的党委",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="viewers",
        limit_choices_to={"depth": 2},
        help_text="仅“党委查看”角色需要：可查看该党委及其下属全部组织。",
    )
    region = models.ForeignKey(
        Region,
        verbose_name="所查看的市/省",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="viewers",
        help_text="仅“市/省级查看”角色需要：可查看该市/省下全部开发区。",
    )
    phone = models.CharField(
        "手机号",
        max_length=11,
        blank=True,
        validators=[phone_validator],
        help_text="书记账号以手机号为用户名；同一手机号只能属于一个账号。",
    )
    # Set by a one-time password (a new account, a reset): every page asks for a new
    # password until the user chooses one.
    must_change_password = models.BooleanField("须修改初始密码", default=False)

    objects = AccountManager()

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.UniqueConstraint(
                fields=["phone"],
                condition=~Q(phone=""),
                name="user_phone_unique",
                violation_error_message="该手机号已属于另一个账号。",
            )
        ]

    def clean(self):
        super().clean()
        errors = {}
        if self.role in ZONE_ROLES and self.zone_id is None:
            errors["zone"] = f"“{self.get_role_display()}”账号必须指定所属开发区。"
        if self.role not in ZONE_ROLES and self.zone_id is not None:
            errors["zone"] = f"“{self.get_role_display()}”账号不属于某个开发区。"
        if self.role == Role.COMMITTEE and self.committee_id is None:
            errors["committee"] = "“党委查看”角色必须指定所查看的党委。"
        elif self.role == Role.COMMITTEE and self.committee.zone_id != self.zone_id:
            errors["committee"] = "所查看的党委必须在账号所属的开发区内。"
        if self.role != Role.COMMITTEE and self.committee_id is not None:
            errors["committee"] = "只有“党委查看”角色可以指定党委。"
        if self.role == Role.REGION and self.region_id is None:
            errors["region"] = "“市/省级查看”角色必须指定所查看的市/省。"
        if self.role != Role.REGION and self.region_id is not None:
            errors["region"] = "只有“市/省级查看”角色可以指定市/省。"
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # Django's admin site is the developers' only (superusers): it would show every
        # zone's accounts, in another theme; the office and the platform have their own pages.
        self.is_staff = self.is_superuser
        super().save(*args, **kwargs)

    @property
    def display_name(self):
        # Chinese names read family name first, with no space.
        return f"{self.last_name}{self.first_name}".strip() or self.username

    @property
    def is_office(self):
        """A zone's office staff and administrators read and write every organization of
        their zone."""
        return self.role in (Role.ADMIN, Role.STAFF)

    @property
    def is_admin(self):
        """A zone's administrator: its rule sets and registry."""
        return self.role == Role.ADMIN

    @property
    def is_platform(self):
        """The deployment's administrator: creates zones and their first administrators."""
        return self.role == Role.PLATFORM

    @property
    def reads_across_zones(self):
        """City, province and platform accounts read every zone below them; they never write
        a zone's data."""
        return self.role in (Role.REGION, Role.PLATFORM)


class Kind(models.TextChoices):
    WORKING_COMMITTEE = "working_committee", "党工委"
    COMMITTEE = "committee", "党委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    JOINT_BRANCH = "joint_branch", "联合党支部"


class Sector(models.TextChoices):
    AGENCY = "agency", "机关事业单位"
    VILLAGE = "village", "村(社区)"
    NON_PUBLIC = "non_public", "非公企业"
    SOCIAL = "social", "社会组织"


class Tier(models.TextChoices):
    A = "A", "A类 示范型"
    B = "B", "B类 成长型"
    C = "C", "C类 孵化型"


class TierSource(models.TextChoices):
    INITIAL = "initial", "初始分类"
    GRADING = "grading", "年度定级"
    MANUAL = "manual", "人工调整"


class OrganizationQuerySet(MP_NodeQuerySet):
    def update(self, **kwargs):
        # Every change moves updated_at, even one made in bulk: zone stamps (orgs.stamps) sum
        # it, so a cached page that shows the old value is never served again.
        kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)

    def in_zone(self, zone):
        return self.filter(zone=zone)

    def term_ending(self, today):
        """Organizations whose term ends within three months of `today`, or has ended: their
        election is due."""
        return self.filter(term_ends_on__lte=term_notice_until(today))

    def scored(self):
        """Organizations that take part in scoring: every active one below its zone's root."""
        return self.filter(is_active=True, depth__gt=1)

    def in_subtree(self, node):
        return self.filter(path__startswith=node.path)

    def committees(self):
        return self.filter(depth=2)

    def search(self, text):
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(
            Q(name__icontains=text) | Q(short_name__icontains=text) | Q(code__icontains=text)
        )

    def with_tier(self, year):
        """Annotate `tier`: the organization's tier in `year` (TierAssignment.objects.in_force)."""
        latest = TierAssignment.objects.in_force(year).filter(organization=OuterRef("pk"))
        return self.annotate(tier=Subquery(latest.values("tier")[:1]))

    def with_committee(self):
        """Annotate `committee_name` from the depth-2 ancestor (or self)."""
        prefix = Substr("path", 1, Organization.steplen * 2)
        committee = Organization.objects.filter(path=OuterRef("committee_path"))
        return self.annotate(committee_path=prefix).annotate(
            committee_name=Subquery(committee.values("short_name")[:1]),
        )

    def committee_names(self):
        """{committee path: short name}: an organization's committee is the first two steps
        of its path."""
        return dict(self.committees().values_list("path", "short_name"))

    def tier_counts(self, year):
        """{tier: count} over this queryset, computed in one grouped query."""
        rows = self.with_tier(year).order_by().values("tier").annotate(n=Count("pk"))
        return {row["tier"]: row["n"] for row in rows}


class OrganizationManager(MP_NodeManager.from_queryset(OrganizationQuerySet)):
    def get_queryset(self):
        return OrganizationQuerySet(self.model, using=self._db).order_by("path")


# The office prepares an organization's election (换届) in the months before its term ends.
TERM_NOTICE_MONTHS = 3


def term_notice_until(today: datetime.date) -> datetime.date:
    """The last 届满日期 the office is told about on `today`: TERM_NOTICE_MONTHS on, the same
    day of the month or the month's last day when it has none."""
    years, month = divmod(today.month - 1 + TERM_NOTICE_MONTHS, 12)
    year = today.year + years
    return datetime.date(year, month + 1, min(today.day, calendar.monthrange(year, month + 1)[1]))


def term_notice(ends_on: datetime.date | None, today: datetime.date) -> str | None:
    """What the office is told about a term ending on `ends_on`: over, ending within
    TERM_NOTICE_MONTHS, or nothing."""
    if ends_on is None:
        return None
    if ends_on < today:
        return "已届满"
    return "届满将至" if ends_on <= term_notice_until(today) else None


class Organization(MP_Node):
    zone = models.ForeignKey(
        Zone, verbose_name="所属开发区", on_delete=models.PROTECT, related_name="organizations"
    )
    name = models.CharField("组织名称", max_length=100)
    short_name = models.CharField("简称", max_length=40)
    # Unique within a zone: its registry file and its month templates name organizations by it.
    code = models.CharField("组织编码", max_length=20, validators=[code_validator])
    kind = models.CharField("组织类别", max_length=24, choices=Kind.choices)
    sector = models.CharField("类型", max_length=16, choices=Sector.choices)
    secretary = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="书记账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="secretary_of",
    )
    member_count = models.PositiveIntegerField(
        "党员人数",
        validators=[
            MinValueValidator(MIN_MEMBERS, f"党员人数不能少于 {MIN_MEMBERS} 人（党章规定）。"),
            MaxValueValidator(MAX_MEMBERS, f"党员人数不能超过 {MAX_MEMBERS:,} 人。"),
        ],
    )
    founded_on = models.DateField("成立日期")
    is_active = models.BooleanField("在用", default=True)
    is_demo_point = models.BooleanField("党建示范点", default=False)
    # The day the organization's committee's term ends (届满): the office prepares the
    # election (换届) in the months before it.
    term_ends_on = models.DateField("届满日期", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = OrganizationManager()

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        indexes = [
            # Subtree filters are `path LIKE 'prefix%'`; PostgreSQL needs the pattern opclass
            # to use an index for that under a non-C collation.
            models.Index(
                fields=["path"], name="org_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["sector"], name="org_sector"),
            # A zone's pages read its organizations in tree order.
            models.Index(fields=["zone", "path"], name="org_zone_path"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(member_count__gte=MIN_MEMBERS), name="org_member_count_min"
            ),
            models.UniqueConstraint(
                fields=["zone"], condition=Q(depth=1), name="org_one_root_per_zone"
            ),
            models.UniqueConstraint(
                fields=["zone", "code"],
                name="org_code_unique_in_zone",
                violation_error_message="该组织编码已被本区其他组织使用，请换一个。",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.zone_id is None and self.depth and self.depth > 1:
            # A child belongs to its root's zone (the first step of its path).
            root = Organization.objects.filter(path=self.path[: self.steplen])
            self.zone_id = root.values_list("zone_id", flat=True).first()
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.founded_on and self.founded_on > timezone.localdate():
            raise ValidationError({"founded_on": "成立日期不能晚于今天。"})
        if self.founded_on and self.founded_on < PARTY_FOUNDED:
            raise ValidationError({"founded_on": "成立日期不能早于 1921 年 7 月 1 日。"})

    @property
    def term_notice(self):
        return term_notice(self.term_ends_on, timezone.localdate())

    @property
    def label(self):
        return self.short_name or self.name

    def parent(self):
        return Organization.objects.get_parent(self)

    def ancestors(self):
        return Organization.objects.get_ancestors(self)

    def committee(self):
        """The depth-2 ancestor (基层党委) this organization belongs to, or None for the root."""
        if self.depth < 2:
            return None
        if self.depth == 2:
            return self
        return Organization.objects.get(path=self.path[: self.steplen * 2])


class CoveredUnit(models.Model):
    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", "非公企业"
        SOCIAL = "social", "社会组织"
        INSTITUTION = "institution", "机关事业单位"
        COMMUNITY = "community", "村(社区)"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="covered_units", verbose_name="党组织"
    )
    name = models.CharField("单位名称", max_length=100)
    kind = models.CharField("单位类型", max_length=16, choices=Kind.choices)
    credit_code = models.CharField(
        "统一社会信用代码",
        max_length=18,
        blank=True,
        validators=[
            RegexValidator(
                r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$",
                "统一社会信用代码应为 18 位数字或大写字母（不含 I、O、Z、S、V）。",
            )
        ],
    )
    employee_count = models.PositiveIntegerField(
        "职工人数",
        null=True,
        blank=True,
        validators=[MaxValueValidator(1_000_000, "职工人数不能超过 1,000,000 人。")],
    )

    class Meta:
        verbose_name = "覆盖单位"
        verbose_name_plural = "覆盖单位"
        ordering = ["organization", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="covered_unit_credit_code_unique",
                violation_error_message="该统一社会信用代码已登记在其他单位下。",
            )
        ]

    def __str__(self):
        return self.name


class TierAssignmentQuerySet(models.QuerySet):
    def in_force(self, year):
        """The rows that decide a tier in `year`, the deciding one first: the latest set for
        `year`, or the one carried over from an earlier year when nothing was set for it yet.
        The one statement of that rule: every tier of a year is read through it."""
        return self.filter(year__lte=year).order_by("-year", "-set_at", "-pk")


class TierAssignment(models.Model):
    """One row per change of an organization's ABC tier for a year; the latest row wins."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="tier_history", verbose_name="党组织"
    )
    # The organization's zone, kept on the row (see SecretaryTerm.zone).
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(
        "年度", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    tier = models.CharField("分类", max_length=1, choices=Tier.choices)
    source = models.CharField("来源", max_length=16, choices=TierSource.choices)
    reason = models.TextField("原因")
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    set_at = models.DateTimeField("时间", default=timezone.now)

    objects = TierAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = "分类记录"
        verbose_name_plural = "分类记录"
        ordering = ["-year", "-set_at", "-pk"]
        indexes = [models.Index(fields=["organization", "year", "set_at"], name="tier_lookup")]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="tier_reason_required"),
        ]

    def __str__(self):
        return f"{self.organization} {self.year} {self.tier}"


class ZoneMove(models.Model):
    """An organization (with everything below it) moved from one zone to another: the
    deployment administrator's act, with its reason."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="zone_moves", verbose_name="党组织"
    )
    from_zone = models.ForeignKey(
        Zone, on_delete=models.PROTECT, related_name="+", verbose_name="原开发区"
    )
    to_zone = models.ForeignKey(
        Zone, on_delete=models.PROTECT, related_name="+", verbose_name="新开发区"
    )
    reason = models.TextField("原因")
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="操作人",
    )
    moved_at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "跨区转移"
        verbose_name_plural = "跨区转移"
        ordering = ["-moved_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="zone_move_reason_required"),
        ]

    def __str__(self):
        return f"{self.organization} {self.from_zone} → {self.to_zone}"


class SecretaryTerm(models.Model):
    """Who was an organization's secretary when: one row per account that held the office,
    closed when another account takes it (换届) or the account is unlinked."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="secretary_terms",
        verbose_name="党组织",
    )
    # The organization's zone, kept on the row (written beside the organization, carried by a
    # zone move): the zone's stamp (orgs.stamps) sums these rows, one or more per organization,
    # as one index range rather than an index probe per organization, which at province scale
    # cost twice as much.
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="secretary_terms",
        verbose_name="书记账号",
    )
    started_at = models.DateTimeField("开始时间", default=timezone.now)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="操作人",
    )

    class Meta:
        verbose_name = "书记任职记录"
        verbose_name_plural = "书记任职记录"
        ordering = ["organization", "-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(ended_at__isnull=True),
                name="secretary_term_one_open",
            )
        ]

    def __str__(self):
        return f"{self.organization} {self.user}"


class AccountEventKind(models.TextChoices):
    CREATED = "created", "开通账号"
    EDITED = "edited", "修改信息"
    PASSWORD_RESET = "password_reset", "重置密码"
    UNLOCKED = "unlocked", "解除锁定"
    DEACTIVATED = "deactivated", "停用"
    REACTIVATED = "reactivated", "启用"


class AccountEvent(models.Model):
    """What the office did to an account and who did it: a reset password or an unlocked
    account is asked about afterwards ("who gave my password out?")."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="account_events",
        verbose_name="账号",
    )
    kind = models.CharField("操作", max_length=20, choices=AccountEventKind.choices)
    detail = models.CharField("说明", max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="操作人",
    )
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "账号操作记录"
        verbose_name_plural = "账号操作记录"
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.user} {self.get_kind_display()}"
