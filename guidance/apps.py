from django.apps import AppConfig


class GuidanceConfig(AppConfig):
    name = "guidance"
    verbose_name = "党建工作指导站"

    def ready(self):
        from orgs import access
        from orgs.models import Role

        from .scope import assigned_organizations

        # An instructor reads the organizations they are assigned to, which only this app knows.
        access.SCOPES[Role.INSTRUCTOR] = assigned_organizations
