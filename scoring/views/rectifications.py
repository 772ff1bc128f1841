"""整改 (以查促改): the secretary reports, the office accepts (销号) or returns it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from orgs import access
from orgs.forms import OrganizationFilterForm, posted

from ..forms import ReviewForm, StatusFilterForm, SubmitForm
from ..models import Rectification, Status
from ..services.rectifications import review_rectification, submit_rectification
from ..services.steps import Refused

# Each view reads its task through orgs.access, with what its page shows.
TASKS = Rectification.objects.select_related(
    "warning__notice", "warning__organization", "changed_by"
)
MISSING = "没有这个整改任务，或您无权查看。"


@access.reader_required
def rectification_list(request):
    today = timezone.localdate()
    scope = access.visible_organizations(request.user).in_zone(request.zone).scored()
    org_filter = OrganizationFilterForm(
        request.GET or None, committees=scope.committees(), only=("q", "sector", "committee")
    )
    status_filter = StatusFilterForm(request.GET or None)
    tasks = Rectification.objects.filter(
        warning__organization__in=org_filter.narrow(scope).values("pk")
    )
    counts = dict(tasks.order_by().values_list("status").annotate(n=Count("pk")))
    overdue_count = tasks.overdue(today).count()
    tasks = status_filter.apply(tasks, today)
    page = Paginator(
        tasks.select_related("warning__notice", "warning__organization").order_by("deadline", "pk"),
        50,
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "scoring/rectifications.html",
        {
            "page": page,
            "org_filter": org_filter,
            "status_filter": status_filter,
            "counts": [(s, counts.get(s.value, 0)) for s in Status],
            "overdue_count": overdue_count,
            "today": today,
            "query": query.urlencode(),
        },
    )


def _detail(request, task, submit_form=None):
    user = request.user
    if (
        submit_form is None
        and access.is_secretary_of(user, task.warning.organization)
        and task.status in (Status.OPEN, Status.RETURNED)
    ):
        submit_form = SubmitForm(initial={"report": task.report})
    return render(
        request,
        "scoring/rectification.html",
        {
            "task": task,
            "warning": task.warning,
            "history": task.history.select_related("history_user").order_by(
                "history_date", "history_id"
            ),
            "today": timezone.localdate(),
            "submit_form": submit_form,
            "review_form": ReviewForm()
            if user.is_office and task.status == Status.SUBMITTED
            else None,
        },
    )


@login_required
def rectification_detail(request, pk):
    return _detail(request, access.get_in_scope(request.user, TASKS, pk, missing=MISSING))


@require_POST
@login_required
def rectification_submit(request, pk):
    task = access.get_in_scope(request.user, TASKS, pk, missing=MISSING)
    access.require_secretary_of(
        request.user, task.warning.organization, "只有该组织的书记可以提交整改报告。"
    )
    form = SubmitForm(posted(request), request.FILES)
    if form.is_valid():
        try:
            submit_rectification(
                rectification=task,
                user=request.user,
                report=form.cleaned_data["report"],
                attachment=form.cleaned_data["attachment"],
            )
        except Refused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, "整改报告已提交，等待党建办审核。")
        return redirect("scoring:rectification", task.pk)
    return _detail(request, task, submit_form=form)


@require_POST
@login_required
def rectification_review(request, pk):
    task = access.get_in_scope(request.user, TASKS, pk, missing=MISSING)
    access.require_office(request.user, "只有党建办工作人员可以审核整改。")
    form = ReviewForm(posted(request))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("scoring:rectification", task.pk)
    accept = form.cleaned_data["decision"] == "accept"
    try:
        review_rectification(
            rectification=task,
            user=request.user,
            accept=accept,
            comment=form.cleaned_data["comment"],
        )
    except Refused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "已销号。" if accept else "已退回，书记修改后可重新提交。")
    return redirect("scoring:rectification", task.pk)


@login_required
def rectification_attachment(request, pk):
    task = access.get_in_scope(request.user, TASKS, pk, missing=MISSING)
    if not task.attachment:
        raise Http404("该整改没有附件。")
    response = FileResponse(
        task.attachment.open("rb"),
        as_attachment=True,
        filename=task.attachment_name,
        content_type=task.attachment_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
