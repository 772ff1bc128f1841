from django.utils.functional import SimpleLazyObject

from .models import Notification


def notifications(request):
    """`unread_notices`: the signed-in user's unread count for the menu, counted only if a
    template shows it."""
    if not request.user.is_authenticated:
        return {}
    user = request.user
    return {
        "unread_notices": SimpleLazyObject(
            lambda: Notification.objects.filter(user=user).unread().count()
        )
    }
