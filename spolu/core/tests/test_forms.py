"""Shared form helpers."""

import re

from django import forms

from spolu.core.forms import LongSelect

OPTION = re.compile(r'<option value="([^"]*)"( selected)?>([^<]*)</option>')
CHOICES = [
    ("", "Vše"),
    ("skolni-asistent", "Školní asistent"),
    ("a&b", "<b>Doučování</b> & co"),
    ("Region", [("praha", "Praha"), ("brno", "Brno")]),
]


def _render(widget_class, value):
    field = forms.ChoiceField(choices=CHOICES, required=False, widget=widget_class)
    field.widget.attrs["aria-describedby"] = "help"
    return field.widget.render("intervention", value, attrs={"id": "id_intervention"})


def test_a_long_select_renders_the_same_options_as_djangos_select():
    for value in ("", "a&b", "brno", "unknown"):
        django_html, long_html = _render(forms.Select, value), _render(LongSelect, value)
        assert OPTION.findall(long_html) == OPTION.findall(django_html)
        assert len(OPTION.findall(long_html)) == 5
        for html in (django_html, long_html):
            assert html.startswith(
                '<select name="intervention" aria-describedby="help" id="id_intervention">'
            )
            assert '<optgroup label="Region">' in html
    # Labels and values are escaped; the chosen option is marked.
    html = _render(LongSelect, "a&b")
    assert '<option value="a&amp;b" selected>&lt;b&gt;Doučování&lt;/b&gt; &amp; co</option>' in html
