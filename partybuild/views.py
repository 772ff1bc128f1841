from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from guidance.views import instructor_home
from orgs import access
from orgs.models import Role

from .auth import ThrottledPasswordChangeForm


@login_required
def home(request):
    """Each role lands on its own home: a secretary on their organization's standing, city,
    province and platform accounts on the comparison of their zones, a zone's office and its
    committee viewers on the dashboard (a viewer's limited to their subtree), anyone else on
    the organization list."""
    user = request.user
    if user.role == Role.SECRETARY:
        org = access.visible_organizations(user).first()
        if org is None:
            return render(request, "orgs/no_organization.html")
        return redirect("scoring:status", org.pk)
    if user.reads_across_zones:
        return redirect("scoring:compare")
    if user.role == Role.INSTRUCTOR:
        return redirect(instructor_home(user))
    if access.is_reader(user):
        return redirect("dashboard:dashboard")
    return redirect("orgs:list")


class PasswordChange(auth_views.PasswordChangeView):
    form_class = ThrottledPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        # Read before the form clears it: a first password of one's own leads on to work.
        forced = self.request.user.must_change_password  # type: ignore[union-attr]
        response = super().form_valid(form)
        if forced:
            messages.success(self.request, "新密码已设置，请妥善保管。")
            return redirect("home")
        return response


password_change = PasswordChange.as_view()
