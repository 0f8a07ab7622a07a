"""Official code lists: GUS TERYT TERC (PL) and ČSÚ struktura_uzemi_cr.csv (CZ) load correctly,
idempotently and all-or-nothing, and keep existing slugs."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.text import slugify

from spolu.core.permissions import Role
from spolu.core.testing import add_member, make_user
from spolu.territories import demo
from spolu.territories.codelists import (
    SHIPPED_FILES,
    CodeListError,
    load_cz_structure,
    load_pl_terc,
)
from spolu.territories.models import Territory, TerritoryKind

# The 31 columns of ČSÚ's struktura_uzemi_cr.csv, in the published order.
CZ_HEADER = (
    "platnost_datum,obec_text,obec_kod,obec_typ,pou_text,pou_csu_cis61_kod,pou_ruian_kod,"
    "pou_sidlo_obec_kod,orp_text,orp_csu_cis65_kod,orp_ruian_kod,orp_sidlo_obec_kod,okres_text,"
    "okres_csu_cis101_lau_kod,okres_csu_cis109_nuts_kod,okres_ruian_kod,kraj_text,kraj_zkratka,"
    "kraj_csu_cis100_kod,kraj_csu_cis108_nuts_kod,kraj_ruian_vusc_kod,region_text,"
    "region_csu_cis99_kod,region_csu_cis107_nuts_kod,region_ruian_kod,stat_text,"
    "stat_csu_cis97_kod,stat_csu_cis105_nuts_kod,stat_ruian_kod,odkaz_SMS,odkaz_RSO"
)
KV = "Karlovarský kraj,KVK,3051,CZ041,51"


def cz_row(obec_code, obec, orp_code, orp, orp_ruian, kraj=KV, date="2026-01-01"):
    # Real codes (ČSÚ code lists 43, 65 and 100); columns the loader does not read stay empty.
    return f"{date},{obec},{obec_code},,,,,,{orp},{orp_code},{orp_ruian},,,,,,{kraj},,,,,,,,,,"


CZ_SAMPLE = "\r\n".join(
    [
        CZ_HEADER,
        cz_row("554961", "Karlovy Vary", "4103", "Karlovy Vary", "531"),
        cz_row("554995", "Bečov nad Teplou", "4103", "Karlovy Vary", "531"),
        cz_row("555215", "Jáchymov", "4106", "Ostrov", "540"),
        cz_row("555428", "Ostrov", "4106", "Ostrov", "540"),
    ]
)


def terc(*rows):
    return io.BytesIO("\r\n".join(["WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD;STAN_NA", *rows, ""]).encode())


def load_shipped_terc():
    with open(SHIPPED_FILES["PL"], "rb") as fileobj:
        return load_pl_terc(fileobj)


def load_shipped_cz():
    with open(SHIPPED_FILES["CZ"], "rb") as fileobj:
        return load_cz_structure(fileobj)


def counts(country):
    return {
        kind: Territory.objects.filter(country=country, kind=kind).count()
        for kind in TerritoryKind.values
        if kind.startswith(country.lower())
    }


def get(kind, code):
    return Territory.objects.select_related("parent__parent").get(kind=kind, code=code)


# --- Poland -----------------------------------------------------------------------------------


def test_shipped_terc_gives_every_wojewodztwo_powiat_and_gmina(db):
    report = load_shipped_terc()
    assert counts("PL") == {"pl_wojewodztwo": 16, "pl_powiat": 380, "pl_gmina": 2477}
    assert report.created == {"pl_wojewodztwo": 16, "pl_powiat": 380, "pl_gmina": 2477}
    assert report.state_dates == ["2020-01-01"]
    # RODZ 4/5 (parts of urban-rural gminas) and 8/9 (city districts) are not territories.
    assert report.skipped_rows == 1321
    assert not Territory.objects.filter(kind="pl_gmina", code__regex=r"[4589]$").exists()


def test_names_are_the_official_forms(db):
    load_shipped_terc()
    assert get("pl_wojewodztwo", "02").name == "województwo dolnośląskie"
    assert get("pl_wojewodztwo", "12").name == "województwo małopolskie"
    assert get("pl_powiat", "0201").name == "powiat bolesławiecki"
    # An urban and a rural gmina share the published name; the code tells them apart.
    assert get("pl_gmina", "0201011").name == get("pl_gmina", "0201022").name == "Bolesławiec"


def test_city_with_powiat_rights_is_a_powiat_with_its_gmina(db):
    load_shipped_terc()
    city = get("pl_powiat", "0261")
    assert city.name == "Jelenia Góra"
    assert city.parent.code == "02"
    gmina = get("pl_gmina", "0261011")
    assert gmina.name == "Jelenia Góra"
    assert gmina.parent == city
    assert get("pl_powiat", "1465").name == "Warszawa"
    assert list(get("pl_powiat", "1465").children.values_list("code", flat=True)) == ["1465011"]


def test_every_gmina_hangs_under_its_powiat_and_every_powiat_under_its_wojewodztwo(db):
    load_shipped_terc()
    gminas = Territory.objects.filter(kind="pl_gmina").values_list(
        "code", "parent__kind", "parent__code", "parent__parent__kind", "parent__parent__code"
    )
    for code, parent_kind, parent_code, grandparent_kind, grandparent_code in gminas:
        assert (parent_kind, parent_code) == ("pl_powiat", code[:4])
        assert (grandparent_kind, grandparent_code) == ("pl_wojewodztwo", code[:2])
    assert not Territory.objects.filter(kind="pl_wojewodztwo", parent__isnull=False).exists()
    bolesławiec = get("pl_gmina", "0201022")
    assert bolesławiec.parent.name == "powiat bolesławiecki"
    assert bolesławiec.parent.parent.name == "województwo dolnośląskie"


def test_second_load_changes_nothing_and_duplicates_nothing(db, django_assert_max_num_queries):
    load_shipped_terc()
    before = counts("PL")
    slugs = dict(Territory.objects.values_list("code", "slug"))
    # Reads existing rows per level and writes nothing: no per-row queries.
    with django_assert_max_num_queries(12):
        report = load_shipped_terc()
    assert counts("PL") == before
    assert dict(Territory.objects.values_list("code", "slug")) == slugs
    assert sum(report.created.values()) == sum(report.updated.values()) == 0
    assert sum(report.unchanged.values()) == 16 + 380 + 2477


def test_changed_name_is_updated_and_slug_kept(db):
    load_shipped_terc()
    Territory.objects.filter(kind="pl_gmina", code="0201032").update(name="Old name")
    report = load_shipped_terc()
    assert report.updated == {"pl_gmina": 1}
    gmina = get("pl_gmina", "0201032")
    assert gmina.name == "Gromadka"
    assert gmina.slug == "gromadka-0201032"


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("02;01;02;7;Bolesławiec;gmina;2020-01-01", "RODZ"),
        ("02;01;02;2;Bolesławiec;gmina wiejska", "expected 7 fields"),
        ("02;1;;;bolesławiecki;powiat;2020-01-01", "POW must be two digits"),
        ("02;01;02;2;;gmina wiejska;2020-01-01", "NAZWA is empty"),
        ("02;01;01;1;Bolesławiec;gmina miejska;2020-01-01", "appears twice"),
    ],
)
def test_malformed_row_names_its_line_and_writes_nothing(db, bad_row, message):
    fileobj = terc(
        "02;;;;DOLNOŚLĄSKIE;województwo;2020-01-01",
        "02;01;;;bolesławiecki;powiat;2020-01-01",
        "02;01;01;1;Bolesławiec;gmina miejska;2020-01-01",
        bad_row,
        "02;01;03;2;Gromadka;gmina wiejska;2020-01-01",
    )
    with pytest.raises(CodeListError, match=message) as error:
        load_pl_terc(fileobj)
    assert str(error.value).startswith("line 5: ")
    assert error.value.line == 5
    assert not Territory.objects.exists()


def test_gmina_without_its_powiat_is_refused_and_nothing_written(db):
    fileobj = terc(
        "02;;;;DOLNOŚLĄSKIE;województwo;2020-01-01",
        "02;01;;;bolesławiecki;powiat;2020-01-01",
        "02;01;01;1;Bolesławiec;gmina miejska;2020-01-01",
        "02;02;01;1;Bielawa;gmina miejska;2020-01-01",
    )
    with pytest.raises(CodeListError, match="line 5: .*parent 0202"):
        load_pl_terc(fileobj)
    assert not Territory.objects.exists()


def test_a_file_that_is_not_terc_is_refused(db):
    with pytest.raises(CodeListError, match="line 1: expected the TERC header"):
        load_pl_terc(io.BytesIO(CZ_SAMPLE.encode()))


# --- Czechia ----------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1250"])
def test_cz_structure_in_the_published_format(db, encoding):
    report = load_cz_structure(io.BytesIO(CZ_SAMPLE.encode(encoding)))
    assert report.encoding == ("windows-1250" if encoding == "cp1250" else "utf-8")
    assert counts("CZ") == {"cz_obec": 4, "cz_orp": 2, "cz_kraj": 1}
    assert report.kinds == ["cz_kraj", "cz_orp", "cz_obec"]
    assert report.state_dates == ["2026-01-01"]
    kraj = get("cz_kraj", "3051")
    assert (kraj.name, kraj.code_ruian, kraj.parent) == ("Karlovarský kraj", "51", None)
    orp = get("cz_orp", "4103")
    assert (orp.name, orp.code_ruian, orp.parent) == ("Karlovy Vary", "531", kraj)
    assert get("cz_orp", "4106").code_ruian == "540"
    obec = get("cz_obec", "554995")
    assert (obec.name, obec.parent, obec.code_ruian) == ("Bečov nad Teplou", orp, "")
    assert sorted(orp.children.values_list("name", flat=True)) == [
        "Bečov nad Teplou",
        "Karlovy Vary",
    ]


def test_cz_structure_with_semicolons_as_a_spreadsheet_saves_it(db):
    load_cz_structure(io.BytesIO(CZ_SAMPLE.replace(",", ";").encode("cp1250")))
    assert counts("CZ") == {"cz_obec": 4, "cz_orp": 2, "cz_kraj": 1}


def test_orp_keeps_its_ruian_code_when_a_file_lacks_the_column(db):
    load_cz_structure(io.BytesIO(CZ_SAMPLE.encode()))
    header = "obec_kod,obec_text,orp_csu_cis65_kod,orp_text,kraj_csu_cis100_kod,kraj_text"
    text = f"{header}\n554961,Karlovy Vary,4103,Karlovy Vary,3051,Karlovarský kraj\n"
    report = load_cz_structure(io.BytesIO(text.encode()))
    assert get("cz_orp", "4103").code_ruian == "531"
    assert get("cz_kraj", "3051").code_ruian == "51"
    assert report.unchanged == {"cz_kraj": 1, "cz_orp": 1, "cz_obec": 1}


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (cz_row("55499", "Bečov nad Teplou", "4103", "Karlovy Vary", "531"), "obec_kod"),
        (cz_row("554995", "Bečov nad Teplou", "4103", "Karlovy Vary", "X"), "orp_ruian_kod"),
        (cz_row("554995", "", "4103", "Karlovy Vary", "531"), "obec_text is empty"),
        (cz_row("554995", "Bečov nad Teplou", "4103", "Karlovy Vary", "540"), "line 2"),
        (cz_row("554961", "Karlovy Vary", "4103", "Karlovy Vary", "531"), "appears twice"),
        ("2026-01-01,Bečov nad Teplou,554995", "fields like the header"),
    ],
)
def test_cz_malformed_row_names_its_line_and_writes_nothing(db, bad_row, message):
    text = "\n".join(
        [CZ_HEADER, cz_row("554961", "Karlovy Vary", "4103", "Karlovy Vary", "531"), bad_row]
    )
    with pytest.raises(CodeListError, match=message) as error:
        load_cz_structure(io.BytesIO(text.encode()))
    assert error.value.line == 3
    assert not Territory.objects.exists()


def test_cz_file_without_the_required_columns_is_refused(db):
    with pytest.raises(CodeListError, match="line 1: missing column.*orp_csu_cis65_kod"):
        load_cz_structure(io.BytesIO(b"obec_kod,obec_text\n554961,Karlovy Vary\n"))


def test_shipped_karlovarsky_kraj(db):
    report = load_shipped_cz()
    assert counts("CZ") == {"cz_obec": 134, "cz_orp": 7, "cz_kraj": 1}
    assert report.state_dates == []
    orp_codes = dict(Territory.objects.filter(kind="cz_orp").values_list("code", "code_ruian"))
    assert orp_codes == {
        "4101": "507",
        "4102": "515",
        "4103": "531",
        "4104": "663",
        "4105": "523",
        "4106": "540",
        "4107": "671",
    }
    assert get("cz_orp", "4103").children.count() == 41
    assert get("cz_obec", "554961").parent.parent.code == "3051"
    assert sum(load_shipped_cz().unchanged.values()) == 142


# --- Slugs and the demo -----------------------------------------------------------------------


def test_existing_slugs_are_kept_and_new_ones_stay_unique(db, cast):
    demo.load()
    # Territories created before with an official code and a chosen slug.
    Territory.objects.create(
        country="CZ", kind="cz_orp", code="4103", name="KV", slug="karlovy-vary"
    )
    Territory.objects.create(
        country="PL", kind="pl_powiat", code="0261", name="JG", slug="jelenia-gora"
    )
    # A slug the loader would pick for another territory is already taken.
    Territory.objects.create(
        country="CZ", kind="cz_obec", code="999901", name="X", slug="jachymov-555215"
    )
    before = dict(Territory.objects.values_list("id", "slug"))
    load_shipped_cz()
    load_shipped_terc()
    after = dict(Territory.objects.values_list("id", "slug"))
    assert {pk: after[pk] for pk in before} == before
    assert get("cz_orp", "4103").name == "Karlovy Vary"
    assert get("cz_orp", "4103").code_ruian == "531"
    assert get("pl_powiat", "0261").name == "Jelenia Góra"
    assert get("cz_obec", "555215").slug == "jachymov-555215-2"
    assert len(set(after.values())) == len(after)
    assert get("pl_gmina", "0201011").slug == "boleslawiec-0201011"
    assert get("pl_gmina", "1061011").slug == "lodz-1061011"
    # The demo and the test cast are untouched.
    assert Territory.objects.get(slug="zelenov").children.count() == 6
    assert Territory.objects.get(slug="alfov").name == "Alfov"


def test_slug_rule_is_the_models_rule(db):
    load_shipped_cz()
    obec = get("cz_obec", "554995")
    assert obec.slug == slugify(f"{obec.name}-{obec.code}") == "becov-nad-teplou-554995"


def test_coordinators_territory_shows_its_member_municipalities(db, client_for):
    load_shipped_cz()
    orp = get("cz_orp", "4103")
    orp.slug = "karlovy-vary"
    orp.save(update_fields=["slug"])
    coordinator = make_user("koordinator@kv.example")
    add_member(orp, coordinator, Role.COORDINATOR)
    html = client_for(coordinator).get(reverse("territories:home", args=["karlovy-vary"]))
    html = html.content.decode()
    assert "Bečov nad Teplou" in html and "554995" in html
    assert "Jáchymov" not in html  # ORP Ostrov


# --- The command ------------------------------------------------------------------------------


def test_command_loads_both_shipped_lists_and_reports_counts(db, capsys):
    call_command("load_territories")
    out = capsys.readouterr().out
    assert "2477 created" in out and "134 created" in out
    assert "state as of 2020-01-01" in out
    call_command("load_territories", "--country", "PL")
    assert "2477 unchanged" in capsys.readouterr().out


def test_dry_run_writes_nothing(db, capsys):
    call_command("load_territories", "--dry-run")
    out = capsys.readouterr().out
    assert "380 created" in out and "Dry run: nothing was written." in out
    assert not Territory.objects.exists()


def test_command_reads_a_downloaded_file_and_refuses_a_malformed_one(db, tmp_path, capsys):
    good = tmp_path / "struktura_uzemi_cr.csv"
    good.write_bytes(CZ_SAMPLE.encode("cp1250"))
    call_command("load_territories", "--country", "CZ", "--file", str(good))
    assert "encoding windows-1250" in capsys.readouterr().out
    bad = tmp_path / "TERC.csv"
    bad.write_bytes(terc("02;;;;DOLNOŚLĄSKIE;województwo;2020-01-01", "02;xx").getvalue())
    with pytest.raises(CommandError, match="line 3: .*nothing was written"):
        call_command("load_territories", "--country", "PL", "--file", str(bad))
    assert not Territory.objects.filter(country="PL").exists()
    with pytest.raises(CommandError, match="needs --country"):
        call_command("load_territories", "--file", str(good))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("load_territories", "--country", "PL", "--file", str(tmp_path / "none"))
