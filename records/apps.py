from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = "工作记录与申诉"

    def ready(self):
        # What records adds to scoring's pages (records.hooks): scoring knows nothing of it.
        from scoring.views import points, status, warnings

        from . import hooks

        if hooks.cell_evidence not in points.CELL_EVIDENCE:
            points.CELL_EVIDENCE.append(hooks.cell_evidence)
            status.STATUS_PANELS.append(hooks.status_panel)
            warnings.NOTICE_ASIDES.append(hooks.notice_aside)
        hooks.register_stamps()
