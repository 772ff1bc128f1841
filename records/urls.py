from django.urls import path

from . import appeal_views, views

app_name = "records"

urlpatterns = [
    path("", views.home, name="home"),
    path("org/<int:pk>/<int:year>/<int:month>/", views.month, name="month"),
    path("org/<int:pk>/<int:year>/", views.year, name="year"),
    path("org/<int:pk>/new/", views.create, name="create"),
    path("<int:rid>/", views.detail, name="detail"),
    path("<int:rid>/edit/", views.edit, name="edit"),
    path("<int:rid>/submit/", views.submit, name="submit"),
    path("file/<int:aid>/", views.attachment, name="attachment"),
    path("file/<int:aid>/thumb/", views.thumbnail, name="thumbnail"),
    path("review/<int:year>/<int:month>/", views.queue, name="queue"),
    path("review/<int:pk>/<int:year>/<int:month>/", views.review, name="review"),
    path("appeals/", appeal_views.appeal_list, name="appeals"),
    path("appeals/new/<int:wid>/", appeal_views.appeal_new, name="appeal_new"),
    path("appeals/<int:pk>/", appeal_views.appeal, name="appeal"),
    path("appeals/<int:pk>/answer/", appeal_views.appeal_answer, name="appeal_answer"),
    path("appeals/<int:pk>/file/", appeal_views.appeal_attachment, name="appeal_attachment"),
]
