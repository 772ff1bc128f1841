from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "工作台"

    def ready(self):
        from . import receivers  # noqa: F401  (connects scoring's event signals)
