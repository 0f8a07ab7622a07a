from django.contrib import admin

from spolu.core.admin import UnscopedAdminMixin

from .models import Membership, Network, NetworkMembership, Territory


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "country", "parent"]
    list_filter = ["country", "kind"]
    search_fields = ["name", "code", "slug"]
    raw_id_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    filter_horizontal = ["territories"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Membership)
class MembershipAdmin(UnscopedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "territory", "role", "created"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__full_name", "territory__name"]
    raw_id_fields = ["user", "territory"]


@admin.register(NetworkMembership)
class NetworkMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "network", "role"]
    list_filter = ["role"]
    raw_id_fields = ["user", "network"]
