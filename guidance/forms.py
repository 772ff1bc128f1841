import datetime
from typing import Any

from django import forms
from django.forms import modelformset_factory
from django.utils import timezone

from orgs.forms import DateInput
from orgs.models import CoveredUnit, Organization, Role, User

from . import rules
from .models import (
    Batch,
    Decision,
    Feedback,
    Group,
    Instructor,
    InstructorItem,
    InstructorRuleSet,
    ProblemState,
    Station,
    Visit,
)


def _field(form: forms.BaseForm, name: str) -> Any:
    """A bound form's field, to narrow its choices (typed as the base Field)."""
    return form.fields[name]


def week_from(query, today: datetime.date) -> datetime.date:
    """The Monday a page's `?week=` names (any day of it), or this week's; anything
    unreadable falls back to this week."""
    try:
        day = datetime.date.fromisoformat(query.get("week", ""))
    except ValueError:
        day = today
    return rules.monday_of(day)


class StationForm(forms.ModelForm):
    class Meta:
        model = Station
        fields = ["name", "head", "branch_name", "branch_secretary"]

    def __init__(self, *args, zone, **kwargs):
        super().__init__(*args, **kwargs)
        people = User.objects.filter(zone=zone, role__in=[Role.INSTRUCTOR, Role.STAFF, Role.ADMIN])
        for name in ("head", "branch_secretary"):
            _field(self, name).queryset = people.order_by("username")
            _field(self, name).label_from_instance = lambda u: (
                f"{u.display_name}（{u.get_role_display()}）"
            )


class BaseGroupFormSet(forms.BaseModelFormSet):
    def clean(self):
        super().clean()
        # The formset holds every group of the station, so a repeated name shows here.
        names = [f.cleaned_data.get("name") for f in self.forms if f.cleaned_data]
        repeated = {n for n in names if n and names.count(n) > 1}
        if repeated:
            raise forms.ValidationError("指导组名称重复：" + "、".join(sorted(repeated)))


GroupFormSet: Any = modelformset_factory(
    Group, formset=BaseGroupFormSet, fields=["name", "order", "leader"], extra=1
)
BatchFormSet: Any = modelformset_factory(
    Batch,
    fields=["name", "starts_on", "ends_on"],
    extra=1,
    widgets={"starts_on": DateInput(), "ends_on": DateInput()},
)


def station_formset(formset_class, station, data, **kwargs):
    formset = formset_class(data, queryset=formset_class.model.objects.filter(station=station))
    if formset_class is GroupFormSet:
        for form in formset.forms:
            _field(form, "leader").queryset = Instructor.objects.filter(station=station)
    return formset


class InstructorForm(forms.ModelForm):
    class Meta:
        model = Instructor
        fields = [
            "name",
            "origin",
            "employment",
            "group",
            "batch",
            "phone",
            "user",
            "organizations",
            "covered_units",
            "is_active",
        ]
        widgets = {
            "organizations": forms.SelectMultiple(attrs={"size": 8}),
            "covered_units": forms.SelectMultiple(attrs={"size": 8}),
        }

    def __init__(self, *args, station, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.station = station
        _field(self, "group").queryset = station.groups.all()
        _field(self, "batch").queryset = station.batches.all()
        _field(self, "user").queryset = User.objects.filter(
            zone=station.zone_id, role=Role.INSTRUCTOR
        ).order_by("username")
        _field(self, "organizations").queryset = (
            Organization.objects.in_zone(station.zone_id).scored().order_by("path")
        )
        _field(self, "covered_units").queryset = CoveredUnit.objects.filter(
            organization__zone=station.zone_id
        ).order_by("name")


class VisitForm(forms.ModelForm):
    class Meta:
        model = Visit
        fields = [
            "visited_on",
            "instructors",
            "organization",
            "covered_unit",
            "enterprise_name",
            "credit_code",
            "new_economy",
            "purpose",
            "notes",
            "founded",
            "mass_founded",
        ]
        widgets = {
            "visited_on": DateInput(),
            "instructors": forms.CheckboxSelectMultiple(),
            "purpose": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, station, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.station = station
        _field(self, "instructors").queryset = station.instructors.active()
        _field(self, "organization").queryset = (
            Organization.objects.in_zone(station.zone_id).scored().order_by("path")
        )
        _field(self, "covered_unit").queryset = CoveredUnit.objects.filter(
            organization__zone=station.zone_id
        ).order_by("name")
        self.fields["founded"].required = False

    def clean(self):
        data = super().clean() or {}
        if not (
            data.get("organization") or data.get("covered_unit") or data.get("enterprise_name")
        ):
            raise forms.ValidationError("请选择走访的党组织或覆盖单位，或填写尚未覆盖的企业名称。")
        unit, org = data.get("covered_unit"), data.get("organization")
        if unit and org and unit.organization_id != org.pk:
            self.add_error("covered_unit", "该覆盖单位不在所选党组织下。")
        if data.get("enterprise_name") and (org or unit):
            self.add_error("enterprise_name", "已选党组织或覆盖单位时，不填未覆盖企业。")
        if data.get("enterprise_name") and not data.get("credit_code"):
            self.add_error("credit_code", "未覆盖企业请填写统一社会信用代码。")
        if data.get("visited_on") and data["visited_on"] > timezone.localdate():
            self.add_error("visited_on", "走访日期不能晚于今天。")
        return data


class NewProblemForm(forms.Form):
    text = forms.CharField(
        label="问题或需求", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    owner = forms.ModelChoiceField(
        label="责任人", queryset=Instructor.objects.none(), required=False
    )

    def __init__(self, *args, station, **kwargs):
        super().__init__(*args, **kwargs)
        _field(self, "owner").queryset = station.instructors.active()

    def clean(self):
        data = super().clean() or {}
        if data.get("text", "").strip() and not data.get("owner"):
            self.add_error("owner", "请为问题指定责任人。")
        return data


ProblemFormSet = forms.formset_factory(NewProblemForm, extra=2, max_num=10)


class ProblemMoveForm(forms.Form):
    state = forms.ChoiceField(label="改为", choices=ProblemState.choices)
    on = forms.DateField(label="日期", widget=DateInput())
    note = forms.CharField(
        label="办理情况", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, problem, **kwargs):
        super().__init__(*args, **kwargs)
        _field(self, "state").choices = [(s.value, s.label) for s in problem.next_states]
        self.fields["on"].initial = timezone.localdate()


class TaskListForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    month = forms.IntegerField(label="月份", min_value=1, max_value=12)
    tasks = forms.CharField(
        label="任务（每行一项）",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class FeedbackForm(forms.Form):
    feedback = forms.ChoiceField(label="反馈", choices=[("", "请选择"), *Feedback.choices])
    note = forms.CharField(label="说明", required=False, max_length=500)


class MeetingForm(forms.Form):
    held_on = forms.DateField(label="会议日期", widget=DateInput())
    attendees = forms.ModelMultipleChoiceField(
        label="参会指导员",
        queryset=Instructor.objects.none(),
        widget=forms.CheckboxSelectMultiple(),
        required=False,
    )
    guests = forms.CharField(label="党委办公室参会人员", required=False, max_length=200)
    this_week = forms.CharField(
        label="本周重点任务", max_length=3000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, station, **kwargs):
        super().__init__(*args, **kwargs)
        _field(self, "attendees").queryset = station.instructors.active()
        self.groups = list(station.groups.all())
        for group in self.groups:
            self.fields[f"report_{group.pk}"] = forms.CharField(
                label=f"{group.name} 上周工作",
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def reports(self):
        return {g: self.cleaned_data[f"report_{g.pk}"] for g in self.groups}


class DecisionForm(forms.ModelForm):
    class Meta:
        model = Decision
        fields = ["decided_on", "matter", "decision"]
        widgets = {"decided_on": DateInput(), "decision": forms.Textarea(attrs={"rows": 2})}


class RosterForm(forms.Form):
    """A week's roster: for each working day the A group and two B groups."""

    def __init__(self, *args, station, monday, initial_days, **kwargs):
        super().__init__(*args, **kwargs)
        groups = station.groups.all()
        self.days = rules.working_days(monday)
        for n, day in enumerate(self.days):
            a, b = initial_days[n] if n < len(initial_days) else (None, [None, None])
            self.fields[f"a_{n}"] = forms.ModelChoiceField(
                label=f"{day:%m-%d} A岗", queryset=groups, initial=a
            )
            for k in (0, 1):
                self.fields[f"b_{n}_{k}"] = forms.ModelChoiceField(
                    label=f"{day:%m-%d} B岗{k + 1}",
                    queryset=groups,
                    initial=b[k] if len(b) > k else None,
                )

    def rows(self):
        return [
            (day, self[f"a_{n}"], self[f"b_{n}_0"], self[f"b_{n}_1"])
            for n, day in enumerate(self.days)
        ]

    def plan(self):
        data = self.cleaned_data
        return [
            (data[f"a_{n}"], [data[f"b_{n}_0"], data[f"b_{n}_1"]]) for n in range(len(self.days))
        ]


class RuleSetForm(forms.ModelForm):
    class Meta:
        model = InstructorRuleSet
        fields = ["excellent", "good", "passing"]


ItemFormSet: Any = modelformset_factory(
    InstructorItem,
    fields=["code", "name", "unit", "points", "yearly_cap", "source"],
    extra=1,
)


class WeekForm(forms.Form):
    summary = forms.CharField(
        label="本周工作", required=False, max_length=3000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, items, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            line = lines.get(item.pk)
            self.fields[f"count_{item.pk}"] = forms.IntegerField(
                label=f"{item.code} {item.name}（{item.points} 分/{item.unit}）",
                min_value=0,
                max_value=100,
                required=False,
                initial=line.count if line else 0,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label="说明", required=False, max_length=200, initial=line.note if line else ""
            )

    def rows(self):
        return [(item, self[f"count_{item.pk}"], self[f"note_{item.pk}"]) for item in self.items]

    def counts(self):
        data = self.cleaned_data
        return {
            item: (data[f"count_{item.pk}"] or 0, data[f"note_{item.pk}"]) for item in self.items
        }


class PeriodForm(forms.Form):
    start = forms.DateField(label="起", widget=DateInput(), required=False)
    end = forms.DateField(label="止", widget=DateInput(), required=False)

    def period(self, default_start, default_end):
        if not self.is_valid():
            return default_start, default_end
        start = self.cleaned_data["start"] or default_start
        end = self.cleaned_data["end"] or default_end
        return (start, end) if start <= end else (end, start)
