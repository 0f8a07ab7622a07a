"""Catalogue search: words matched without diacritics or case, ranked, and facet counts.

Rows are found by `search_text__contains` on the folded text of every language, which
PostgreSQL answers from the trigram index of migration 0002 and SQLite by a scan. The rank
is computed in the same query: a word in a title (in any language) counts more than one in a
summary, which counts more than one in the other sections.
"""

import functools
import operator
import re
import string

from django import forms
from django.db.models import Case, Count, Exists, OuterRef, Q, Value, When
from django.utils.translation import gettext_lazy as _

from spolu.core.fields import ChoiceSetField, fold
from spolu.core.forms import LongSelect
from spolu.territories.models import Country

from .models import Intervention, InterventionText

# Taxonomy fields of an intervention, in the order the filters show them.
TAXONOMY = ("area", "kind", "levels", "implementers", "evidence", "cost")

# Ranking weights of one word: found in a title, in a summary, elsewhere.
TITLE_WEIGHT, SUMMARY_WEIGHT, OTHER_WEIGHT = 4, 2, 1

# Words beyond these are ignored, so that a pasted paragraph cannot build a huge query.
MAX_WORDS = 8

# SQL has no portable way to strip diacritics (PostgreSQL's unaccent is an extension, SQLite
# has none, and a long chain of REPLACE overflows SQLite's parser), so the rank matches titles
# and summaries with a pattern in which each letter of a folded word also accepts its accented
# and upper-case forms: "skolni" becomes [sSšŠśŚ][kK][oOóÓôÔöÖ][lLĺĹľĽłŁ][nNňŇńŃ][iIíÍ]. Only the
# rank depends on this alphabet; which rows match is decided by the folded `search_text`.
ACCENTED_LETTERS = "áäčďéěíĺľňóôöŕřšťúůüýžąćęłńśźż"


def _letter_forms() -> dict[str, str]:
    forms_of = {}
    for letter in string.ascii_lowercase + ACCENTED_LETTERS:
        for form in (letter, letter.upper()):
            forms_of[fold(form)] = forms_of.get(fold(form), "") + form
    return forms_of


LETTER_FORMS = _letter_forms()


def search_words(q: str) -> list[str]:
    """The distinct folded words of a query, at most MAX_WORDS."""
    words = []
    for word in re.findall(r"\w+", fold(q or "")):
        if word not in words:
            words.append(word)
    return words[:MAX_WORDS]


def word_pattern(word: str) -> str:
    """A regular expression (Python's and PostgreSQL's alike) for `word` in unfolded text."""
    return "".join(f"[{LETTER_FORMS[ch]}]" if ch in LETTER_FORMS else ch for ch in word)


def _rank(word_ranks):
    return functools.reduce(operator.add, word_ranks) if word_ranks else Value(0)


def _word_rank(title_hit, summary_hit):
    return Case(
        When(title_hit, then=Value(TITLE_WEIGHT)),
        When(summary_hit, then=Value(SUMMARY_WEIGHT)),
        default=Value(OTHER_WEIGHT),
    )


def _text_has(column: str, word: str):
    """Whether any language's `column` of the outer intervention contains the folded word."""
    texts = InterventionText.objects.filter(intervention=OuterRef("pk"))
    return Exists(texts.filter(**{f"{column}__regex": word_pattern(word)}))


def search_interventions(queryset, q: str):
    """Interventions containing every word of `q`, annotated with `rank`, best first."""
    words = search_words(q)
    for word in words:
        queryset = queryset.filter(search_text__contains=word)
    rank = _rank([_word_rank(_text_has("title", w), _text_has("summary", w)) for w in words])
    return queryset.annotate(rank=rank).order_by("-rank", "slug")


def search_good_practices(queryset, q: str):
    """Good practices containing every word of `q`, annotated with `rank`, best first."""
    words = search_words(q)
    for word in words:
        queryset = queryset.filter(search_text__contains=word)
    rank = _rank(
        [
            _word_rank(Q(title__regex=word_pattern(w)), Q(summary__regex=word_pattern(w)))
            for w in words
        ]
    )
    return queryset.annotate(rank=rank).order_by("-rank", "title", "pk")


# --- facets ------------------------------------------------------------------------------


def taxonomy_field(name: str):
    return Intervention._meta.get_field(name)


def facet_q(name: str, values) -> Q:
    """Rows having any of `values` in taxonomy field `name`."""
    if isinstance(taxonomy_field(name), ChoiceSetField):
        return functools.reduce(operator.or_, (Q(**{f"{name}__contains": v}) for v in values))
    return Q(**{f"{name}__in": list(values)})


def apply_facets(queryset, selected: dict):
    """Narrow to rows matching every field's selection (options of one field are ORed)."""
    for name, values in selected.items():
        if values:
            queryset = queryset.filter(facet_q(name, values))
    return queryset


def facet_counts(queryset, selected: dict | None = None) -> dict[str, dict]:
    """For every taxonomy field, {option code: number of rows of `queryset` with it}.

    One aggregate query. With `selected`, each field's counts apply the selections of the
    other fields but not its own, so that a checked box does not hide its alternatives and
    each count says what checking that option alone in its group would give.
    """
    selected = {name: values for name, values in (selected or {}).items() if values}
    aggregates, keys = {}, {}
    for name in TAXONOMY:
        others = Q()
        for other, values in selected.items():
            if other != name:
                others &= facet_q(other, values)
        for code, _label in taxonomy_field(name).flatchoices:
            alias = f"facet_{len(keys)}"
            keys[alias] = (name, code)
            aggregates[alias] = Count("pk", filter=others & facet_q(name, [code]))
    totals = queryset.order_by().aggregate(**aggregates)
    counts = {name: {} for name in TAXONOMY}
    for alias, (name, code) in keys.items():
        counts[name][code] = totals[alias]
    return counts


class InterventionFilterForm(forms.Form):
    """The catalogue list's query string: the search words and every taxonomy filter."""

    q = forms.CharField(label=_("Search the catalogue"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in TAXONOMY:
            field = taxonomy_field(name)
            integer = isinstance(field.flatchoices[0][0], int)
            self.fields[name] = forms.TypedMultipleChoiceField(
                label=field.verbose_name,
                choices=field.flatchoices,
                coerce=int if integer else str,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )

    def terms(self) -> tuple[str, dict]:
        """The search text and {field: selected codes}; invalid values are ignored."""
        if not self.is_bound:
            return "", {}
        self.is_valid()
        data = self.cleaned_data
        return data.get("q", ""), {name: data.get(name) or [] for name in TAXONOMY}


NO_TERRITORY = "none"


class GoodPracticeFilterForm(forms.Form):
    """The good-practice list's query string: search words, an intervention, a country."""

    q = forms.CharField(label=_("Search good practice"), required=False, max_length=200)
    intervention = forms.ChoiceField(label=_("Intervention"), required=False, widget=LongSelect)
    country = forms.ChoiceField(label=_("Country"), required=False)

    def __init__(self, *args, interventions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["intervention"].choices = [
            ("", _("All interventions")),
            *sorted(((i.slug, str(i)) for i in interventions), key=lambda c: fold(c[1])),
        ]
        self.fields["country"].choices = [
            ("", _("All countries")),
            *Country.choices,
            (NO_TERRITORY, _("Not linked to a territory")),
        ]

    def apply(self, queryset):
        """`queryset` narrowed by the valid filters, ranked by the search words."""
        data = {}
        if self.is_bound:
            self.is_valid()  # an invalid field is left out of cleaned_data, the rest applies
            data = self.cleaned_data
        if data.get("intervention"):
            queryset = queryset.filter(interventions__slug=data["intervention"])
        country = data.get("country")
        if country == NO_TERRITORY:
            queryset = queryset.filter(territory__isnull=True)
        elif country:
            queryset = queryset.filter(territory__country=country)
        return search_good_practices(queryset, data.get("q", ""))
