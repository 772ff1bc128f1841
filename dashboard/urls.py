from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/<int:year>/<int:month>/", views.month_page, name="month"),
    path("dashboard/<int:year>/<int:month>/mark/", views.mark, name="mark"),
    path("notices/", views.notifications, name="notifications"),
    path("notices/read/", views.notifications_read, name="notifications_read"),
    path("notices/<int:pk>/", views.notification_open, name="notification"),
]
