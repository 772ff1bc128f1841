"""The secretary's record form and the office's review sheet."""

from django import forms

from orgs.forms import DateInput
from partybuild import attachments
from scoring import rules
from scoring.models import Item

from .models import State
from .services import MAX_ATTACHMENTS, Decision, Draft


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern), each checked on its own."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


def points_or_none(text, label):
    try:
        return rules.parse_points(text)
    except rules.PointsError as error:
        raise forms.ValidationError(f"{label}：{error}") from None


class RecordForm(forms.Form):
    date = forms.DateField(
        label="活动日期", widget=DateInput(), error_messages={"required": "请填写活动日期。"}
    )
    item = forms.ModelChoiceField(
        label="工作小项",
        queryset=Item.objects.none(),
        empty_label="请选择小项",
        error_messages={
            "required": "请选择工作小项。",
            "invalid_choice": "所选小项不在本开发区的评分细则中。",
        },
    )
    title = forms.CharField(
        label="活动名称",
        max_length=100,
        error_messages={"required": "请填写活动名称。"},
        widget=forms.TextInput(attrs={"placeholder": "如：5月主题党日"}),
    )
    participants = forms.CharField(
        label="参加人员",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "如：全体党员 12 人"}),
    )
    content = forms.CharField(
        label="活动内容",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "请填写活动内容。"},
    )
    claimed = forms.CharField(
        label="自评分（可选）",
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text="您认为这项工作应得的分数，供党建办参考。",
    )
    evidence = MultipleFileField(
        label="佐证材料（可多选）",
        required=False,
        help_text=f"照片（JPG/PNG）、PDF 或 DOCX，每个不超过 10 MB，每条记录最多 {MAX_ATTACHMENTS} 个。",
        widget=MultipleFileInput(
            attrs={"accept": "image/jpeg,image/png,.jpg,.jpeg,.png,.pdf,.docx"}
        ),
    )
    remove = forms.MultipleChoiceField(
        label="删除已上传的材料", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, items, existing=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("date", "title", "participants", "content", "claimed"):
            self.fields[name].widget.attrs.setdefault("class", "form-control")
        self.fields["item"].widget.attrs["class"] = "form-select"
        self.fields["item"].queryset = items
        self.fields["item"].label_from_instance = lambda item: (
            f"{item.rule_set.year}年 · {item.code} {item.name}（季度上限 {item.quarterly_cap:g} 分）"
        )
        self.fields["remove"].choices = [(str(a.pk), a.name) for a in existing]
        if not existing:
            del self.fields["remove"]

    def clean_claimed(self):
        return points_or_none(self.cleaned_data.get("claimed"), "自评分")

    def clean_evidence(self):
        return [attachments.accept(file) for file in self.cleaned_data.get("evidence") or []]

    def draft(self):
        data = self.cleaned_data
        return Draft(
            item=data["item"],
            date=data["date"],
            title=data["title"].strip(),
            participants=data["participants"].strip(),
            content=data["content"].strip(),
            claimed=data["claimed"],
        )

    def removed(self):
        return [int(pk) for pk in self.cleaned_data.get("remove") or []]


DECISIONS = [("", "暂不处理"), ("award", "采纳记分"), ("return", "退回")]


class ReviewForm(forms.Form):
    """One row per record (decision, points, comment) and the version of each item's cell the
    reviewer saw, so that a change made meanwhile in the grid is not overwritten."""

    def __init__(self, *args, records, versions, **kwargs):
        super().__init__(*args, **kwargs)
        self.records = [r for r in records if r.state == State.SUBMITTED]
        for record in self.records:
            self.fields[f"decision-{record.pk}"] = forms.ChoiceField(
                label="决定", choices=DECISIONS, required=False
            )
            self.fields[f"points-{record.pk}"] = forms.CharField(
                label="分值",
                required=False,
                max_length=10,
                initial=rules.format_points(record.claimed_points)
                if record.claimed_points is not None
                else "",
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5}),
            )
            self.fields[f"comment-{record.pk}"] = forms.CharField(
                label="意见",
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        for item_id, version in versions.items():
            stale = "页面数据已过期（积分版本号无效），请刷新页面后重试。"
            self.fields[f"version-{item_id}"] = forms.IntegerField(
                initial=version,
                min_value=0,
                max_value=2**31 - 1,
                widget=forms.HiddenInput,
                error_messages={"invalid": stale, "min_value": stale, "max_value": stale},
            )

    def rows(self):
        return [
            (
                record,
                self[f"decision-{record.pk}"],
                self[f"points-{record.pk}"],
                self[f"comment-{record.pk}"],
            )
            for record in self.records
        ]

    def clean(self):
        cleaned = super().clean()
        for record in self.records:
            decision = cleaned.get(f"decision-{record.pk}")
            if decision == "award":
                points = points_or_none(cleaned.get(f"points-{record.pk}"), record.label)
                if points is None:
                    self.add_error(f"points-{record.pk}", f"{record.label}：采纳时请填写分值。")
                cleaned[f"points-{record.pk}"] = points
            elif decision == "return" and not (cleaned.get(f"comment-{record.pk}") or "").strip():
                self.add_error(f"comment-{record.pk}", f"{record.label}：退回时必须填写意见。")
        return cleaned

    def decisions(self):
        data = self.cleaned_data
        return [
            Decision(
                record_id=record.pk,
                award=data[f"decision-{record.pk}"] == "award",
                points=data.get(f"points-{record.pk}")
                if data[f"decision-{record.pk}"] == "award"
                else None,
                comment=data.get(f"comment-{record.pk}") or "",
            )
            for record in self.records
            if data.get(f"decision-{record.pk}")
        ]

    def versions(self):
        return {
            int(name.removeprefix("version-")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("version-") and value is not None
        }


class QueueFilterForm(forms.Form):
    item = forms.ChoiceField(
        label="小项",
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    state = forms.ChoiceField(
        label="状态",
        required=False,
        # The office opens the queue to work through what waits for it.
        choices=[
            ("", "待审核"),
            (State.AWARDED.value, State.AWARDED.label),
            (State.RETURNED.value, State.RETURNED.label),
            ("late", "逾期提交"),
            ("all", "全部（不含草稿）"),
        ],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", "全部小项"), *((str(i.pk), i.label) for i in items)]

    def apply(self, records):
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("item"):
            records = records.filter(item_id=int(data["item"]))
        state = data.get("state", "")
        if state == "late":
            return records.filter(late=True)
        if state == "all":
            return records
        return records.filter(state=state or State.SUBMITTED)


class AppealForm(forms.Form):
    reason = forms.CharField(
        label="申诉理由",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6, "class": "form-control"}),
        error_messages={"required": "请填写申诉理由。"},
        help_text="写明哪个月哪一项的积分有误、应为多少，以及依据。",
    )
    evidence = forms.FileField(
        label="佐证材料（可选）",
        required=False,
        help_text="照片（JPG/PNG）、PDF 或 DOCX，不超过 10 MB。",
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,.pdf,.docx", "class": "form-control"}
        ),
    )

    def clean_evidence(self):
        file = self.cleaned_data.get("evidence")
        return attachments.accept(file) if file else None


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(
        label="处理结果",
        choices=[("accept", "采纳（重新开放月份更正积分）"), ("reject", "不予采纳")],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择处理结果。"},
    )
    month = forms.TypedChoiceField(label="需要更正的月份", coerce=int, required=False)
    answer = forms.CharField(
        label="处理意见",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        error_messages={"required": "请填写处理意见（不予采纳时写明理由）。"},
    )

    def __init__(self, *args, quarter, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [("", "—")] + [
            (m, f"{m}月") for m in rules.months_of(quarter)
        ]
        self.fields["month"].widget.attrs["class"] = "form-select"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "accept" and not cleaned.get("month"):
            self.add_error("month", "采纳申诉时请选择需要更正的月份。")
        return cleaned
