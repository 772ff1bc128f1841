"""Sign-in helpers beyond Django's own: a user name too long for any account is refused before
it is looked up, and a wrong old password on the password change form counts as a failed
sign-in, so that someone at an unattended, signed-in machine cannot try passwords there
without limit; changing the password ends a one-time password's hold on every page
(partybuild.middleware.PasswordChangeRequiredMiddleware)."""

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.signals import user_login_failed
from django.core.validators import MaxLengthValidator

LOCKED = "尝试次数过多，修改密码和登录已暂时锁定 15 分钟；如需提前解锁，请联系党建办。"


class LoginForm(AuthenticationForm):
    """Django's sign-in form, with the user name's length checked: Django only sets it on the
    input, and a longer name reached the lockout's records, whose 255 characters PostgreSQL
    enforces with an error (a 500 found by the input probe)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        longest = self.username_field.max_length or 254
        self.fields["username"].validators.append(MaxLengthValidator(longest))


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """Django's form, with the old password checked under the login lockout (django-axes):
    each wrong one is recorded as a failed sign-in of the account from this address."""

    def __init__(self, user: Any, *args: Any, request: Any, **kwargs: Any):
        super().__init__(user, *args, **kwargs)
        self.request = request
        if user.must_change_password:
            self.fields["old_password"].label = "初始密码"
            self.fields["old_password"].help_text = "开通通知单上的初始密码。"

    def clean_old_password(self) -> str:
        credentials = {"username": self.user.get_username()}
        if AxesProxyHandler.is_locked(self.request, credentials):
            raise forms.ValidationError(LOCKED, code="locked")
        try:
            return super().clean_old_password()
        except forms.ValidationError:
            user_login_failed.send(sender=type(self), credentials=credentials, request=self.request)
            raise

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        old = cleaned.get("old_password")
        if old and old == cleaned.get("new_password2"):
            self.add_error("new_password2", "新密码不能与原密码相同。")
        return cleaned

    def save(self, commit: bool = True) -> Any:
        self.user.must_change_password = False
        return super().save(commit)
