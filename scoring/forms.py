from decimal import Decimal

from crispy_forms.helper import FormHelper
from django import forms
from django.db.models import F, Value
from django.db.models.functions import Mod, Round
from django.utils import timezone

from orgs.forms import DateInput
from orgs.models import Tier
from partybuild import attachments

from .models import Grade, Item, Level, PointEntry, RuleSet, Status
from .services.rulesets import RULE_SET_FIELDS
from .sheets.month_template import MAX_UPLOAD_BYTES


class RuleSetCreateForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    copy_from = forms.ModelChoiceField(
        label="来源",
        queryset=RuleSet.objects.none(),
        required=False,
        empty_label="按默认细则（7大项17小项）创建",
        help_text="选择一个已有细则即复制其全部小项和阈值：本区往年的，或其他开发区的。",
    )

    def __init__(self, *args, zone, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        # This zone's years first, then the other zones' (every zone's rule set is public:
        # the rules, not the points).
        choices = RuleSet.objects.select_related("zone").order_by("-year", "zone__code")
        self.fields["copy_from"].queryset = choices
        self.fields["copy_from"].label_from_instance = lambda r: (
            f"复制本区 {r.year} 年度细则"
            if r.zone_id == zone.pk
            else f"复制{r.zone.name} {r.year} 年度细则"
        )
        # The first year from this one on that has no rule set yet.
        taken = set(RuleSet.objects.filter(zone=zone).values_list("year", flat=True))
        year = timezone.localdate().year
        while year in taken:
            year += 1
        self.fields["year"].initial = year
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_year(self):
        year = self.cleaned_data["year"]
        if RuleSet.objects.filter(zone=self.zone, year=year).exists():
            raise forms.ValidationError(f"本区 {year} 年度的评分细则已存在，请直接修改。")
        return year


def entries_off_step(rule_set, step):
    """How many points recorded against `rule_set` are not a multiple of `step`. Counted in the
    points' smallest decimal unit as whole numbers: SQLite's MOD works on floats, where 0.3 is
    not a multiple of 0.1."""
    scale = 10 ** PointEntry._meta.get_field("points").decimal_places
    return (
        PointEntry.objects.recorded()
        .filter(item__rule_set=rule_set)
        .annotate(rest=Mod(Round(F("points") * scale), Value(int(step * scale))))
        .exclude(rest=0)
        .count()
    )


class RuleSetForm(forms.ModelForm):
    """The year's numbers. Bounds that depend on the item caps are checked against the caps
    posted with them in `items`."""

    class Meta:
        model = RuleSet
        fields = ["name", *RULE_SET_FIELDS]

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_point_step(self):
        step = self.cleaned_data["point_step"]
        if step <= 0:
            raise forms.ValidationError("最小分值单位必须大于 0。")
        year = self.instance.year
        if step != self.instance.point_step and (off := entries_off_step(self.instance, step)):
            raise forms.ValidationError(
                f"{year} 年度已有 {off} 条积分记录不是 {step:.1f} 的整数倍，最小分值单位不能改为 {step:.1f}。"
            )
        return step

    def clean_red_threshold(self):
        red = self.cleaned_data["red_threshold"]
        if red <= 0:
            raise forms.ValidationError(
                "红色预警线必须大于 0：没有任何记录的季度（0 分）应为红色预警。"
            )
        return red

    def clean(self):
        cleaned = super().clean()
        quarter_most = self.items.quarter_most()
        if quarter_most is not None:
            self._at_most(
                "warning_threshold",
                quarter_most,
                f"季度预警线不能高于一个季度最多可得的 {quarter_most:.1f} 分（常规和加分小项季度上限之和）。",
            )
            self._at_most(
                "first_grade_min",
                4 * quarter_most,
                f"一档最低分不能高于全年最多可得的 {4 * quarter_most:.1f} 分（4 个季度 × 常规和加分小项季度上限之和 {quarter_most:.1f} 分）。",
            )
        step = cleaned.get("point_step")
        if step and quarter_most is not None:
            # A cap off the step could never be reached exactly.
            for form in self.items.initial_forms:
                if form.cleaned_data["quarterly_cap"] % step:
                    form.add_error(
                        "quarterly_cap", f"季度上限须为最小分值单位 {step:.1f} 的整数倍。"
                    )
        # Equal lines would leave a level (or a grade) that no total can reach.
        for name, upper, message in [
            (
                "orange_threshold",
                "warning_threshold",
                "二级（橙色）预警线应低于季度预警线（{:.1f} 分）。",
            ),
            (
                "red_threshold",
                "orange_threshold",
                "三级（红色）预警线应低于二级（橙色）预警线（{:.1f} 分）。",
            ),
            ("second_grade_min", "first_grade_min", "二档最低分应低于一档最低分（{:.1f} 分）。"),
        ]:
            self._ordered(name, upper, message, strictly=True)
        # A better grade never earns less; equal amounts are a policy a year may choose.
        for name, upper, message in [
            ("subsidy_second", "subsidy_first", "二档奖补金额不能高于一档（{:.2f} 元）。"),
            ("subsidy_third", "subsidy_second", "三档奖补金额不能高于二档（{:.2f} 元）。"),
            ("coefficient_second", "coefficient_first", "二档绩效系数不能高于一档（{:.2f}）。"),
            ("coefficient_third", "coefficient_second", "三档绩效系数不能高于二档（{:.2f}）。"),
        ]:
            self._ordered(name, upper, message, strictly=False)
        return cleaned

    def _at_most(self, name, bound, message):
        if name in self.cleaned_data and self.cleaned_data[name] > bound:
            self.add_error(name, message)

    def _ordered(self, name, upper, message, *, strictly):
        """Refuse `name` above the field `upper` (or equal to it, `strictly`); a field that
        is already refused is not compared."""
        if name in self.cleaned_data and upper in self.cleaned_data:
            value, bound = self.cleaned_data[name], self.cleaned_data[upper]
            if value > bound or (strictly and value == bound):
                self.add_error(name, message.format(bound))


class ItemForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = ["name", "standard", "quarterly_cap", "veto"]
        widgets = {"standard": forms.Textarea(attrs={"rows": 2})}

    def clean(self):
        cleaned = super().clean()
        item = self.instance
        if cleaned.get("veto") and not item.is_deduction:
            self.add_error("veto", "只有扣分项可以设为一票否决。")
        cap = cleaned.get("quarterly_cap")
        if cap is not None and item.pk and cap < item.quarterly_cap:
            peak = item.peak_quarter_usage()
            if peak > cap:
                self.add_error(
                    "quarterly_cap",
                    f"已有组织某季度在该项记录了 {peak:.1f} 分，上限不能低于此数。",
                )
        return cleaned


class BaseItemFormSet(forms.BaseModelFormSet):
    def quarter_most(self):
        """The most points a quarter can total under the caps as posted (deductions only
        lower it), or None while the items are invalid."""
        if not self.is_valid():
            return None
        return sum(
            (
                form.cleaned_data["quarterly_cap"]
                for form in self.initial_forms
                if not form.instance.is_deduction
            ),
            Decimal(0),
        )


# The catalogue is fixed when the year is created; editing changes items, never adds them.
ItemFormSet = forms.modelformset_factory(
    Item, form=ItemForm, formset=BaseItemFormSet, extra=0, edit_only=True
)


class ChangeReasonForm(forms.Form):
    reason = forms.CharField(
        label="修改原因",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="本年度已有积分记录时必须填写，会记入修改记录。",
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Excel 文件（.xlsx）",
        help_text="请使用本页下载的模板填写；文件不超过 5 MB。",
        error_messages={"required": "请选择要上传的文件。", "empty": "上传的文件是空的。"},
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"文件超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB，请只保留模板内容后再上传。"
            )
        return file


class LevelFilterForm(forms.Form):
    level = forms.TypedChoiceField(
        label="预警等级",
        required=False,
        coerce=int,
        choices=[("", "全部等级"), *Level.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def chosen(self):
        return self.cleaned_data.get("level") if self.is_bound and self.is_valid() else None


class PublishForm(forms.Form):
    number = forms.IntegerField(
        label="文号（第几号）",
        min_value=1,
        max_value=999,
        help_text="按发布日期所在年度编号，如〔2026〕第1号。",
    )
    published_on = forms.DateField(label="发布日期", widget=DateInput())
    title = forms.CharField(label="标题", max_length=120)
    text = forms.CharField(label="正文", widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_published_on(self):
        day = self.cleaned_data["published_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("发布日期不能晚于今天。")
        return day


class SubmitForm(forms.Form):
    report = forms.CharField(
        label="整改措施和成效",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=10000,
        error_messages={"required": "请填写整改措施和成效。"},
        help_text="写明查找的问题、采取的措施和取得的成效。",
    )
    attachment = forms.FileField(
        label="附件（可选）",
        required=False,
        help_text="PDF、JPG、PNG 或 DOCX，不超过 10 MB。",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.docx"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_attachment(self):
        file = self.cleaned_data.get("attachment")
        if not file:
            return None
        return attachments.accept(file).as_file()


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "销号"), ("return", "退回")])
    comment = forms.CharField(
        label="审核意见", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "return" and not cleaned.get("comment", "").strip():
            self.add_error("comment", "退回整改必须填写意见。")
        return cleaned


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="状态",
        required=False,
        # The office opens this list to work through what is pending, not the closed past.
        choices=[
            ("", "未销号（待办）"),
            *Status.choices,
            ("overdue", "逾期未交"),
            ("all", "全部状态"),
        ],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def apply(self, tasks, today):
        status = self.cleaned_data.get("status") if self.is_bound and self.is_valid() else ""
        if status == "overdue":
            return tasks.overdue(today)
        if status == "all":
            return tasks
        return tasks.filter(status=status) if status else tasks.pending()


class GradeFilterForm(forms.Form):
    grade = forms.TypedChoiceField(
        label="等次",
        required=False,
        coerce=int,
        choices=[("", "全部等次"), *Grade.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def chosen(self):
        return self.cleaned_data.get("grade") if self.is_bound and self.is_valid() else None


class OverrideForm(forms.Form):
    tier = forms.ChoiceField(label="下年类别", choices=Tier.choices)
    reason = forms.CharField(label="调整原因", required=False, max_length=500)


class ReasonForm(forms.Form):
    """A written reason, required, for the steps that undo a closing."""

    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, label, help_text="", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.label, field.help_text = label, help_text
        field.error_messages["required"] = f"必须填写{label}。"
        self.helper = FormHelper()
        self.helper.form_tag = False
