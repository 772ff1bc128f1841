"""The registry from the web: download the template or the zone's export, upload a filled
file, preview what it changes, confirm, and print the new secretaries' slips. The office's
job (党建办 staff and administrators): a zone goes live by its own office, without a
developer."""

import base64
from io import BytesIO

from django import forms
from django.contrib import messages
from django.db import IntegrityError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from partybuild.xlsx import FileRefused

from . import access, registry, registry_sheet
from .forms import posted
from .services import Refused
from .slips import render_slips, slip_for

# The upload waits in the session (kept in the database, so any app instance can confirm it)
# between the preview and the confirmation; only a fingerprint of the plan rides along.
SESSION_KEY = "registry_upload"


class UploadForm(forms.Form):
    file = forms.FileField(
        label="党组织名册（.xlsx）",
        help_text=f"请使用本页下载的模板或导出文件填写；文件不超过 {registry.MAX_UPLOAD_BYTES // 1024 // 1024} MB。",
        error_messages={"required": "请选择要上传的文件。", "empty": "上传的文件是空的。"},
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > registry.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"文件超过 {registry.MAX_UPLOAD_BYTES // 1024 // 1024} MB，请只保留名册内容后再上传。"
            )
        return file


def _year():
    return timezone.localdate().year


def _download(data, filename):
    return FileResponse(BytesIO(data), as_attachment=True, filename=filename)


@access.office_required
def template(request):
    data = registry_sheet.template(request.zone, year=_year())
    return _download(data, f"{request.zone.name}党组织名册模板.xlsx")


@access.office_required
def export(request):
    stamp = timezone.localdate().strftime("%Y%m%d")
    data = registry_sheet.export(request.zone, year=_year())
    return _download(data, f"{request.zone.name}党组织名册{stamp}.xlsx")


def _refused(request, form, problems):
    shown = problems[: registry.MAX_PROBLEMS_SHOWN]
    return render(
        request,
        "orgs/registry.html",
        {
            "form": form,
            "problems": shown,
            "problem_count": len(problems),
            "unlisted": len(problems) - len(shown),
        },
    )


@access.office_required
def upload(request):
    form = UploadForm(posted(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        data = file.read()
        try:
            plan = registry.prepare(data, file.name, zone=request.zone, year=_year())
        except FileRefused as refused:
            form.add_error("file", str(refused))
        except registry.Refused as refused:
            return _refused(request, form, refused.problems)
        else:
            request.session[SESSION_KEY] = {
                "zone": request.zone.pk,
                "filename": file.name[:255],
                "data": base64.b64encode(data).decode(),
                "fingerprint": plan.fingerprint(),
            }
            return redirect("orgs:registry_preview")
    return render(request, "orgs/registry.html", {"form": form})


@access.office_required
def preview(request):
    upload = request.session.get(SESSION_KEY)
    if not upload or upload["zone"] != request.zone.pk:
        messages.info(request, "没有等待确认的名册导入，请先上传文件。")
        return redirect("orgs:registry")
    if request.method == "POST" and "cancel" in request.POST:
        del request.session[SESSION_KEY]
        messages.info(request, "已取消导入，未作任何修改。")
        return redirect("orgs:registry")
    filename = upload["filename"]
    try:
        plan = registry.prepare(
            base64.b64decode(upload["data"]), filename, zone=request.zone, year=_year()
        )
    except registry.Refused as refused:
        # The zone changed since the upload so that the file no longer fits it.
        del request.session[SESSION_KEY]
        return _refused(request, UploadForm(), refused.problems)
    if request.method == "POST":
        if plan.fingerprint() != upload["fingerprint"]:
            upload["fingerprint"] = plan.fingerprint()
            request.session[SESSION_KEY] = upload
            messages.warning(
                request, "预览之后名册有了变化，下面是按最新数据重新计算的结果，请再次核对后确认。"
            )
        else:
            ticked = {int(pk) for pk in request.POST.getlist("deactivate") if pk.isdigit()}
            try:
                applied = registry.apply(
                    plan=plan, by=request.user, source=filename, deactivate=ticked
                )
            except (Refused, IntegrityError) as error:
                message = str(error) if isinstance(error, Refused) else "其他人同时修改了名册"
                messages.error(request, f"{message}，未作任何修改，请重新上传。")
                del request.session[SESSION_KEY]
                return redirect("orgs:registry")
            del request.session[SESSION_KEY]
            messages.success(
                request,
                f"已导入 {filename}：新建 {applied.created} 个、修改 {applied.changed} 个、"
                f"调整上级 {applied.moved} 个、停用 {applied.deactivated} 个组织，"
                f"新开书记账号 {len(applied.opened)} 个。",
            )
            if not applied.opened:
                return redirect("orgs:list")
            slips = [slip_for(o.user, o.password, o.organization) for o in applied.opened]
            return render_slips(
                request, slips, title="书记账号开通通知单", back=reverse("orgs:list")
            )
    shown = registry.MAX_PROBLEMS_SHOWN
    return render(
        request,
        "orgs/registry_preview.html",
        {
            "plan": plan,
            "filename": filename,
            "created": plan.created[:shown],
            "changed": plan.changed[:shown],
            "moved": plan.moved[:shown],
            "shown": shown,
        },
    )
