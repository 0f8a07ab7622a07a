from . import editing, maps, views

app_name = "catalog"

# Public pages (list, search, detail, open data), the map, and the editors' pages.
urlpatterns = [*views.urlpatterns, *maps.urlpatterns, *editing.urlpatterns]
