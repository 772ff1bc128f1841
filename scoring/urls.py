from django.urls import path

from .views import compare, grading, imports, points, rectifications, rulesets, status, warnings

app_name = "scoring"

urlpatterns = [
    path("compare/", compare.compare, name="compare"),
    path("rules/", rulesets.rules_index, name="rules"),
    path("rules/new/", rulesets.rule_set_create, name="rule_set_create"),
    path("rules/<int:year>/", rulesets.rule_set_detail, name="rule_set"),
    path("rules/<int:year>/edit/", rulesets.rule_set_edit, name="rule_set_edit"),
    path("points/", points.grid_current, name="grid_current"),
    path("points/save/", points.save_cells, name="save"),
    path("points/<int:year>/<int:month>/", points.grid, name="grid"),
    path("points/<int:year>/<int:month>/close/", points.close, name="close"),
    path("points/<int:year>/<int:month>/reopen/", points.reopen, name="reopen"),
    path("points/<int:year>/<int:month>/template/", imports.template, name="template"),
    path("points/<int:year>/<int:month>/import/", imports.upload, name="import"),
    path("points/import/<uuid:batch_id>/", imports.preview, name="import_preview"),
    path("sheet/<int:pk>/<int:year>/", points.record_sheet, name="sheet"),
    path("sheet/<int:pk>/<int:year>/export/", points.record_sheet_export, name="sheet_export"),
    path("status/<int:pk>/", status.status, name="status"),
    path("warnings/", warnings.warnings_index, name="warnings_index"),
    path("warnings/<int:year>/<int:quarter>/", warnings.warnings_page, name="warnings"),
    path("warnings/<int:year>/<int:quarter>/publish/", warnings.publish, name="publish"),
    path("warnings/<int:year>/<int:quarter>/notice/", warnings.notice_print, name="notice"),
    path("warnings/<int:year>/<int:quarter>/export/", warnings.notice_export, name="notice_export"),
    path("grading/", grading.grading_index, name="grading_index"),
    path("grading/<int:year>/", grading.grading, name="grading"),
    path("grading/<int:year>/finalize/", grading.finalize, name="finalize"),
    path("grading/<int:year>/reopen/", grading.reopen, name="reopen_year"),
    path("grading/<int:year>/export/", grading.grades_export, name="grades_export"),
    path("grading/<int:year>/tiers/", grading.tiers, name="tiers"),
    path("grading/<int:year>/tiers/confirm/", grading.tiers_confirm, name="tiers_confirm"),
    path("grading/<int:year>/tiers/<int:pk>/", grading.tier_override, name="tier_override"),
    path("rectifications/", rectifications.rectification_list, name="rectifications"),
    path("rectifications/<int:pk>/", rectifications.rectification_detail, name="rectification"),
    path(
        "rectifications/<int:pk>/submit/",
        rectifications.rectification_submit,
        name="rectification_submit",
    ),
    path(
        "rectifications/<int:pk>/review/",
        rectifications.rectification_review,
        name="rectification_review",
    ),
    path(
        "rectifications/<int:pk>/attachment/",
        rectifications.rectification_attachment,
        name="rectification_attachment",
    ),
]
