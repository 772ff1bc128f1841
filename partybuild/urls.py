from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .auth import LoginForm

admin.site.site_header = "基层党组织积分制管理 · 系统管理"
admin.site.site_title = "系统管理"
admin.site.index_title = "用户与账号"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.password_change, name="password_change"),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("orgs/", include("orgs.urls")),
    path("users/", include("orgs.account_urls")),
    path("", include("dashboard.urls")),
    path("", include("scoring.urls")),
    path("", include("guidance.urls")),
    path("records/", include("records.urls")),  # records (issue 14)
    path("admin/", admin.site.urls),
]
