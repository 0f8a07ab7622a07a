"""Starter content of the catalogue, written by the Spolu team: `starter/interventions.json`
and `starter/good_practices.json`.

`load_starter()` is idempotent. Interventions are matched by slug, good practices by title and
place; only the fields that the files hold are written, and nothing is ever deleted.

Which rows the loader may change: a row that a person has edited belongs to the editors. The
rule is simple on purpose: if the audit log holds an entry with an actor (a logged-in user) for
the intervention, for one of its texts, or for the good practice, the row is *kept* as it is
and counted as kept. Rows that only the loader ever wrote (its audit entries have no actor) are
brought in line with the files; rows that already match are counted as unchanged and not
saved, so a second run writes no history. Related links are only added, never removed, and
only between interventions that are not kept. What a person deleted, or moved away from its
slug (or a good practice from its title and place), is not created again: it is kept too.

Good practices with a `territory` slug (the fictional demo town) are loaded only when that
territory exists. When the file says `"illustrative": true`, each good practice gets a source
line saying it is an illustrative example, in its own language.
"""

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from spolu.actors.models import EducationLevel

from .models import (
    LANGUAGES,
    Area,
    Cost,
    Evidence,
    GoodPractice,
    Implementer,
    Intervention,
    InterventionText,
    Kind,
    Status,
)

STARTER_DIR = Path(__file__).resolve().parent / "starter"
INTERVENTIONS_FILE = STARTER_DIR / "interventions.json"
GOOD_PRACTICES_FILE = STARTER_DIR / "good_practices.json"

TEXT_FIELDS = ("title", "summary", "description", "inspiration", "caveats", "sources")
REQUIRED_LANGUAGES = ("cs", "en")
ILLUSTRATIVE = {
    "cs": "Ilustrativní příklad pro demo Spolu",
    "pl": "Przykład ilustracyjny dla demo Spolu",
    "en": "Illustrative example for the Spolu demo",
}
COORDINATE = Decimal("0.00001")


class StarterError(ValueError):
    """The starter files do not match the catalogue's vocabulary."""


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # edited by a person, left alone
    skipped: int = 0  # good practices of a territory that does not exist here


@dataclass
class StarterResult:
    interventions: Tally = field(default_factory=Tally)
    good_practices: Tally = field(default_factory=Tally)

    def __iter__(self):
        # `created, updated = load_starter()`
        yield self.interventions.created + self.good_practices.created
        yield self.interventions.updated + self.good_practices.updated


# --- reading and checking the files ---------------------------------------------------------


def _read(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def _check_codes(where: str, name: str, values, choices) -> None:
    valid = set(choices.values)
    unknown = [v for v in values if v not in valid]
    if unknown:
        raise StarterError(f"{where}: unknown {name} {unknown[0]!r}")


def read_interventions(path: Path = INTERVENTIONS_FILE) -> list[dict]:
    """The interventions of the file, checked against the taxonomy."""
    items = _read(path)["interventions"]
    slugs = [item["slug"] for item in items]
    if len(slugs) != len(set(slugs)):
        raise StarterError("interventions: a slug appears twice")
    languages = {code for code, _name in LANGUAGES}
    for item in items:
        where = item["slug"]
        _check_codes(where, "area", [item["area"]], Area)
        _check_codes(where, "kind", [item["kind"]], Kind)
        _check_codes(where, "level", item["levels"], EducationLevel)
        _check_codes(where, "implementer", item["implementers"], Implementer)
        _check_codes(where, "evidence", [item["evidence"]], Evidence)
        _check_codes(where, "cost", [item["cost"]], Cost)
        missing = [slug for slug in item.get("related", []) if slug not in slugs]
        if missing:
            raise StarterError(f"{where}: related intervention {missing[0]!r} is not in the file")
        texts = item["texts"]
        if set(texts) - languages:
            raise StarterError(f"{where}: unknown language {sorted(set(texts) - languages)[0]}")
        for language in REQUIRED_LANGUAGES:
            if language not in texts:
                raise StarterError(f"{where}: no {language} text")
        for language, text in texts.items():
            if not text.get("title") or not text.get("summary"):
                raise StarterError(f"{where}: the {language} text needs a title and a summary")
            if set(text) - set(TEXT_FIELDS):
                raise StarterError(f"{where}: unknown field in the {language} text")
    return items


def read_good_practices(path: Path = GOOD_PRACTICES_FILE) -> tuple[list[dict], bool]:
    """The good practices of the file and whether the file marks them as illustrative."""
    data = _read(path)
    items = data["good_practices"]
    keys = [(item["title"], item["place"]) for item in items]
    if len(keys) != len(set(keys)):
        raise StarterError("good practices: a title and place appear twice")
    languages = {code for code, _name in LANGUAGES}
    for item in items:
        if item.get("language", "cs") not in languages:
            raise StarterError(f"{item['title']}: unknown language {item['language']!r}")
    return items, bool(data.get("illustrative"))


# --- who edited what ------------------------------------------------------------------------


def _by_people() -> Q:
    return Q(actor__isnull=False) | (Q(actor_email__isnull=False) & ~Q(actor_email=""))


def _edited(model, pks) -> set[int]:
    """The pks among `pks` whose audit log holds an entry written by a person."""
    if not pks:
        return set()
    content_type = ContentType.objects.get_for_model(model)
    found = LogEntry.objects.filter(
        _by_people(), content_type=content_type, object_pk__in=[str(pk) for pk in pks]
    ).values_list("object_pk", flat=True)
    return {int(pk) for pk in found}


def _retired_keys(model, fields) -> set[tuple]:
    """Keys (values of `fields`) that a person deleted or changed to something else.

    auditlog keeps the old values as text in the entry's changes; a key field the update left
    alone is read from the row.
    """
    content_type = ContentType.objects.get_for_model(model)
    entries = LogEntry.objects.filter(
        _by_people(),
        content_type=content_type,
        action__in=[LogEntry.Action.UPDATE, LogEntry.Action.DELETE],
    ).only("object_id", "changes")
    keys, rows = set(), None
    for entry in entries:
        changes = entry.changes_dict or {}
        if not any(name in changes for name in fields):
            continue
        if rows is None:
            rows = {obj.pk: obj for obj in model.objects.only(*fields)}
        row = rows.get(entry.object_id)
        old = []
        for name in fields:
            if name in changes:
                old.append(changes[name][0])
            else:
                old.append(getattr(row, name, None))
        keys.add(tuple(old))
    return keys


def _edited_interventions(interventions) -> set[int]:
    pks = [i.pk for i in interventions]
    edited = _edited(Intervention, pks)
    texts = dict(
        InterventionText.objects.filter(intervention_id__in=pks).values_list(
            "pk", "intervention_id"
        )
    )
    edited |= {texts[pk] for pk in _edited(InterventionText, list(texts))}
    return edited


# --- writing --------------------------------------------------------------------------------


def _assign(obj, values: dict) -> bool:
    """Set the attributes that differ; True when any did."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _publish(obj, publish: bool) -> bool:
    if publish and obj.status != Status.PUBLISHED:
        obj.status = Status.PUBLISHED
        obj.published_at = timezone.now()
        return True
    return False


def _ordered(codes, choices) -> list[str]:
    # The order in which ChoiceSetField reads them back, so that equal sets compare equal.
    return [code for code in choices.values if code in set(codes)]


def _intervention_values(item) -> dict:
    return {
        "area": item["area"],
        "kind": item["kind"],
        "levels": _ordered(item["levels"], EducationLevel),
        "implementers": _ordered(item["implementers"], Implementer),
        "evidence": item["evidence"],
        "cost": item["cost"],
        "original_language": item.get("original_language", "cs"),
    }


def _text_values(text: dict) -> dict:
    values = {name: text.get(name, "") for name in TEXT_FIELDS}
    if isinstance(values["sources"], list):
        values["sources"] = "\n".join(values["sources"])
    return values


def _write_texts(intervention, texts: dict) -> bool:
    existing = {t.language: t for t in InterventionText.objects.filter(intervention=intervention)}
    changed = False
    for language, text in texts.items():
        values = _text_values(text)
        row = existing.get(language)
        if row is None:
            InterventionText.objects.create(intervention=intervention, language=language, **values)
            changed = True
        elif _assign(row, values):
            row.save()
            changed = True
    return changed


def _load_interventions(items, publish: bool, tally: Tally) -> None:
    existing = {i.slug: i for i in Intervention.objects.filter(slug__in=[x["slug"] for x in items])}
    kept = _edited_interventions(existing.values())
    retired = {slug for (slug,) in _retired_keys(Intervention, ("slug",))}
    by_slug = {}
    for item in items:
        intervention = existing.get(item["slug"])
        if intervention is None and item["slug"] in retired:
            tally.kept += 1
            continue
        if intervention is not None and intervention.pk in kept:
            tally.kept += 1
            by_slug[item["slug"]] = intervention
            continue
        created = intervention is None
        if created:
            intervention = Intervention(slug=item["slug"], status=Status.DRAFT)
        changed = _assign(intervention, _intervention_values(item))
        changed = _publish(intervention, publish) or changed
        if created or changed:
            intervention.save()
        changed = _write_texts(intervention, item["texts"]) or changed
        if created or changed:
            intervention.refresh_search_text()
            intervention.save(update_fields=["search_text"])
        by_slug[item["slug"]] = intervention
        if created:
            tally.created += 1
        elif changed:
            tally.updated += 1
        else:
            tally.unchanged += 1

    # Only between the loader's own rows: neither kept nor retired (those are not in `ours`).
    ours = {slug: i for slug, i in by_slug.items() if i.pk not in kept}
    for item in items:
        intervention = ours.get(item["slug"])
        if intervention is None:
            continue
        linked = set(intervention.related.values_list("pk", flat=True))
        wanted = [
            ours[slug]
            for slug in item.get("related", [])
            if slug in ours and ours[slug].pk not in linked
        ]
        if wanted:
            intervention.related.add(*wanted)


def _coordinate(value):
    return None if value is None else Decimal(str(value)).quantize(COORDINATE)


def _good_practice_values(item, illustrative: bool, territory) -> dict:
    language = item.get("language", "cs")
    sources = list(item.get("sources", []))
    if illustrative:
        sources.insert(0, ILLUSTRATIVE.get(language, ILLUSTRATIVE["en"]))
    return {
        "language": language,
        "territory": territory,
        "latitude": _coordinate(item.get("latitude")),
        "longitude": _coordinate(item.get("longitude")),
        "start_year": item.get("start_year"),
        "end_year": item.get("end_year"),
        "summary": item["summary"],
        "what_was_done": item.get("what_was_done", ""),
        "results": item.get("results", ""),
        "contact": item.get("contact", ""),
        "sources": "\n".join(sources),
    }


def _load_good_practices(items, illustrative, publish, tally, starter_slugs) -> None:
    from spolu.territories.models import Territory

    slugs = {item["territory"] for item in items if item.get("territory")}
    territories = {t.slug: t for t in Territory.objects.filter(slug__in=slugs)}
    interventions = {i.slug: i for i in Intervention.objects.all()}
    existing = {}
    for gp in GoodPractice.objects.filter(title__in=[item["title"] for item in items]):
        existing.setdefault((gp.title, gp.place), gp)
    kept = _edited(GoodPractice, [gp.pk for gp in existing.values()])
    retired = _retired_keys(GoodPractice, ("title", "place"))

    for item in items:
        territory = None
        if item.get("territory"):
            territory = territories.get(item["territory"])
            if territory is None:
                tally.skipped += 1
                continue
        gp = existing.get((item["title"], item["place"]))
        if gp is None and (item["title"], item["place"]) in retired:
            tally.kept += 1
            continue
        if gp is not None and gp.pk in kept:
            tally.kept += 1
            continue
        created = gp is None
        if created:
            gp = GoodPractice(title=item["title"], place=item["place"], status=Status.DRAFT)
        changed = _assign(gp, _good_practice_values(item, illustrative, territory))
        changed = _publish(gp, publish) or changed
        if created or changed:
            gp.refresh_search_text()
            gp.save()
        # Links to the file's interventions follow the file; a link to one an editor renamed
        # or wrote stays.
        wanted = {
            interventions[slug] for slug in item.get("interventions", []) if slug in interventions
        }
        linked = set(gp.interventions.all())
        extra = {i for i in linked - wanted if i.slug in starter_slugs}
        if wanted - linked:
            gp.interventions.add(*(wanted - linked))
            changed = True
        if extra:
            gp.interventions.remove(*extra)
            changed = True
        if created:
            tally.created += 1
        elif changed:
            tally.updated += 1
        else:
            tally.unchanged += 1


def load_starter(*, publish: bool = True, good_practices: bool = True) -> StarterResult:
    """Create or update the starter interventions and good practices (see the module's note).

    `publish=False` creates new rows as drafts. `good_practices=False` loads the interventions
    only. The result unpacks as `(created, updated)`; `.interventions` and `.good_practices`
    hold the counts of each, including those kept because an editor changed them.
    """
    result = StarterResult()
    items = read_interventions()
    practices, illustrative = read_good_practices() if good_practices else ([], False)
    slugs = {item["slug"] for item in items}
    for item in practices:
        unknown = [slug for slug in item.get("interventions", []) if slug not in slugs]
        if unknown:
            raise StarterError(f"{item['title']}: unknown intervention {unknown[0]!r}")
    with transaction.atomic():
        _load_interventions(items, publish, result.interventions)
        if good_practices:
            _load_good_practices(
                practices, illustrative, publish, result.good_practices, starter_slugs=slugs
            )
    return result
