from django.apps import AppConfig


class PartybuildConfig(AppConfig):
    """The project's own hooks (no models)."""

    name = "partybuild"
    verbose_name = "基层党组织积分制管理"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .middleware import _seen_at_login

        user_logged_in.connect(_seen_at_login, dispatch_uid="partybuild-session-seen")
