from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth.password_validation import validate_password
from django.forms import inlineformset_factory
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .models import (
    MAX_MEMBERS,
    MIN_MEMBERS,
    PARTY_FOUNDED,
    TERM_NOTICE_MONTHS,
    ZONE_ROLES,
    CoveredUnit,
    Kind,
    Organization,
    Region,
    Role,
    Sector,
    Tier,
    TierAssignment,
    User,
    Zone,
    code_validator,
    phone_validator,
)


def posted(request):
    """The POST data to bind a form to, or None on GET: an empty POST still gets validated."""
    return request.POST if request.method == "POST" else None


PARENT_KINDS = (Kind.WORKING_COMMITTEE, Kind.COMMITTEE, Kind.GENERAL_BRANCH)
BRANCH_KINDS = (Kind.BRANCH, Kind.JOINT_BRANCH)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def possible_parents(zone):
    return Organization.objects.in_zone(zone).filter(kind__in=PARENT_KINDS)


def parent_from_link(query, zone):
    """The parent a "new organization under this one" link names. The link is typed into the
    address bar too, so anything that is not a possible parent of the zone is ignored."""
    field = forms.ModelChoiceField(queryset=possible_parents(zone), required=False)
    try:
        return field.clean(query.get("parent"))
    except forms.ValidationError:
        return None


class OrganizationForm(forms.ModelForm):
    parent = forms.ModelChoiceField(
        label="上级组织",
        queryset=Organization.objects.none(),
        help_text="只有党工委、党委、党总支可以有下级组织。",
    )

    class Meta:
        model = Organization
        fields = [
            "name",
            "short_name",
            "code",
            "kind",
            "sector",
            "parent",
            "member_count",
            "founded_on",
            "is_active",
            "is_demo_point",
            "term_ends_on",
        ]
        widgets = {"founded_on": DateInput(), "term_ends_on": DateInput()}
        # The secretary changes on the organization's own 换届 page, which keeps who held
        # the office when.

    def __init__(self, *args, zone, **kwargs):
        super().__init__(*args, **kwargs)
        org = self.instance
        self.zone = zone
        self.fields["parent"].queryset = possible_parents(zone)
        self.fields["parent"].label_from_instance = lambda o: f"{o.code} {o.name}"
        self.fields["founded_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        if org.pk:
            if org.depth == 1:
                # The zone working committee is the root; it has no parent.
                del self.fields["parent"]
            elif self.initial.get("parent") is None:
                self.initial["parent"] = org.parent()
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        taken = Organization.objects.in_zone(self.zone).filter(code=code)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("该组织编码已被本区其他组织使用，请换一个。")
        return code

    def clean(self):
        cleaned = super().clean()
        parent, kind, org = cleaned.get("parent"), cleaned.get("kind"), self.instance
        if parent and org.pk and parent.path.startswith(org.path):
            self.add_error(
                "parent",
                "不能把组织放到它自己或它的下级组织之下（会形成循环）。",
            )
        if kind in BRANCH_KINDS and org.pk and org.numchild:
            self.add_error(
                "kind",
                f"该组织下还有 {org.numchild} 个下级组织，不能改为{Kind(kind).label}。",
            )
        if kind == Kind.WORKING_COMMITTEE and (not org.pk or org.depth != 1):
            self.add_error("kind", "党工委每个开发区只有一个，是组织树的根。")
        return cleaned


class CoveredUnitForm(forms.ModelForm):
    class Meta:
        model = CoveredUnit
        fields = ["name", "kind", "credit_code", "employee_count"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css

    def clean_credit_code(self):
        return self.cleaned_data["credit_code"].strip().upper()


class BaseCoveredUnitFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        # The database refuses a code already saved; two new rows sharing one are only caught
        # here, before the save would fail halfway.
        first_row: dict[str, int] = {}
        for number, form in enumerate(self.forms, start=1):
            code = form.cleaned_data.get("credit_code")
            if not code or self._should_delete_form(form):
                continue
            if code in first_row and not form.non_field_errors():
                form.add_error(
                    "credit_code", f"与第 {first_row[code]} 行单位的统一社会信用代码重复。"
                )
            first_row.setdefault(code, number)


CoveredUnitFormSet = inlineformset_factory(
    Organization,
    CoveredUnit,
    form=CoveredUnitForm,
    formset=BaseCoveredUnitFormSet,
    extra=2,
    can_delete=True,
    max_num=500,
    validate_max=True,
)


class TierChangeForm(forms.ModelForm):
    class Meta:
        model = TierAssignment
        fields = ["year", "tier", "reason"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"reason": "必填：说明调整依据，例如“年度定级后复核调整”。"}
        error_messages = {"reason": {"required": "调整分类必须填写原因。"}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        self.fields["year"].widget = forms.NumberInput(attrs={"min": 2000, "max": this_year + 1})
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_year(self):
        year = self.cleaned_data["year"]
        this_year = timezone.localdate().year
        if year > this_year + 1:
            raise forms.ValidationError(f"只能设置到 {this_year + 1} 年度。")
        return year


class QuickSelect(forms.Select):
    """A select whose options are joined in Python. A province has hundreds of committees, and
    Django renders every option of a select through a template of its own."""

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        chosen = "" if value is None else str(value)
        options = "".join(
            f'<option value="{escape(option)}"{" selected" if str(option) == chosen else ""}>'
            f"{escape(label)}</option>"
            for option, label in self.choices
        )
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")


class OrganizationFilterForm(forms.Form):
    ACTIVE_CHOICES = [("1", "在用"), ("0", "停用"), ("all", "全部")]

    q = forms.CharField(label="搜索", required=False, max_length=100)
    sector = forms.ChoiceField(
        label="类型", required=False, choices=[("", "全部类型"), *Sector.choices]
    )
    tier = forms.ChoiceField(
        label="分类", required=False, choices=[("", "全部分类"), *Tier.choices]
    )
    committee = forms.ModelChoiceField(
        label="所属党委",
        required=False,
        queryset=Organization.objects.none(),
        empty_label="全部党委",
        widget=QuickSelect,
    )
    active = forms.ChoiceField(label="状态", required=False, choices=ACTIVE_CHOICES)
    term = forms.ChoiceField(
        label="届满",
        required=False,
        choices=[("", "全部"), ("due", f"{TERM_NOTICE_MONTHS} 个月内届满（含已届满）")],
    )
    year = forms.IntegerField(label="年度", required=False, min_value=2000, max_value=2100)

    def __init__(self, *args, committees, only=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if only is not None and name not in only:
                del self.fields[name]
        self.fields["committee"].queryset = committees
        self.fields["committee"].label_from_instance = lambda o: o.short_name or o.name
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{css} {css}-sm"
        if "year" in self.fields:
            self.fields["year"].widget.attrs["placeholder"] = str(timezone.localdate().year)

    def values(self):
        """The valid filters; an invalid one is dropped (and shown as an error on the form)."""
        data: dict[str, Any] = {"q": "", "sector": "", "tier": "", "committee": None, "term": ""}
        data.update(active="1", year=timezone.localdate().year)
        if self.is_bound:
            self.is_valid()
        for name, value in getattr(self, "cleaned_data", {}).items():
            if value not in (None, ""):
                data[name] = value
        return data

    def narrow(self, organizations):
        """Apply every valid filter except the tier (which needs the year's annotation)."""
        f = self.values()
        organizations = organizations.search(f["q"])
        if f["sector"]:
            organizations = organizations.filter(sector=f["sector"])
        if f["committee"]:
            organizations = organizations.in_subtree(f["committee"])
        if f["term"] == "due":
            organizations = organizations.term_ending(timezone.localdate())
        if "active" in self.fields and f["active"] != "all":
            organizations = organizations.filter(is_active=f["active"] == "1")
        return organizations

    def by_tier(self, organizations, year):
        """Filter by the tier of `year` when asked. The tier is a subquery per row, so it is
        only computed when filtering by it; pages annotate it for their own rows."""
        tier = self.values()["tier"]
        return organizations.with_tier(year).filter(tier=tier) if tier else organizations


class ZoneForm(forms.Form):
    """A new zone: its name and code, its working committee (the root of its tree), and the
    administrator who builds the rest."""

    name = forms.CharField(
        label="开发区/县区名称", max_length=40, help_text="印在通报和评级表上，如“六安开发区”。"
    )
    code = forms.CharField(
        label="开发区编码",
        max_length=20,
        validators=[code_validator],
        help_text="也是党工委的组织编码，如 KFQ。",
    )
    region = forms.ModelChoiceField(
        label="所属市/省",
        queryset=Region.objects.all(),
        required=False,
        empty_label="（不属于任何市/省）",
    )
    root_name = forms.CharField(label="党工委全称", max_length=100)
    root_short_name = forms.CharField(label="党工委简称", max_length=40)
    root_members = forms.IntegerField(
        label="党工委党员人数", min_value=MIN_MEMBERS, max_value=MAX_MEMBERS
    )
    root_founded_on = forms.DateField(label="党工委成立日期", widget=DateInput())
    admin_username = forms.CharField(label="首位管理员用户名", max_length=150)
    admin_name = forms.CharField(label="首位管理员姓名", max_length=30)
    admin_password = forms.CharField(
        label="首位管理员初始密码",
        widget=forms.PasswordInput(render_value=False),
        help_text="请当面或电话告知本人，登录后由本人修改。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["root_founded_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Zone.objects.filter(name=name).exists():
            raise forms.ValidationError("已有同名的开发区/县区。")
        return name

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        if Zone.objects.filter(code=code).exists():
            raise forms.ValidationError("该开发区编码已被使用，请换一个。")
        return code

    def clean_root_founded_on(self):
        day = self.cleaned_data["root_founded_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("成立日期不能晚于今天。")
        if day < PARTY_FOUNDED:
            raise forms.ValidationError("成立日期不能早于 1921 年 7 月 1 日。")
        return day

    def clean_admin_username(self):
        username = self.cleaned_data["admin_username"].strip()
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError("该用户名已被使用，请换一个。")
        return username

    def clean(self):
        cleaned = super().clean()
        password, username = cleaned.get("admin_password"), cleaned.get("admin_username")
        if password and username:
            try:
                validate_password(password, User(username=username, role=Role.ADMIN))
            except forms.ValidationError as error:
                self.add_error("admin_password", error)
        return cleaned


class ZoneMoveForm(forms.Form):
    parent = forms.ModelChoiceField(
        label="转入后的上级组织",
        queryset=Organization.objects.none(),
        help_text="另一开发区的党工委、党委或党总支。",
    )
    reason = forms.CharField(
        label="转移原因", max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = (
            Organization.objects.exclude(zone=organization.zone_id)
            .filter(kind__in=PARENT_KINDS)
            .select_related("zone")
            .order_by("zone__code", "path")
        )
        self.fields["parent"].label_from_instance = lambda o: f"{o.zone.name} · {o.code} {o.name}"
        self.fields["reason"].error_messages["required"] = "跨区转移必须填写原因。"
        self.helper = FormHelper()
        self.helper.form_tag = False


class AccountFilterForm(forms.Form):
    STATES = [
        ("", "全部状态"),
        ("active", "在用"),
        ("inactive", "停用"),
        ("locked", "已锁定"),
        ("must_change", "未改初始密码"),
    ]

    q = forms.CharField(label="姓名、用户名或手机号", required=False, max_length=100)
    role = forms.ChoiceField(label="角色", required=False)
    state = forms.ChoiceField(label="状态", required=False, choices=STATES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        roles = [(r.value, r.label) for r in Role if r.value in ZONE_ROLES]
        self.fields["role"].choices = [("", "全部角色"), *roles]
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{css} {css}-sm"
        self.fields["q"].widget.attrs["placeholder"] = "输入姓名、用户名或手机号"

    def values(self):
        """The valid filters; an invalid one is dropped."""
        data = {"q": "", "role": "", "state": ""}
        if self.is_bound and self.is_valid():
            data.update({k: v for k, v in self.cleaned_data.items() if v})
        return data


class AccountForm(forms.ModelForm):
    """An account of the office's zone: a new one (a secretary's for an organization without
    one, named by the mobile number; anyone else's by a username the office chooses), or an
    existing one's name, phone, role and committee. Passwords are never typed here: the
    system issues one-time passwords."""

    name = forms.CharField(label="姓名", max_length=150)
    organization = forms.ModelChoiceField(
        label="所任书记的党组织",
        queryset=Organization.objects.none(),
        required=False,
        help_text="仅书记账号：尚无书记的党组织。已有书记的，请在该组织页面“更换书记（换届）”。",
    )

    class Meta:
        model = User
        fields = ["role", "username", "phone", "committee", "zone", "region"]
        help_texts = {
            "username": "书记账号不填：用户名就是手机号。其他账号用字母、数字，如 zhangsan。",
            "phone": "书记账号必填（即登录用户名）；其他账号可不填。",
            "zone": "仅管理员账号：所管理的开发区/县区。",
            "region": "仅市/省级查看账号：可查看该市/省下全部开发区。",
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        from .access import manageable_roles

        account = self.instance
        if account.pk is None:
            account.zone = actor.zone
        else:
            self.initial["name"] = account.display_name
        zone = account.zone
        if actor.zone_id:
            # A zone's office: accounts of its own zone.
            del self.fields["zone"], self.fields["region"]
        else:
            # The platform: zones' administrators, city and province viewers, itself.
            self.fields.pop("organization")
            self.fields.pop("committee")
        roles = manageable_roles(actor)
        if account.pk is not None:
            self.fields.pop("organization", None)
            if account.role == Role.SECRETARY or account.pk == actor.pk:
                # A secretary stays one (their organization's link is 换届's); nobody changes
                # their own role.
                del self.fields["role"]
            else:
                roles = tuple(r for r in roles if r != Role.SECRETARY)
            if account.role == Role.SECRETARY:
                del self.fields["username"]
            if "role" not in self.fields and account.role != Role.COMMITTEE:
                self.fields.pop("committee", None)
        if "organization" in self.fields:
            free = Organization.objects.in_zone(zone).filter(
                depth__gt=1, is_active=True, secretary__isnull=True
            )
            self.fields["organization"].queryset = free.order_by("path")
            self.fields["organization"].label_from_instance = lambda o: f"{o.code} {o.name}"
        if "role" in self.fields:
            self.fields["role"].choices = [(r.value, r.label) for r in Role if r.value in roles]
        if "username" in self.fields:
            self.fields["username"].required = False
        if "committee" in self.fields:
            committee = self.fields["committee"]
            committee.queryset = Organization.objects.in_zone(zone).committees()
            committee.label_from_instance = lambda o: o.name
            committee.help_text = "仅党委查看账号：可查看该党委及其下属组织。"
        self.helper = FormHelper()
        self.helper.form_tag = False

    def chosen_role(self):
        return self.cleaned_data.get("role") or self.instance.role

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean(self):
        cleaned = super().clean() or {}
        role, phone = self.chosen_role(), cleaned.get("phone")
        if role == Role.SECRETARY:
            if not phone and "phone" not in self.errors:
                self.add_error("phone", "书记账号必须填写手机号：它就是登录用户名。")
            if "organization" in self.fields and not cleaned.get("organization"):
                self.add_error("organization", "请选择此人任书记的党组织。")
            if phone:
                taken = User.objects.filter(username=phone).exclude(pk=self.instance.pk)
                if taken.exists():
                    self.add_error("phone", f"用户名 {phone} 已被另一个账号使用。")
                cleaned["username"] = phone
                self.instance.username = phone
        elif "username" in self.fields:
            username = (cleaned.get("username") or "").strip()
            if not username and "username" not in self.errors:
                self.add_error("username", "请填写用户名。")
            cleaned["username"] = username
        if role != Role.COMMITTEE:
            cleaned["committee"] = None
        if "zone" in self.fields and role not in ZONE_ROLES:
            cleaned["zone"] = None
        if "region" in self.fields and role != Role.REGION:
            cleaned["region"] = None
        if "name" in cleaned:
            self.instance.last_name, self.instance.first_name = cleaned["name"], ""
        return cleaned


class SecretaryChangeForm(forms.Form):
    """换届: the organization's new secretary, by name and mobile number (their username)."""

    name = forms.CharField(label="新任书记姓名", max_length=150)
    phone = forms.CharField(
        label="新任书记手机号",
        max_length=11,
        validators=[phone_validator],
        help_text="即登录用户名。已有账号的（如改任本组织），沿用其账号和密码。",
    )
    term_ends_on = forms.DateField(
        label="本届届满日期", required=False, widget=DateInput(), help_text="可不填。"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_name(self):
        return self.cleaned_data["name"].strip()
