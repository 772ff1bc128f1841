"""评分细则: every role reads it; administrators create and edit it."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from orgs import access
from orgs.forms import posted

from ..forms import ChangeReasonForm, ItemFormSet, RuleSetCreateForm, RuleSetForm
from ..models import Item, PointEntry, RuleSet
from ..services.rulesets import create_rule_set, update_rule_set
from .points import get_rule_set


@access.zone_required
def rules_index(request):
    rule_sets = RuleSet.objects.filter(zone=request.zone)
    rule_set = rule_sets.filter(year=timezone.localdate().year).first() or rule_sets.first()
    if rule_set is None:
        return render(request, "scoring/rules_empty.html")
    return redirect("scoring:rule_set", rule_set.year)


@access.zone_required
def rule_set_detail(request, year):
    rule_set = get_rule_set(request.zone, year)
    history = (
        RuleSet.history.filter(id=rule_set.pk)
        .select_related("history_user")
        .order_by("-history_date")
    )
    item_history = (
        Item.history.filter(rule_set_id=rule_set.pk, history_type="~")
        .select_related("history_user")
        .order_by("-history_date")
    )
    return render(
        request,
        "scoring/rule_set.html",
        {
            "rule_set": rule_set,
            "years": RuleSet.objects.filter(zone=request.zone).values_list("year", flat=True),
            "history": history,
            "item_history": item_history,
        },
    )


@access.admin_required
def rule_set_create(request):
    form = RuleSetCreateForm(posted(request), zone=request.zone)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        rule_set = create_rule_set(
            zone=request.zone, year=data["year"], user=request.user, copy_from=data["copy_from"]
        )
        messages.success(request, f"已创建 {rule_set.name}。")
        return redirect("scoring:rule_set", rule_set.year)
    return render(request, "scoring/rule_set_create.html", {"form": form})


@access.admin_required
def rule_set_edit(request, year):
    rule_set = get_rule_set(request.zone, year)
    has_points = PointEntry.objects.filter(year=year, item__rule_set=rule_set).exists()
    data = posted(request)
    items = ItemFormSet(data, queryset=rule_set.items.all(), prefix="items")
    form = RuleSetForm(data, instance=rule_set, items=items)
    reason_form = ChangeReasonForm(data)
    if request.method == "POST" and form.is_valid() and items.is_valid() and reason_form.is_valid():
        reason = reason_form.cleaned_data["reason"].strip()
        if has_points and not reason:
            reason_form.add_error("reason", f"{year} 年度已有积分记录，修改细则必须填写原因。")
        else:
            update_rule_set(form=form, items=items, reason=reason, user=request.user)
            messages.success(request, "评分细则已保存，修改已记入修改记录。")
            return redirect("scoring:rule_set", year)
    return render(
        request,
        "scoring/rule_set_edit.html",
        {
            "rule_set": rule_set,
            "form": form,
            "items": items,
            "reason_form": reason_form,
            "has_points": has_points,
        },
    )
