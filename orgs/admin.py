from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "last_name", "first_name", "role", "committee", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets[:2],
        ("角色与范围", {"fields": ("role", "committee")}),
        ("状态", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("角色与范围", {"fields": ("role", "committee")}),
    )
    readonly_fields = ("last_login", "date_joined")
