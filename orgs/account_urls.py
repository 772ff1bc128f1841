"""The office's account pages, under /users/ (the organization's 换届 page is with the
organization's own, in orgs.urls)."""

from django.urls import path

from . import account_views

app_name = "accounts"

urlpatterns = [
    path("", account_views.account_list, name="list"),
    path("new/", account_views.account_create, name="create"),
    path("<int:pk>/", account_views.account_edit, name="detail"),
    path("<int:pk>/reset/", account_views.account_reset, name="reset"),
    path("<int:pk>/unlock/", account_views.account_unlock, name="unlock"),
    path("<int:pk>/active/", account_views.account_active, name="active"),
    path("slips.xlsx", account_views.slips_download, name="slips_download"),
]
