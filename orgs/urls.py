from django.urls import path

from . import account_views, registry_views, views

app_name = "orgs"

urlpatterns = [
    path("", views.org_list, name="list"),
    path("new/", views.org_create, name="create"),
    path("<int:pk>/", views.org_detail, name="detail"),
    path("<int:pk>/edit/", views.org_edit, name="edit"),
    path("<int:pk>/tier/", views.org_tier, name="tier"),
    path("<int:pk>/move/", views.org_move, name="move"),
    path("registry/", registry_views.upload, name="registry"),
    path("registry/preview/", registry_views.preview, name="registry_preview"),
    path("registry/template.xlsx", registry_views.template, name="registry_template"),
    path("registry/export.xlsx", registry_views.export, name="registry_export"),
    path("zones/", views.zones, name="zones"),
    path("zones/new/", views.zone_create, name="zone_create"),
    path("zones/<int:pk>/view/", views.zone_choose, name="zone_choose"),
    path("<int:pk>/secretary/", account_views.org_secretary, name="secretary"),
]
