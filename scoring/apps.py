from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = "积分"

    def ready(self):
        from . import (
            receivers,  # noqa: F401  (connects the registry's signals)
            stamps,
        )

        stamps.register()
