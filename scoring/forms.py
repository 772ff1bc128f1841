from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone

from orgs.forms import DateInput
from orgs.models import Tier

from .attachments import sniff_attachment
from .imports import MAX_UPLOAD_BYTES
from .models import Grade, Item, ItemKind, Level, RuleSet, Status
from .services import RULE_SET_FIELDS


class RuleSetCreateForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    copy_from = forms.ModelChoiceField(
        label="来源",
        queryset=RuleSet.objects.all(),
        required=False,
        empty_label="按默认细则（7大项17小项）创建",
        help_text="选择一个已有年度即复制其全部小项和阈值。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["copy_from"].label_from_instance = lambda r: f"复制 {r.year} 年度细则"
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_year(self):
        year = self.cleaned_data["year"]
        if RuleSet.objects.filter(year=year).exists():
            raise forms.ValidationError(f"{year} 年度的评分细则已存在，请直接修改。")
        return year


class RuleSetForm(forms.ModelForm):
    class Meta:
        model = RuleSet
        fields = ["name", *RULE_SET_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        red, orange, warning = (
            cleaned.get(k) for k in ("red_threshold", "orange_threshold", "warning_threshold")
        )
        if None not in (red, orange, warning) and not red <= orange <= warning:
            raise forms.ValidationError("预警线应满足：红色 ≤ 橙色 ≤ 季度预警线。")
        if red is not None and red <= 0:
            self.add_error(
                "red_threshold", "红色预警线必须大于 0：没有任何记录的季度（0 分）应为红色预警。"
            )
        second, first = cleaned.get("second_grade_min"), cleaned.get("first_grade_min")
        if None not in (second, first) and second > first:
            raise forms.ValidationError("二档最低分不能高于一档最低分。")
        step = cleaned.get("point_step")
        if step is not None and step <= 0:
            self.add_error("point_step", "最小分值单位必须大于 0。")
        return cleaned


class ItemForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = ["name", "standard", "quarterly_cap", "veto"]
        widgets = {"standard": forms.Textarea(attrs={"rows": 2})}

    def clean(self):
        cleaned = super().clean()
        item = self.instance
        if cleaned.get("veto") and item.kind != ItemKind.DEDUCTION:
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


ItemFormSet = forms.modelformset_factory(Item, form=ItemForm, extra=0)


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
    number = forms.IntegerField(label="文号（第几号）", min_value=1, max_value=999)
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
        file.content_type = sniff_attachment(file)
        return file


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
        choices=[("", "全部状态"), *Status.choices, ("overdue", "逾期未交")],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def apply(self, tasks, today):
        status = self.cleaned_data.get("status") if self.is_bound and self.is_valid() else ""
        if status == "overdue":
            return tasks.overdue(today)
        return tasks.filter(status=status) if status else tasks


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
