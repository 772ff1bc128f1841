"""Excel round-trip of a month: download the template, upload it, preview, confirm."""

import datetime
from io import BytesIO

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from orgs import access
from orgs.forms import OrganizationFilterForm, posted
from orgs.models import Organization
from partybuild.xlsx import FileRefused

from ..forms import UploadForm
from ..models import ImportBatch
from ..services.points import PointsRejected, record_points
from ..sheets import month_template
from .points import check_month, get_rule_set

STALE_AFTER = datetime.timedelta(days=1)


@access.office_required
def template(request, year, month):
    check_month(month)
    rule_set = get_rule_set(request.zone, year)
    scope = Organization.objects.in_zone(request.zone).scored()
    form = OrganizationFilterForm(
        request.GET or None,
        committees=scope.committees(),
        only=("q", "sector", "tier", "committee"),
    )
    organizations = form.by_tier(form.narrow(scope), year)
    data = month_template.write(rule_set, year, month, organizations)
    return FileResponse(
        BytesIO(data), as_attachment=True, filename=f"{year}年{month}月积分录入模板.xlsx"
    )


def _parse(data, filename, *, year, month, rule_set):
    zone = rule_set.zone
    parsed = month_template.parse(
        data, filename, zone=zone, year=year, month=month, items=rule_set.ordered_items()
    )
    return parsed, month_template.validate(parsed, zone=zone, year=year)


def _refused(request, context, problems):
    """The upload page listing why the file was refused: the first problems, and how many
    more there are."""
    shown = problems[: month_template.MAX_PROBLEMS_SHOWN]
    context.setdefault("form", UploadForm())
    context.update(problems=shown, problem_count=len(problems), unlisted=len(problems) - len(shown))
    return render(request, "scoring/import_upload.html", context)


@access.office_required
def upload(request, year, month):
    check_month(month)
    rule_set = get_rule_set(request.zone, year)
    form = UploadForm(posted(request), request.FILES if request.method == "POST" else None)
    context = {"form": form, "year": year, "month": month}
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        data = file.read()
        try:
            parsed, problems = _parse(data, file.name, year=year, month=month, rule_set=rule_set)
        except FileRefused as refused:
            form.add_error("file", str(refused))
            return render(request, "scoring/import_upload.html", context)
        if problems:
            return _refused(request, context, problems)
        _, change_list = month_template.changes(parsed, year=year, month=month)
        ImportBatch.objects.filter(created_at__lt=timezone.now() - STALE_AFTER).delete()
        batch = ImportBatch.objects.create(
            user=request.user,
            year=year,
            month=month,
            filename=file.name[:255],
            content=data,
            fingerprint=month_template.fingerprint(change_list),
        )
        return redirect("scoring:import_preview", batch.pk)
    return render(request, "scoring/import_upload.html", context)


@access.office_required
def preview(request, batch_id):
    batch = ImportBatch.objects.filter(pk=batch_id, user=request.user).first()
    if batch is None:
        raise Http404("没有这个导入，或它已完成或已取消。")
    year, month = batch.year, batch.month
    if request.method == "POST" and "cancel" in request.POST:
        batch.delete()
        messages.info(request, "已取消导入，未作任何修改。")
        return redirect("scoring:grid", year, month)
    rule_set = get_rule_set(request.zone, year)
    context = {"batch": batch, "year": year, "month": month}
    try:
        parsed, problems = _parse(
            bytes(batch.content), batch.filename, year=year, month=month, rule_set=rule_set
        )
    except FileRefused as refused:
        problems, parsed = [month_template.Problem("", None, None, "", "", str(refused))], None
    if problems:
        return _refused(request, context, problems)
    changed, change_list = month_template.changes(parsed, year=year, month=month)
    current = month_template.fingerprint(change_list)
    if request.method == "POST":
        if current != batch.fingerprint:
            batch.fingerprint = current
            batch.save(update_fields=["fingerprint"])
            messages.warning(
                request,
                "预览之后有人修改了本月积分，下面是按最新数据重新计算的变化，请再次核对后确认。",
            )
        else:
            try:
                with transaction.atomic():
                    record_points(
                        zone=request.zone,
                        year=year,
                        cells=changed,
                        user=request.user,
                        reason=f"Excel导入：{batch.filename}",
                    )
                    batch.delete()
            except PointsRejected as rejected:
                problems = [
                    month_template.Problem("", None, None, "", "", e.message)
                    for e in rejected.errors
                ]
                return _refused(request, context, problems)
            messages.success(request, f"已从 {batch.filename} 导入 {len(changed)} 处修改。")
            return redirect("scoring:grid", year, month)
    context["changes"] = change_list
    return render(request, "scoring/import_preview.html", context)
