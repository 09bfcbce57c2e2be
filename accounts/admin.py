from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import ApiKey, Membership, Organization, User
from accounts.services import apikey_revoke


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "is_staff", "is_service", "clerk_user_id", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_service", "is_active"]
    search_fields = ["username", "email", "clerk_user_id"]
    fieldsets = [*BaseUserAdmin.fieldsets, ("Repotoire", {"fields": ["clerk_user_id", "is_service"]})]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "plan", "clerk_org_id", "stripe_customer_id", "created_at"]
    list_filter = ["plan"]
    search_fields = ["name", "slug", "clerk_org_id", "stripe_customer_id"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "organization__slug"]
    autocomplete_fields = ["user", "organization"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Secrets are never shown: only the hash is stored, and it is excluded here too."""

    list_display = [
        "name",
        "prefix",
        "organization",
        "role",
        "created_by",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["role", "revoked_at"]
    search_fields = ["name", "prefix", "organization__slug"]
    exclude = ["key_hash"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):  # keys are created through the API or createapikey
        return False

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        for key in queryset:
            apikey_revoke(key=key)
