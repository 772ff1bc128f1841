from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = "工作记录与申诉"
