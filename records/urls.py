from django.urls import path

from . import views

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
]
