from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "工作台"

    def ready(self):
        from orgs import stamps

        from . import receivers  # noqa: F401  (connects scoring's event signals)
        from .models import CompletionMark

        # The office's marks of a month done move the dashboard's completeness.
        stamps.register(
            stamps.Source(CompletionMark, stamps.of_zone_organizations(), ("marked_at",))
        )
