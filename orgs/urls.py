from django.urls import path

from . import account_views, views

app_name = "orgs"

urlpatterns = [
    path("", views.org_list, name="list"),
    path("new/", views.org_create, name="create"),
    path("<int:pk>/", views.org_detail, name="detail"),
    path("<int:pk>/edit/", views.org_edit, name="edit"),
    path("<int:pk>/tier/", views.org_tier, name="tier"),
    path("<int:pk>/move/", views.org_move, name="move"),
    path("zones/", views.zones, name="zones"),
    path("zones/new/", views.zone_create, name="zone_create"),
    path("zones/<int:pk>/view/", views.zone_choose, name="zone_choose"),
    path("<int:pk>/secretary/", account_views.org_secretary, name="secretary"),
    path("users/", account_views.account_list, name="accounts"),
    path("users/new/", account_views.account_create, name="account_create"),
    path("users/<int:pk>/", account_views.account_edit, name="account"),
    path("users/<int:pk>/reset/", account_views.account_reset, name="account_reset"),
    path("users/<int:pk>/unlock/", account_views.account_unlock, name="account_unlock"),
    path("users/<int:pk>/active/", account_views.account_active, name="account_active"),
    path("users/slips.xlsx", account_views.slips_download, name="slips_download"),
]
