from django.utils.functional import SimpleLazyObject

from orgs import access


def zone(request):
    """`zone`: the zone the page is about (the user's own, or the one a cross-zone reader
    chose), read only if a template asks for it."""
    if not request.user.is_authenticated:
        return {}
    return {
        "zone": SimpleLazyObject(
            lambda: getattr(request, "zone", None) or access.current_zone(request)
        )
    }
