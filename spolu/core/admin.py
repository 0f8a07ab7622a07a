"""Admin helpers: the technical administration works across territories on purpose."""


class UnscopedAdminMixin:
    """Lets the admin list tenant rows of every territory (staff only, outside tenancy)."""

    def get_queryset(self, request):
        qs = self.model.objects.with_scopes_disabled().all()
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs
