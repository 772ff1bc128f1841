"""The office's account pages: the people who sign in, their passwords and slips, and the
change of an organization's secretary (换届). Who may do what is `access.manageable_roles`."""

from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Exists, OuterRef, Value, When
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from . import access, accounts
from .forms import AccountFilterForm, AccountForm, SecretaryChangeForm, posted
from .models import ZONE_ROLES, Organization, Role
from .services import Refused
from .slips import SlipsExpired, render_slips, slip_for, slips_workbook, unsign

PAGE_SIZE = 50
ROLE_ORDER = Case(*(When(role=r, then=Value(i)) for i, r in enumerate(ZONE_ROLES)))


@access.accounts_required
def account_list(request):
    form = AccountFilterForm(request.GET or None)
    f = form.values()
    locked = accounts.locked_attempts().filter(username=OuterRef("username"))
    qs = (
        access.visible_accounts(request.user)
        .search(f["q"])
        .with_organization()
        .select_related("committee", "zone", "region")
        .annotate(locked=Exists(locked))
    )
    if f["role"]:
        qs = qs.filter(role=f["role"])
    state = f["state"]
    if state in ("active", "inactive"):
        qs = qs.filter(is_active=state == "active")
    elif state == "locked":
        qs = qs.filter(locked=True)
    elif state == "must_change":
        qs = qs.filter(must_change_password=True, is_active=True)
    qs = qs.order_by(ROLE_ORDER, "username")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    zone_accounts = access.visible_accounts(request.user)
    return render(
        request,
        "orgs/accounts.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "manageable": access.manageable_roles(request.user),
            "locked_count": zone_accounts.filter(
                username__in=accounts.locked_attempts().values("username")
            ).count(),
        },
    )


@access.accounts_required
def account_create(request):
    form = AccountForm(posted(request), actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["role"] == Role.SECRETARY:
            organization = data["organization"]
            try:
                user, password = accounts.open_secretary_account(
                    organization=organization,
                    name=data["name"],
                    phone=data["phone"],
                    by=request.user,
                )
            except Refused as refused:
                form.add_error("phone", str(refused))
                return render(request, "orgs/account_form.html", {"form": form})
        else:
            organization = None
            user, password = accounts.create_account(
                zone=data.get("zone") or request.user.zone,
                region=data.get("region"),
                role=data["role"],
                name=data["name"],
                username=data["username"],
                phone=data["phone"],
                committee=data.get("committee"),
                by=request.user,
            )
        assert password is not None  # the form refuses a phone that has an account
        return render_slips(
            request,
            [slip_for(user, password, organization)],
            title=f"已开通 {user.display_name} 的账号",
            back=reverse("accounts:detail", args=[user.pk]),
        )
    return render(request, "orgs/account_form.html", {"form": form})


@access.accounts_required
def account_edit(request, pk):
    account = access.get_account(request.user, pk)
    form = AccountForm(posted(request), instance=account, actor=request.user)
    if request.method == "POST" and form.is_valid():
        accounts.save_account(form=form, by=request.user)
        messages.success(request, f"已保存：{account.display_name}（用户名 {account.username}）")
        return redirect("accounts:detail", account.pk)
    return render(
        request,
        "orgs/account.html",
        {
            "form": form,
            "account": account,
            "locked": accounts.is_locked(account),
            "organization": Organization.objects.filter(secretary=account).first(),
            "terms": account.secretary_terms.select_related("organization", "changed_by"),
            "events": account.account_events.select_related("by")[:50],
        },
    )


def _refuse_own(request, account, what):
    """Whether `account` is the user's own, with a message saying so: an office must not
    lock itself out (deactivate, reset to an unknown password)."""
    if account.pk != request.user.pk:
        return False
    messages.error(request, f"不能{what}自己的账号；修改自己的密码请用右上角“修改密码”。")
    return True


@require_POST
@access.accounts_required
def account_reset(request, pk):
    account = access.get_account(request.user, pk)
    if _refuse_own(request, account, "重置") or not account.is_active:
        if not account.is_active:
            messages.error(request, "账号已停用，请先启用再重置密码。")
        return redirect("accounts:detail", account.pk)
    password = accounts.reset_password(user=account, by=request.user)
    return render_slips(
        request,
        [slip_for(account, password)],
        title=f"已重置 {account.display_name} 的密码",
        back=reverse("accounts:detail", args=[account.pk]),
    )


@require_POST
@access.accounts_required
def account_unlock(request, pk):
    account = access.get_account(request.user, pk)
    if accounts.unlock(user=account, by=request.user):
        messages.success(request, f"已解除 {account.display_name} 的登录锁定，可立即重新登录。")
    else:
        messages.info(request, f"{account.display_name} 的账号没有被锁定。")
    return redirect("accounts:detail", account.pk)


@require_POST
@access.accounts_required
def account_active(request, pk):
    account = access.get_account(request.user, pk)
    active = request.POST.get("active") == "1"
    if active == account.is_active or (not active and _refuse_own(request, account, "停用")):
        return redirect("accounts:detail", account.pk)
    left = accounts.set_active(user=account, active=active, by=request.user)
    if active:
        messages.success(request, f"已启用 {account.display_name} 的账号。")
    else:
        note = f"；{'、'.join(o.name for o in left)}现无书记，请办理换届" if left else ""
        messages.success(request, f"已停用 {account.display_name} 的账号{note}。")
    return redirect("accounts:detail", account.pk)


@login_required
def org_secretary(request, pk):
    """换届: name the organization's new secretary by name and mobile number."""
    org = access.get_organization(request.user, pk, write=True)
    form = SecretaryChangeForm(posted(request), initial={"term_ends_on": org.term_ends_on})
    previous = org.secretary
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, password = accounts.change_secretary(
                organization=org,
                name=data["name"],
                phone=data["phone"],
                term_ends_on=data["term_ends_on"],
                by=request.user,
            )
        except Refused as refused:
            form.add_error("phone", str(refused))
        else:
            if previous is not None and previous != user:
                messages.info(
                    request,
                    f"原书记 {previous.display_name} 已不能查看本组织；其账号如不再使用，请停用。",
                )
            if password is None:
                messages.success(request, f"{user.display_name} 已任 {org.name} 书记，沿用原账号。")
                return redirect("orgs:detail", org.pk)
            return render_slips(
                request,
                [slip_for(user, password, org)],
                title=f"已开通 {org.name} 新任书记的账号",
                back=reverse("orgs:detail", args=[org.pk]),
            )
    return render(
        request,
        "orgs/secretary_form.html",
        {"form": form, "org": org},
    )


@require_POST
@access.accounts_required
def slips_download(request):
    """The slips a page just showed, as Excel: read back from that page's signed field."""
    try:
        slips = unsign(request.POST.get("slips", ""), by=request.user)
    except SlipsExpired as expired:
        messages.error(request, str(expired))
        return redirect("accounts:list")
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    response = FileResponse(
        BytesIO(slips_workbook(slips)), as_attachment=True, filename=f"账号开通通知单{stamp}.xlsx"
    )
    add_never_cache_headers(response)
    return response
