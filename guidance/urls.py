from django.urls import path

from . import views

app_name = "guidance"

urlpatterns = [
    path("station/", views.overview, name="overview"),
    path("station/settings/", views.station_edit, name="station_edit"),
    path("station/me/", views.mine, name="mine"),
    path("station/instructors/", views.instructors, name="instructors"),
    path("station/instructors/new/", views.instructor_create, name="instructor_create"),
    path("station/instructors/<int:pk>/", views.instructor_detail, name="instructor"),
    path("station/instructors/<int:pk>/edit/", views.instructor_edit, name="instructor_edit"),
    path("station/groups/", views.groups, name="groups"),
    path("station/batches/", views.batches, name="batches"),
    path("station/visits/", views.visits, name="visits"),
    path("station/visits/new/", views.visit_create, name="visit_create"),
    path("station/visits/export/", views.visits_export, name="visits_export"),
    path("station/visits/<int:pk>/", views.visit_detail, name="visit"),
    path("station/problems/", views.problems, name="problems"),
    path("station/problems/export/", views.problems_export, name="problems_export"),
    path("station/problems/<int:pk>/move/", views.problem_move, name="problem_move"),
    path("station/tasks/", views.tasks, name="tasks"),
    path("station/tasks/new/", views.task_list_create, name="task_list_create"),
    path("station/tasks/<int:year>/<int:month>/", views.task_list, name="task_list"),
    path(
        "station/tasks/<int:year>/<int:month>/close/", views.task_list_close, name="task_list_close"
    ),
    path("station/tasks/claim/<int:pk>/", views.task_claim, name="task_claim"),
    path("station/meetings/", views.meetings, name="meetings"),
    path("station/meetings/new/", views.meeting_create, name="meeting_create"),
    path("station/decisions/", views.decisions, name="decisions"),
    path("station/roster/", views.roster, name="roster"),
    path("station/roster/plan/", views.roster_plan, name="roster_plan"),
    path("station/roster/attendance/", views.attendance, name="attendance"),
    path("station/rules/", views.rule_sets, name="rule_sets"),
    path("station/rules/<int:year>/", views.rule_set, name="rule_set"),
    path("station/rules/<int:year>/edit/", views.rule_set_edit, name="rule_set_edit"),
    path("station/weeks/", views.weeks, name="weeks"),
    path("station/weeks/start/", views.week_start, name="week_start"),
    path("station/weeks/<int:pk>/", views.week_detail, name="week"),
    path("station/weeks/<int:pk>/edit/", views.week_edit, name="week_edit"),
    path("station/weeks/<int:pk>/step/", views.week_step, name="week_step"),
    path("station/points/<int:year>/", views.points, name="points"),
    path("station/points/<int:year>/export/", views.points_export, name="points_export"),
]
