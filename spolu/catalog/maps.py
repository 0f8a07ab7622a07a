"""The public map: published good practices and the territories that use published interventions.

The page (`catalog:map`) and its data (`catalog:map-data`, JSON for other tools) show the same
points, optionally filtered by one intervention (`?intervention=<slug>`, a plain GET form, so the
filter works without JavaScript). A point is either

* a published good practice with coordinates (its own, else its territory's), with its
  published interventions, or
* a territory with coordinates one of whose plan measures links a published intervention: only
  the territory's name, position and those interventions, nothing else from its plans.

Both pages run a fixed number of queries, whatever the number of points: the published
interventions and their texts (2), the good practices (1) and their links to interventions (1),
and the territories' links to interventions through measures (1).

The page lists the points beside the map 25 at a time (good practices and territories each have
their own pages) and leaves the points themselves to its script, which fetches the data.
"""

import secrets
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from spolu.core.access import public_view
from spolu.core.fields import fold
from spolu.core.forms import LongSelect
from spolu.core.paging import PAGE_SIZE
from spolu.plans.models import Measure

from .models import (
    PUBLIC_MEASURE_STATUSES,
    PUBLIC_PLAN_STATUSES,
    GoodPractice,
    Intervention,
    Status,
    title_texts,
)


@dataclass
class PracticePoint:
    pk: int
    title: str
    language: str  # of the title and place
    place: str
    period: str
    lat: float
    lon: float
    interventions: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return reverse("catalog:good-practice-detail", kwargs={"pk": self.pk})


@dataclass
class TerritoryPoint:
    name: str
    lat: float
    lon: float
    interventions: list = field(default_factory=list)


@dataclass
class MapPoints:
    selected: Intervention | None
    practices: list
    territories: list

    def as_json(self) -> dict:
        """Plain data with relative addresses: the page and the JSON download both read this
        (the download makes the addresses absolute, `_absolute`)."""
        used = {
            i.slug: i for point in self.practices + self.territories for i in point.interventions
        }
        return {
            "language": _language(),
            "intervention": self.selected.slug if self.selected else None,
            "interventions": {
                slug: {
                    "title": i.map_title,
                    "language": i.map_language,
                    "url": intervention_url(i),
                }
                for slug, i in sorted(used.items())
            },
            "good_practices": [
                {
                    "title": p.title,
                    "language": p.language,
                    "place": p.place,
                    "period": p.period,
                    "lat": p.lat,
                    "lon": p.lon,
                    "url": p.url,
                    "interventions": [i.slug for i in p.interventions],
                }
                for p in self.practices
            ],
            "territories": [
                {
                    "name": t.name,
                    "lat": t.lat,
                    "lon": t.lon,
                    "interventions": [i.slug for i in t.interventions],
                }
                for t in self.territories
            ],
        }


def intervention_url(intervention) -> str:
    return reverse("catalog:intervention-detail", kwargs={"slug": intervention.slug})


def _language() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE)[:2]


def _by_title(interventions):
    return sorted(interventions, key=lambda i: i.map_sort_key)


def _with_titles(interventions):
    """Give each intervention `map_title` in the active language (else its original one),
    `map_language` (the title's language) and `translation_missing`."""
    language = _language()
    for intervention in interventions:
        text = intervention.text(language)
        intervention.map_title = text.title if text else intervention.slug
        intervention.map_language = text.language if text else language
        intervention.translation_missing = intervention.map_language != language
        # Folded once: a national map sorts the interventions of a thousand points.
        intervention.map_sort_key = (fold(intervention.map_title), intervention.slug)
    return interventions


def _published_with_titles() -> list:
    """Every published intervention, with only the titles of its texts (2 queries)."""
    published = Intervention.objects.filter(status=Status.PUBLISHED)
    return _with_titles(list(published.prefetch_related(title_texts())))


def map_points(intervention_slug: str = "") -> MapPoints:
    """The map's points, all of them or those of the published intervention with this slug."""
    published = _published_with_titles()
    by_id = {i.pk: i for i in published}
    selected = next((i for i in published if i.slug == intervention_slug), None)

    # Its own coordinates, else those of its territory (a proposal from a plan has only that).
    own = Q(latitude__isnull=False, longitude__isnull=False)
    territory = Q(territory__latitude__isnull=False, territory__longitude__isnull=False)
    practices = GoodPractice.objects.filter(own | territory, status=Status.PUBLISHED)
    if selected is not None:
        practices = practices.filter(interventions=selected)
    practice_points = {}
    for p in practices.select_related("territory").only(
        *("pk", "title", "language", "place", "start_year", "end_year", "latitude", "longitude"),
        *("territory__latitude", "territory__longitude"),
    ):
        located = p if p.latitude is not None and p.longitude is not None else p.territory
        practice_points[p.pk] = PracticePoint(
            p.pk,
            p.title,
            p.language,
            p.place,
            p.period,
            float(located.latitude),
            float(located.longitude),
        )
    links = GoodPractice.interventions.through.objects.filter(
        goodpractice__in=practices, intervention__status=Status.PUBLISHED
    ).values_list("goodpractice_id", "intervention_id")
    for practice_id, intervention_id in links:
        if practice_id in practice_points and intervention_id in by_id:
            practice_points[practice_id].interventions.append(by_id[intervention_id])

    # Measures belong to their territory's scope; only the territory's public facts leave it.
    with scopes_disabled():
        rows = (
            Measure.interventions.through.objects.filter(
                intervention__status=Status.PUBLISHED,
                measure__territory__latitude__isnull=False,
                # Only adopted plans and live measures: drafts are the territory's own.
                measure__plan__status__in=PUBLIC_PLAN_STATUSES,
                measure__status__in=PUBLIC_MEASURE_STATUSES,
                measure__territory__longitude__isnull=False,
            )
            .values_list(
                "measure__territory_id",
                "measure__territory__name",
                "measure__territory__latitude",
                "measure__territory__longitude",
                "intervention_id",
            )
            .distinct()
        )
        territory_points = {}
        seen = set()
        for territory_id, name, lat, lon, intervention_id in rows:
            point = territory_points.setdefault(
                territory_id, TerritoryPoint(name, float(lat), float(lon))
            )
            if intervention_id in by_id and (territory_id, intervention_id) not in seen:
                seen.add((territory_id, intervention_id))
                point.interventions.append(by_id[intervention_id])
    territories = [
        t
        for t in territory_points.values()
        if t.interventions and (selected is None or selected in t.interventions)
    ]

    for point in [*practice_points.values(), *territories]:
        point.interventions = _by_title(point.interventions)
    return MapPoints(
        selected=selected,
        practices=sorted(practice_points.values(), key=lambda p: (fold(p.title), p.pk)),
        territories=sorted(territories, key=lambda t: fold(t.name)),
    )


# --- cached data for both views ------------------------------------------------------------

GENERATION_KEY = "catalog-map:generation"


def invalidate_map() -> None:
    """Published catalogue content changed: the next request computes the map afresh."""
    cache.set(GENERATION_KEY, secrets.token_hex(8), None)


def _generation() -> str:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, secrets.token_hex(8), None)
        generation = cache.get(GENERATION_KEY, "")
    return generation


def published_interventions(prefix: str = "") -> list:
    """Every published intervention with its title in the active language, by title.

    The filter of the map offers them all (200 in a national catalogue): with `prefix` (see
    `_cache_prefix`) the list is cached with the map, else read (2 queries).
    """
    key = f"{prefix}:interventions"
    plain = cache.get(key) if prefix else None
    if plain is None:
        plain = [
            (i.slug, i.map_title, i.map_language, intervention_url(i))
            for i in _by_title(_published_with_titles())
        ]
        if prefix:
            cache.set(key, plain, settings.SPOLU_MAP_CACHE_SECONDS)
    return _listed(plain)


def _cache_prefix() -> str:
    """The start of the cache keys of the page's parts for the catalogue's generation and the
    language (one query); empty when the map is not cached."""
    if settings.SPOLU_MAP_CACHE_SECONDS <= 0:
        return ""
    return f"catalog-map-list:{_generation()}:{_language()}"


def map_data(slug: str = "") -> dict:
    """The map's points as plain data (relative addresses), for the page and the JSON.

    With a national catalogue this is the most expensive public computation, and the same for
    every visitor: it is cached for SPOLU_MAP_CACHE_SECONDS per language and intervention.
    Publishing or changing catalogue content starts afresh at once (`invalidate_map`); a
    territory's measures reach the map within that time. `slug` must be a published
    intervention's or empty.
    """
    seconds = settings.SPOLU_MAP_CACHE_SECONDS
    if seconds <= 0:
        return map_points(slug).as_json()
    key = f"catalog-map:{_generation()}:{_language()}:{slug}"
    data = cache.get(key)
    if data is None:
        data = map_points(slug).as_json()
        cache.set(key, data, seconds)
    return data


@dataclass
class ListedIntervention:
    slug: str
    map_title: str
    map_language: str
    url: str
    translation_missing: bool

    def __str__(self):
        return self.map_title


def _listed(plain) -> list[ListedIntervention]:
    """Interventions from the cached (slug, title, title's language, address) tuples."""
    language = _language()
    return [ListedIntervention(*item, item[2] != language) for item in plain]


@dataclass
class ListedPractice:
    title: str
    language: str
    place: str
    period: str
    url: str
    interventions: list


@dataclass
class ListedTerritory:
    name: str
    interventions: list


# The page's two lists: the key of their page number in the query string, their items in the data.
LISTS = {
    "practices": ("page", "good_practices"),
    "territories": ("territories_page", "territories"),
}


def _page(count: int, number, object_list=()):
    """The page of a list of `count` items shown for a requested number (as Paginator.get_page
    decides), holding `object_list`: the lists keep only one page of their items."""
    page = Paginator(range(count), PAGE_SIZE).get_page(number)
    page.object_list = list(object_list)
    return page


def _clamped(number, count: int) -> int:
    """The page number the list shows for a requested one."""
    return _page(count, number).number


def _plain_page(data: dict, kind: str, number: int) -> list:
    """One page of a list as plain data (what the cache keeps), interventions with their titles."""
    items = data[LISTS[kind][1]][(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    titles = data["interventions"]

    def interventions(item):
        return [
            (slug, titles[slug]["title"], titles[slug]["language"], titles[slug]["url"])
            for slug in item
        ]

    if kind == "practices":
        return [
            (
                p["title"],
                p["language"],
                p["place"],
                p["period"],
                p["url"],
                interventions(p["interventions"]),
            )
            for p in items
        ]
    return [(t["name"], interventions(t["interventions"])) for t in items]


def map_lists(slug: str, requested: dict, prefix: str = "") -> tuple[dict, dict, dict]:
    """The lists beside the map: how many items each has, the page numbers shown and, for each
    list, the page's items as plain data and as HTML.

    The page shows 25 items of each list, but the whole map of a national catalogue is about
    a megabyte: reading it from the cache for every page view cost more than the rest of the
    page. So each page of a list is cached on its own, beside the counts, for as long as the
    map's data (`requested` maps a list to the page number asked for in the query string;
    `prefix` is `_cache_prefix()`, empty when the map is not cached).
    """
    wanted = {}
    for kind in LISTS:
        try:
            wanted[kind] = int(requested.get(kind) or 1)
        except ValueError:
            wanted[kind] = 1
    prefix = f"{prefix}:{slug}" if prefix else ""
    if prefix:
        keys = {kind: f"{prefix}:{kind}:{number}" for kind, number in wanted.items()}
        found = cache.get_many([f"{prefix}:counts", *keys.values()])
        counts = found.get(f"{prefix}:counts")
        if (
            counts is not None
            and all(key in found for key in keys.values())
            and all(_clamped(wanted[kind], counts[kind]) == wanted[kind] for kind in LISTS)
        ):
            return counts, wanted, {kind: found[key] for kind, key in keys.items()}
    data = map_data(slug)
    counts = {kind: len(data[LISTS[kind][1]]) for kind in LISTS}
    numbers = {kind: _clamped(requested.get(kind), counts[kind]) for kind in LISTS}
    items = {}
    for kind in LISTS:
        plain = _plain_page(data, kind, numbers[kind])
        items[kind] = {"items": plain, "html": _rendered(kind, _objects(kind, plain))}
    if prefix:
        cache.set_many(
            {
                f"{prefix}:counts": counts,
                **{f"{prefix}:{kind}:{numbers[kind]}": items[kind] for kind in LISTS},
            },
            settings.SPOLU_MAP_CACHE_SECONDS,
        )
    return counts, numbers, items


def _objects(kind: str, plain: list) -> list:
    if kind == "practices":
        return [ListedPractice(*p[:5], _listed(p[5])) for p in plain]
    return [ListedTerritory(name, _listed(interventions)) for name, interventions in plain]


def _rendered(kind: str, objects: list) -> str:
    """A page of a list as HTML. It depends only on the data and the language, so it is cached
    with the items: a national page lists some 600 intervention links, and rendering them
    was most of the page's time."""
    return render_to_string(f"catalog/includes/map_list_{kind}.html", {"items": objects})


class MapList:
    """What the page lists beside the map: one page of good practices and one of territories,
    with their HTML."""

    def __init__(self, slug: str, requested: dict, selected, prefix: str = ""):
        self.selected = selected
        counts, numbers, items = map_lists(slug, requested, prefix)
        pages = {
            kind: _page(counts[kind], numbers[kind], _objects(kind, items[kind]["items"]))
            for kind in LISTS
        }
        self.practices_page, self.territories_page = pages["practices"], pages["territories"]
        self.practices_html = mark_safe(items["practices"]["html"])  # rendered by a template
        self.territories_html = mark_safe(items["territories"]["html"])

    @property
    def practices(self) -> list:
        """The good practices of the page shown."""
        return self.practices_page.object_list

    @property
    def territories(self) -> list:
        """The territories of the page shown."""
        return self.territories_page.object_list

    @property
    def has_points(self) -> bool:
        return bool(self.practices_page.paginator.count or self.territories_page.paginator.count)


def _absolute(data: dict, absolute) -> dict:
    return {
        **data,
        "interventions": {
            slug: {**item, "url": absolute(item["url"])}
            for slug, item in data["interventions"].items()
        },
        "good_practices": [{**p, "url": absolute(p["url"])} for p in data["good_practices"]],
    }


class MapFilterForm(forms.Form):
    intervention = forms.ChoiceField(label=_("Intervention"), required=False, widget=LongSelect)

    def __init__(self, data, interventions):
        super().__init__(data)
        self.fields["intervention"].choices = [("", _("All interventions"))] + [
            (i.slug, i.map_title) for i in interventions
        ]


def _requested_slug(request) -> str:
    return request.GET.get("intervention", "").strip()


@public_view
def catalogue_map(request):
    # The page carries the map's settings and one page of each list; the map's script fetches
    # the points from map/data.json, so that the page stays small with a national catalogue.
    prefix = _cache_prefix()
    interventions = published_interventions(prefix)
    slug = _requested_slug(request)
    selected = next((i for i in interventions if i.slug == slug), None)
    requested = {kind: request.GET.get(param) for kind, (param, _key) in LISTS.items()}
    points = MapList(selected.slug if selected else "", requested, selected, prefix)
    form = MapFilterForm(request.GET or None, interventions)
    form.is_valid()  # an unknown intervention shows the form's error and every point
    data_url = reverse("catalog:map-data")
    if points.selected is not None:
        data_url += "?" + urlencode({"intervention": points.selected.slug})
    map_config = {
        "data_url": data_url,
        "tiles": settings.SPOLU_MAP_TILE_URL,
        "attribution": settings.SPOLU_MAP_ATTRIBUTION,
        "labels": {
            "good_practices": str(_("Good practices")),
            "territories": str(_("Territories using the interventions")),
            "interventions": str(_("Interventions:")),
            "territory_interventions": str(_("Interventions in its plans:")),
            "layers": str(_("Layers")),
            "zoom_in": str(_("Zoom in")),
            "zoom_out": str(_("Zoom out")),
            "close": str(_("Close")),
        },
    }
    context = {
        "form": form,
        "points": points,
        "practices_page": points.practices_page,
        "territories_page": points.territories_page,
        "map_config": map_config,
        "has_points": points.has_points,
    }
    return render(request, "catalog/map.html", context)


@public_view
def catalogue_map_data(request):
    slug = _requested_slug(request)
    if slug and not Intervention.objects.filter(slug=slug, status=Status.PUBLISHED).exists():
        return JsonResponse({"error": _("No published intervention has this address.")}, status=400)
    return JsonResponse(
        _absolute(map_data(slug), request.build_absolute_uri),
        json_dumps_params={"ensure_ascii": False},
    )


urlpatterns = [
    path("map/", catalogue_map, name="map"),
    path("map/data.json", catalogue_map_data, name="map-data"),
]
