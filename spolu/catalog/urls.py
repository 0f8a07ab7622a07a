from . import editing, maps, views

app_name = "catalog"

# Public pages (list, search, detail, open data), the map, and the editors' pages.
# The public pages come last: their `<slug>/` would otherwise catch `map/` and `edit/`.
urlpatterns = [*editing.urlpatterns, *maps.urlpatterns, *views.urlpatterns]
