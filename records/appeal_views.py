"""申诉 pages: the secretary appeals a published warning, the office answers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from orgs import access
from orgs.forms import posted
from scoring.models import Warning
from scoring.services.steps import Refused

from .appeals import answer_appeal, appeal_deadline, appeal_problem, file_appeal
from .forms import AnswerForm, AppealForm
from .models import Appeal, AppealState
from .views import serve

WARNINGS = Warning.objects.select_related("notice", "organization")
APPEALS = Appeal.objects.select_related("warning__notice", "warning__organization", "changed_by")
MISSING = "没有这条申诉，或您无权查看。"


@login_required
def appeal_new(request, wid):
    warning = access.get_in_scope(
        request.user, WARNINGS, wid, missing="没有这条预警，或您无权查看。"
    )
    access.require_secretary_of(
        request.user, warning.organization, "只有被预警组织的书记可以提出申诉。"
    )
    problem = appeal_problem(warning, timezone.localdate())
    if problem:
        messages.error(request, f"{problem}。")
        return redirect("scoring:status", warning.organization_id)
    form = AppealForm(posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            appeal = file_appeal(
                warning=warning,
                user=request.user,
                reason=form.cleaned_data["reason"],
                attachment=form.cleaned_data["evidence"],
            )
        except Refused as refused:
            form.add_error(None, f"{refused}。")
        else:
            messages.success(request, "申诉已提交，党建办处理后会通知您。")
            return redirect("records:appeal", appeal.pk)
    return render(
        request,
        "records/appeal_form.html",
        {"warning": warning, "form": form, "deadline": appeal_deadline(warning)},
    )


def _detail(request, appeal, form=None):
    if form is None and request.user.is_office and appeal.state == AppealState.OPEN:
        form = AnswerForm(quarter=appeal.warning.notice.quarter)
    return render(
        request,
        "records/appeal.html",
        {
            "appeal": appeal,
            "warning": appeal.warning,
            "form": form,
            "history": appeal.history.select_related("history_user").order_by(
                "history_date", "history_id"
            ),
        },
    )


@login_required
def appeal(request, pk):
    return _detail(request, access.get_in_scope(request.user, APPEALS, pk, missing=MISSING))


@require_POST
@login_required
def appeal_answer(request, pk):
    appeal = access.get_in_scope(request.user, APPEALS, pk, missing=MISSING)
    access.require_office(request.user, "只有党建办工作人员可以处理申诉。")
    form = AnswerForm(posted(request), quarter=appeal.warning.notice.quarter)
    if not form.is_valid():
        return _detail(request, appeal, form)
    accept = form.cleaned_data["decision"] == "accept"
    try:
        answer_appeal(
            appeal=appeal,
            user=request.user,
            accept=accept,
            answer=form.cleaned_data["answer"],
            month=form.cleaned_data["month"],
        )
    except Refused as refused:
        form.add_error(None, f"{refused}。")
        return _detail(request, appeal, form)
    if accept:
        notice = appeal.warning.notice
        messages.success(
            request,
            f"已采纳申诉，{notice.year}年{form.cleaned_data['month']}月已重新开放，"
            "请在积分录入中更正；已发布的通报保持不变。",
        )
    else:
        messages.success(request, "已答复：不予采纳。")
    return redirect("records:appeal", appeal.pk)


@access.reader_required
def appeal_list(request):
    state = request.GET.get("state", AppealState.OPEN)
    appeals = access.in_scope(request.user, APPEALS.filter(warning__notice__zone=request.zone))
    if state in AppealState.values:
        appeals = appeals.filter(state=state)
    page = Paginator(appeals, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "records/appeals.html",
        {"page": page, "state": state, "states": AppealState.choices, "query": f"state={state}"},
    )


@login_required
def appeal_attachment(request, pk):
    appeal = access.get_in_scope(request.user, APPEALS, pk, missing=MISSING)
    if not appeal.attachment:
        raise Http404("该申诉没有佐证材料。")
    return serve(
        appeal.attachment,
        appeal.attachment_name,
        appeal.attachment_type,
        inline=appeal.attachment_type.startswith("image/"),
    )
