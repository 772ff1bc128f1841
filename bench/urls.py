from django.http import HttpResponse
from django.urls import path

from partybuild.urls import urlpatterns as app_urlpatterns


def minimal(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/minimal/", minimal), *app_urlpatterns]
