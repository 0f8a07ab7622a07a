"""Stub: filled in by the catalogue work."""

urlpatterns = []
