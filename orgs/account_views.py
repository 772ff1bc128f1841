"""The office's account pages: the people who sign in, their passwords and slips."""

from io import BytesIO

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from . import access
from .slips import SlipsExpired, slips_workbook, unsign


@require_POST
@access.office_required
def slips_download(request):
    """The slips a page just showed, as Excel: read back from that page's signed field."""
    try:
        slips = unsign(request.POST.get("slips", ""), by=request.user)
    except SlipsExpired as expired:
        messages.error(request, str(expired))
        return redirect("home")
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    response = FileResponse(
        BytesIO(slips_workbook(slips)), as_attachment=True, filename=f"账号开通通知单{stamp}.xlsx"
    )
    add_never_cache_headers(response)
    return response
