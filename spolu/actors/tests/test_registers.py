"""Importing organisations from the school registers: what a coordinator sees and gets."""

import gc
import io
import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django_scopes import scope

from spolu.actors import registers
from spolu.actors.models import EducationLevel, Organisation, OrganisationKind, Source
from spolu.territories.models import Territory, TerritoryKind

DATA = Path(__file__).parent / "data"
DEMO = Path(__file__).parent.parent / "demo_data"


def plan(territory, source, format_code):
    """Plan an import from a sample file name or from bytes."""
    if isinstance(source, bytes):
        return registers.plan_import(territory, io.BytesIO(source), format_code)
    with open(DATA / source, "rb") as fileobj:
        return registers.plan_import(territory, fileobj, format_code)


def organisations(territory):
    with scope(territory=territory):
        return {
            o.red_izo or o.rspo: o
            for o in Organisation.objects.filter(territory=territory).select_related("municipality")
        }


def numbers(items):
    return [item.number for item in items]


def sample_xml() -> str:
    return (DATA / "vrejcelk-sample.xml").read_text(encoding="utf-8")


# --- Czech register, XML --------------------------------------------------------------------


def test_import_creates_the_territory_schools_with_kind_levels_and_municipality(cast):
    alfov = cast.territory_a
    village = Territory.objects.get(code="980101")
    report = plan(alfov, "vrejcelk-sample.xml", "cz_xml")

    assert report.usable
    assert [i.identifier for i in report.created] == [
        "699980001",
        "699980002",
        "699980003",
        "699980004",
    ]
    assert numbers(report.skipped_outside) == [5, 6]
    assert "Outside Alfov" in report.skipped[0].reason
    assert "9802" in report.skipped[0].reason
    assert organisations(alfov) == {}  # planning writes nothing

    registers.apply_import(report, acting_user=cast.user("a_coordinator"))

    found = organisations(alfov)
    school = found["699980001"]
    assert school.name == "Základní škola a mateřská škola Alfov-ves, příspěvková organizace"
    assert school.short_name == "ZŠ a MŠ Alfov-ves"
    assert school.kind == OrganisationKind.PRIMARY_SCHOOL
    assert school.education_levels == [EducationLevel.PRESCHOOL, EducationLevel.PRIMARY]
    assert school.municipality == village
    assert school.ico == "99980001"
    assert school.izo == "199980011 199980012 199980013 199980014"
    assert school.founder == "Obec Alfov-ves"
    assert school.address == "Školní 12, 998 01 Alfov-ves"
    assert school.email == "skola@zs-alfov.example"
    assert school.source == Source.CZ_REGISTER
    assert school.register_values["name"] == school.name
    assert found["699980002"].kind == OrganisationKind.KINDERGARTEN
    assert found["699980003"].kind == OrganisationKind.COUNSELLING_CENTRE
    assert found["699980004"].kind == OrganisationKind.SECONDARY_SCHOOL
    # No ORP in the record: placed by its municipality's name.
    assert found["699980004"].municipality == village


def test_heads_and_founders_who_are_people_are_not_imported(cast):
    report = plan(cast.territory_a, "vrejcelk-sample.xml", "cz_xml")
    registers.apply_import(report, acting_user=None)

    private = organisations(cast.territory_a)["699980002"]
    assert private.founder == ""
    stored = json.dumps([o.register_values for o in organisations(cast.territory_a).values()])
    for person in ("Zkušební", "Ukázková", "Vymyšlený", "Neskutečný", "Smyšlená"):
        assert person not in stored


def test_import_leaves_an_audit_trail_naming_the_user(cast):
    user = cast.user("a_coordinator")
    registers.apply_import(
        plan(cast.territory_a, "vrejcelk-sample.xml", "cz_xml"), acting_user=user
    )

    entries = LogEntry.objects.get_for_model(Organisation).filter(
        additional_data__territory=cast.territory_a.pk
    )
    assert entries.count() == 4
    assert {entry.actor for entry in entries} == {user}


def test_importing_the_same_file_again_changes_nothing(cast):
    alfov = cast.territory_a
    registers.apply_import(plan(alfov, "vrejcelk-sample.xml", "cz_xml"), acting_user=None)
    entries = LogEntry.objects.get_for_model(Organisation).count()

    again = plan(alfov, "vrejcelk-sample.xml", "cz_xml")
    assert again.usable
    assert (again.created, again.updated, again.conflicts) == ([], [], [])
    assert numbers(again.unchanged) == [1, 2, 3, 4]

    registers.apply_import(again, acting_user=None)
    assert LogEntry.objects.get_for_model(Organisation).count() == entries
    assert len(organisations(alfov)) == 4


def test_a_change_in_the_register_is_an_update_with_the_change_listed(cast):
    alfov = cast.territory_a
    registers.apply_import(plan(alfov, "vrejcelk-sample.xml", "cz_xml"), acting_user=None)
    changed = sample_xml().replace("skola@zs-alfov.example", "info@zs-alfov.example")

    report = plan(alfov, changed.encode(), "cz_xml")

    assert numbers(report.updated) == [1]
    assert report.updated[0].changes == [
        ("e-mail", "skola@zs-alfov.example", "info@zs-alfov.example")
    ]
    registers.apply_import(report, acting_user=None)
    assert organisations(alfov)["699980001"].email == "info@zs-alfov.example"


def test_a_value_edited_by_hand_is_kept_and_shown_as_a_conflict(cast):
    alfov = cast.territory_a
    registers.apply_import(plan(alfov, "vrejcelk-sample.xml", "cz_xml"), acting_user=None)
    with scope(territory=alfov):
        school = Organisation.objects.get(red_izo="699980001")
        school.short_name = "Naše škola"
        school.save()

    # The register did not change: the hand edit simply stays.
    report = plan(alfov, "vrejcelk-sample.xml", "cz_xml")
    assert report.conflicts == []
    assert numbers(report.unchanged) == [1, 2, 3, 4]

    # The register now says something else: shown, not applied.
    changed = sample_xml().replace(
        "<RedZkracenyNazev>ZŠ a MŠ Alfov-ves", "<RedZkracenyNazev>ZŠ a MŠ Alfov"
    )
    report = plan(alfov, changed.encode(), "cz_xml")
    assert numbers(report.conflicts) == [1]
    assert report.conflicts[0].conflicts == [("short name", "Naše škola", "ZŠ a MŠ Alfov")]
    registers.apply_import(report, acting_user=None)
    assert organisations(alfov)["699980001"].short_name == "Naše škola"

    # Shown once: the same file again reports nothing new.
    again = plan(alfov, changed.encode(), "cz_xml")
    assert (again.conflicts, again.updated) == ([], [])


def test_an_organisation_entered_by_hand_is_matched_by_its_identifier(cast):
    alfov = cast.territory_a
    with scope(territory=alfov):
        Organisation.objects.create(
            territory=alfov,
            name="ZŠ Alfov",
            kind=OrganisationKind.PRIMARY_SCHOOL,
            red_izo="699980001",
        )

    report = plan(alfov, "vrejcelk-sample.xml", "cz_xml")
    assert numbers(report.created) == [2, 3, 4]
    [item] = report.conflicts
    assert (
        "name",
        "ZŠ Alfov",
        "Základní škola a mateřská škola Alfov-ves, příspěvková organizace",
    ) in item.conflicts
    assert ("e-mail", "", "skola@zs-alfov.example") in item.changes

    registers.apply_import(report, acting_user=None)
    with scope(territory=alfov):
        [school] = Organisation.objects.filter(red_izo="699980001")
    assert school.name == "ZŠ Alfov"
    assert school.email == "skola@zs-alfov.example"
    assert school.source == Source.CZ_REGISTER


def test_a_truncated_file_is_unusable_and_nothing_is_written(cast):
    report = plan(cast.territory_a, "vrejcelk-truncated.xml", "cz_xml")

    assert not report.usable
    [problem] = report.problems
    assert (problem.where, problem.number) == ("line 121", 121)
    assert "line 121" in problem.message
    assert report.created == []
    with pytest.raises(ValueError):
        registers.apply_import(report, acting_user=None)
    assert organisations(cast.territory_a) == {}


def test_a_malformed_number_makes_the_whole_file_unusable(cast):
    report = plan(cast.territory_a, "vrejcelk-bad-number.xml", "cz_xml")

    assert not report.usable
    assert [(p.where, p.message) for p in report.problems] == [
        ("record 4", "IČO “9998O004” is not a valid number.")
    ]
    # The malformed record from elsewhere is only skipped.
    assert numbers(report.skipped_outside) == [5, 6]
    with pytest.raises(ValueError):
        registers.apply_import(report, acting_user=None)
    assert organisations(cast.territory_a) == {}


def test_a_file_that_is_not_the_register_is_refused():
    with pytest.raises(registers.RegisterFileError):
        list(registers.parse_cz_register_xml(io.BytesIO(b"<Export><Row/></Export>")))
    with pytest.raises(registers.RegisterFileError):
        list(registers.parse_cz_register_xml(io.BytesIO(b'{"list": []}')))


def test_a_windows_1250_file_keeps_its_diacritics():
    text = sample_xml().replace('encoding="UTF-8"', 'encoding="windows-1250"')
    records = list(registers.parse_cz_register_xml(io.BytesIO(text.encode("cp1250"))))

    names = [r.name for r in records]
    assert "Mateřská škola Čejkovice nad Řekou" in names
    assert records[0].address == "Školní 12, 998 01 Alfov-ves"
    utf8 = list(registers.parse_cz_register_xml(io.BytesIO(sample_xml().encode())))
    assert records == utf8


def test_the_xml_parser_keeps_memory_flat_on_a_large_file(tmp_path):
    """20,000 legal entities (the national file has ~15,000) parse in bounded memory.

    Memory is sampled with sys.getallocatedblocks() (Python's small-object allocator: every
    element, string and record): tracemalloc would make this test seven times slower. Keeping
    the parsed tree instead of clearing it shows as some 470,000 blocks here.
    """
    path = tmp_path / "vrejcelk.xml"
    record = (
        "<PravniSubjekt><RedIzo>{n:09d}</RedIzo><ICO>{n:08d}</ICO><Reditelstvi>"
        "<RedPlnyNazev>Základní škola číslo {n}</RedPlnyNazev><RedAdresa1>Školní {n}</RedAdresa1>"
        "<RedAdresa2>998 01 Alfov-ves</RedAdresa2><ORP>9801</ORP></Reditelstvi><SkolyZarizeni>"
        "<SkolaZarizeni><IZO>{n:09d}</IZO><SkolaDruhTyp>B00</SkolaDruhTyp></SkolaZarizeni>"
        "</SkolyZarizeni></PravniSubjekt>\n"
    )
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<ExportDat>\n')
        out.writelines(record.format(n=n) for n in range(1, 20001))
        out.write("</ExportDat>\n")
    assert path.stat().st_size > 4_000_000

    gc.collect()
    baseline = sys.getallocatedblocks()
    peak = count = 0
    last = None
    with open(path, "rb") as fileobj:
        for record in registers.parse_cz_register_xml(fileobj):
            count += 1
            last = record.red_izo
            if count % 500 == 0:
                peak = max(peak, sys.getallocatedblocks() - baseline)
    assert (count, last) == (20000, "000020000")
    assert peak < 20_000  # blocks of at most 512 bytes: well under 10 MB


# --- Czech register, JSON-LD ----------------------------------------------------------------


def test_jsonld_import_places_records_by_orp_code_or_name(cast):
    report = plan(cast.territory_a, "rssz-sample.jsonld", "cz_jsonld")

    assert report.usable
    assert [i.identifier for i in report.created] == ["699980011", "699980012"]
    assert [(i.number, i.reason_code) for i in report.skipped] == [
        (3, "no_identifier"),
        (4, "outside"),
    ]
    registers.apply_import(report, acting_user=None)
    found = organisations(cast.territory_a)
    assert found["699980011"].address == "Polní 8, 998 01 Alfov-ves"
    assert found["699980011"].izo == "199980111 199980112"
    assert found["699980012"].kind == OrganisationKind.KINDERGARTEN
    assert found["699980012"].founder == ""  # a natural person


def test_a_czech_file_cannot_go_into_a_polish_territory(cast):
    report = plan(cast.territory_b, "vrejcelk-sample.xml", "cz_xml")
    assert not report.usable
    assert "another country" in report.problems[0].message


# --- Polish RSPO ----------------------------------------------------------------------------


def test_rspo_api_page_imports_the_gmina_placowki(cast):
    betow = cast.territory_b
    report = plan(betow, "rspo-sample.json", "pl_rspo_json")

    assert report.usable
    assert [i.identifier for i in report.created] == ["990001", "990002", "990003", "990004"]
    [outside] = report.skipped
    assert outside.identifier == "990005"
    assert "Outside Betów" in outside.reason

    registers.apply_import(report, acting_user=None)
    found = organisations(betow)
    school = found["990001"]
    assert school.kind == OrganisationKind.PRIMARY_SCHOOL
    assert school.education_levels == [EducationLevel.PRESCHOOL, EducationLevel.PRIMARY]
    assert school.municipality == betow
    assert school.regon == "999800011"
    assert school.pupils == 214
    assert (school.latitude, school.longitude) == (Decimal("51.11234"), Decimal("19.40456"))
    assert school.web == "http://www.sp1-betow.example"
    assert school.short_name == "SP 1 Betów"
    assert school.source == Source.PL_RSPO
    assert found["990002"].kind == OrganisationKind.KINDERGARTEN
    assert found["990003"].kind == OrganisationKind.COUNSELLING_CENTRE
    assert found["990004"].active is False


def test_rspo_plain_list_answer_is_read_too(cast):
    page = json.loads((DATA / "rspo-sample.json").read_text(encoding="utf-8"))
    listing = json.dumps(page["hydra:member"]).encode()

    report = plan(cast.territory_b, listing, "pl_rspo_json")
    assert [i.identifier for i in report.created] == ["990001", "990002", "990003", "990004"]


def test_rspo_csv_export_with_or_without_bom_and_either_separator(cast):
    raw = (DATA / "rspo-sample.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    comma = raw.decode("utf-8-sig").replace(";", ",").encode()

    for content in (raw, raw[3:], comma):
        report = plan(cast.territory_b, content, "pl_rspo_csv")
        assert report.usable
        assert [(i.number, i.identifier) for i in report.created] == [
            (2, "990001"),
            (3, "990002"),
            (4, "990006"),
        ]
        assert [(i.number, i.reason_code) for i in report.skipped] == [
            (5, "outside"),
            (6, "duplicate"),
        ]
    assert "line 3" in report.skipped[1].reason

    registers.apply_import(report, acting_user=None)
    found = organisations(cast.territory_b)
    assert found["990001"].phone == "999100201"
    assert found["990001"].regon == "999800011"
    assert found["990006"].founder == ""  # run by a natural person


def test_a_csv_without_the_register_columns_is_refused(cast):
    report = plan(cast.territory_b, "Nazwa;Adres\r\nSzkoła;Betów\r\n".encode(), "pl_rspo_csv")
    assert not report.usable
    assert "Numer RSPO" in report.problems[0].message


def test_a_malformed_csv_row_is_reported_with_its_line(cast):
    raw = (DATA / "rspo-sample.csv").read_text(encoding="utf-8-sig")
    broken = raw.replace(";75;", ";siedemdziesiąt;").encode()

    report = plan(cast.territory_b, broken, "pl_rspo_csv")
    assert not report.usable
    [problem] = report.problems
    assert problem.where == "line 3"
    assert "siedemdziesiąt" in problem.message


def _placowka(rspo, **fields):
    return {
        "numerRspo": rspo,
        "nazwa": f"Szkoła Podstawowa nr {rspo}",
        "typ": {"nazwa": "Szkoła podstawowa"},
        **fields,
    }


def test_teryt_codes_that_lost_their_leading_zeros_are_read_whole():
    listing = [_placowka(1, wojewodztwoKodTERYT=2, powiatKodTERYT=201, gminaKodTERYT=201011)]
    [record] = registers.parse_rspo_json(io.BytesIO(json.dumps(listing).encode()))
    assert (record.powiat_code, record.municipality_code) == ("0201", "0201011")


def test_the_town_and_countryside_of_an_urban_rural_gmina_belong_to_it(db):
    gmina = Territory.objects.create(
        country="PL", kind=TerritoryKind.PL_GMINA, code="9803013", name="Dębowo"
    )
    listing = [
        _placowka(11, powiatKodTERYT="9803", gminaKodTERYT="9803014"),  # the town
        _placowka(12, powiatKodTERYT="9803", gminaKodTERYT="9803015"),  # the countryside
        _placowka(13, powiatKodTERYT="9803", gminaKodTERYT="9803022"),  # another gmina
    ]
    report = plan(gmina, json.dumps(listing).encode(), "pl_rspo_json")
    assert [i.identifier for i in report.created] == ["11", "12"]
    assert [i.identifier for i in report.skipped_outside] == ["13"]


def test_an_edit_made_after_the_preview_is_not_overwritten(cast):
    alfov = cast.territory_a
    registers.apply_import(plan(alfov, "vrejcelk-sample.xml", "cz_xml"), acting_user=None)
    changed = sample_xml().replace("skola@zs-alfov.example", "info@zs-alfov.example")
    report = plan(alfov, changed.encode(), "cz_xml")
    with scope(territory=alfov):
        school = Organisation.objects.get(red_izo="699980001")
        school.email = "reditel@zs-alfov.example"
        school.save()

    registers.apply_import(report, acting_user=None)
    assert organisations(alfov)["699980001"].email == "reditel@zs-alfov.example"


def test_detect_format_from_name_and_first_bytes():
    assert registers.detect_format("vrejcz051.xml", b'<?xml version="1.0"?>') == "cz_xml"
    assert registers.detect_format("RSSZ.jsonld", b'{"@context": "http://msmt.cz/"') == (
        "cz_jsonld"
    )
    assert registers.detect_format("placowki.json", b'{"@context": "/api/contexts"') == (
        "pl_rspo_json"
    )
    assert registers.detect_format("export.csv", "\ufeffNumer RSPO;REGON".encode()) == (
        "pl_rspo_csv"
    )
    assert registers.detect_format("notes.txt", b"hello") is None


# --- the demo files -------------------------------------------------------------------------


def _demo_cz():
    zelenov = Territory.objects.create(
        country="CZ", kind=TerritoryKind.CZ_ORP, code="9991", code_ruian="9990", name="Zelenov"
    )
    for code, name in [
        ("999101", "Zelenov"),
        ("999102", "Dolní Zelenov"),
        ("999103", "Habrovice"),
        ("999104", "Kamenná Lhota"),
        ("999105", "Mlýnec"),
        ("999106", "Sedlice u Zelenova"),
    ]:
        Territory.objects.create(
            country="CZ", kind=TerritoryKind.CZ_OBEC, code=code, name=name, parent=zelenov
        )
    return zelenov


def test_demo_register_file_of_zelenov(db):
    zelenov = _demo_cz()
    with open(DEMO / "zelenov-rssz.xml", "rb") as fileobj:
        report = registers.plan_import(zelenov, fileobj, "cz_xml")

    assert report.usable
    assert len(report.created) == 11
    assert len(report.skipped_outside) == 2
    registers.apply_import(report, acting_user=None)
    found = organisations(zelenov).values()
    assert all(o.municipality is not None for o in found)
    assert {o.municipality.name for o in found} == {
        "Zelenov",
        "Dolní Zelenov",
        "Habrovice",
        "Kamenná Lhota",
        "Mlýnec",
        "Sedlice u Zelenova",
    }
    kinds = {o.kind for o in found}
    assert {
        OrganisationKind.PRIMARY_SCHOOL,
        OrganisationKind.KINDERGARTEN,
        OrganisationKind.SECONDARY_SCHOOL,
        OrganisationKind.COUNSELLING_CENTRE,
    } <= kinds


def test_demo_rspo_file_of_zielonow(db):
    powiat = Territory.objects.create(
        country="PL", kind=TerritoryKind.PL_POWIAT, code="9901", name="Powiat zielonowski"
    )
    for code, name in [
        ("9901011", "Zielonów"),
        ("9901022", "Olszynka Górna"),
        ("9901032", "Brzozowa Wola"),
    ]:
        Territory.objects.create(
            country="PL", kind=TerritoryKind.PL_GMINA, code=code, name=name, parent=powiat
        )
    with open(DEMO / "zielonow-rspo.json", "rb") as fileobj:
        report = registers.plan_import(powiat, fileobj, "pl_rspo_json")

    assert report.usable
    assert len(report.created) == 6
    assert len(report.skipped_outside) == 1
    registers.apply_import(report, acting_user=None)
    found = organisations(powiat).values()
    assert {o.municipality.code for o in found} == {"9901011", "9901022", "9901032"}
    assert all(o.has_location for o in found)


# --- the command ----------------------------------------------------------------------------


def test_command_dry_run_prints_the_report_and_writes_nothing(cast):
    out = io.StringIO()
    call_command(
        "import_register", "alfov", str(DATA / "vrejcelk-sample.xml"), "--dry-run", stdout=out
    )

    printed = out.getvalue()
    assert "Created 4, updated 0, unchanged 0, conflicts 0, skipped 2, problems 0." in printed
    assert "record 5: Základní škola Betlémov" in printed
    assert "Dry run: nothing was written." in printed
    assert organisations(cast.territory_a) == {}


def test_command_writes_the_import(cast):
    call_command(
        "import_register",
        "betow",
        str(DATA / "rspo-sample.csv"),
        "--format",
        "pl_rspo_csv",
        stdout=io.StringIO(),
    )
    assert sorted(organisations(cast.territory_b)) == ["990001", "990002", "990006"]


def test_command_fails_on_a_broken_file(cast):
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_register", "alfov", str(DATA / "vrejcelk-truncated.xml"), stdout=out)
    assert "line 121: The XML file is broken" in out.getvalue()
    assert organisations(cast.territory_a) == {}


# --- values of the wrong type ---------------------------------------------------------------

# One record with every field the JSON parsers read, and nothing else.
CZ_FULL = {
    "redIzo": "699980021",
    "ico": "99980021",
    "uplnyNazev": "Základní škola Alfov-ves, Lipová 3",
    "zkracenyNazev": "ZŠ Lipová",
    "adresa": {
        "ulice": "Lipová",
        "cisloDomovni": 3,
        "cisloOrientacni": "5",
        "dodatekOrientacnihoCisla": "a",
        "castObce": "Alfov-ves",
        "obec": "Alfov-ves",
        "cisloObvoduPrahy": "",
        "psc": "998 01",
        "uzemiDleORP": "9801",
    },
    "emaily": ["lipova@zs-alfov.example"],
    "zrizovatele": [{"druhOsoby": "PO", "nazevOsoby": "Obec Alfov-ves"}],
    "skolyAZarizeni": [{"izo": "199980211", "druh": "B00", "uplnyNazev": "Základní škola"}],
}
PL_FULL = {
    "numerRspo": 990021,
    "nazwa": "Szkoła Podstawowa nr 2 w Betowie",
    "nazwaSkrocona": "SP 2",
    "regon": "999800211",
    "typ": {"nazwa": "Szkoła podstawowa"},
    "etapyEdukacji": [{"nazwa": "I etap edukacyjny"}, "II etap edukacyjny"],
    "liczbaUczniow": 120,
    "wojewodztwoKodTERYT": "98",
    "powiatKodTERYT": "9802",
    "gminaKodTERYT": "9802012",
    "gminaRodzajKod": "2",
    "gmina": "Betów",
    "miejscowosc": "Betów",
    "ulica": "ul. Polna",
    "numerBudynku": "7",
    "numerLokalu": "1",
    "kodPocztowy": "99-201",
    "poczta": "Betów",
    "geolokalizacja": {"latitude": 51.1, "longitude": 19.4},
    "telefon": "999 100 211",
    "email": "sp2@betow.example",
    "stronaInternetowa": "sp2.betow.example",
    "dataLikwidacji": None,
    "podmiotProwadzacy": [{"nazwa": "Gmina Betów", "typ": {"nazwa": "Gmina"}}],
    "organProwadzacyNazwa": "Gmina Betów",
    "organProwadzacyTyp": "Gmina",
}
JSON_CASES = [
    ("cz_jsonld", CZ_FULL, lambda record: {"list": [record]}),
    ("pl_rspo_json", PL_FULL, lambda record: {"hydra:member": [record]}),
]
WRONG = [5, True, "x", [], {}, None, 1.5, 10**12, [5], {"a": 1}]


def _paths(value, path=()):
    """Every place in a JSON value: the value itself, each key of an object, each element."""
    yield path
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*path, index))


def _replaced(value, path, new):
    if not path:
        return new
    copy = json.loads(json.dumps(value))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return copy


def _items(format_code, content: bytes):
    """What the parser yields, or None when it refuses the file (the only exception allowed)."""
    try:
        return list(registers.FORMATS[format_code][1](io.BytesIO(content)))
    except registers.RegisterFileError:
        return None


@pytest.mark.parametrize("format_code, full, wrap", JSON_CASES, ids=["cz", "pl"])
def test_the_full_records_read_cleanly(format_code, full, wrap):
    [record] = _items(format_code, json.dumps(wrap(full)).encode())
    assert isinstance(record, registers.RegisterRecord)
    assert record.name and record.key and record.founder and record.email and record.address
    assert record.education_levels == [EducationLevel.PRIMARY]


@pytest.mark.parametrize("format_code, full, wrap", JSON_CASES, ids=["cz", "pl"])
def test_a_value_of_the_wrong_type_anywhere_is_a_numbered_problem(format_code, full, wrap):
    for path in _paths(full):
        original = _value_at(full, path)
        for wrong in WRONG:
            items = _items(format_code, json.dumps(wrap(_replaced(full, path, wrong))).encode())
            assert items is not None, (path, wrong)
            assert all(
                isinstance(item, registers.RegisterRecord | registers.RecordProblem)
                for item in items
            )
            problems = [item for item in items if isinstance(item, registers.RecordProblem)]
            assert all(problem.number == 1 for problem in problems), (path, wrong)
            # A value of the wrong type is reported wherever the record is.
            assert all(p.record is None for p in problems if "expected" in p.message)
            # Never accepted: true/false anywhere, an array or object where text belongs (an
            # education stage may be its name or a {"nazwa": …} object).
            scalar = isinstance(original, str | int | float) and not isinstance(original, bool)
            scalar = scalar and not (path[:1] == ("etapyEdukacji",) and len(path) == 2)
            if wrong is True or (scalar and isinstance(wrong, list | dict)):
                assert problems, (path, wrong)


def _value_at(value, path):
    for step in path:
        value = value[step]
    return value


def test_a_misshapen_record_makes_the_file_unusable_with_its_number(cast):
    for payload, message in [
        (
            {"list": [CZ_FULL, {"redIzo": "600000001", "skolyAZarizeni": 5}]},
            "skolyAZarizeni: expected array, found number.",
        ),
        (
            {"list": [{**CZ_FULL, "emaily": {"a": "b"}}]},
            "emaily: expected array or string, found object.",
        ),
        (
            {"list": [{**CZ_FULL, "zrizovatele": [{"nazevOsoby": "Obec"}, "Obec"]}]},
            "zrizovatele[2]: expected object, found string.",
        ),
    ]:
        report = plan(cast.territory_a, json.dumps(payload).encode(), "cz_jsonld")
        assert not report.usable
        assert [(p.where, p.message) for p in report.problems][-1][1] == message
        assert report.problems[-1].where == f"record {len(payload['list'])}"
        assert report.created == []
    report = plan(
        cast.territory_b,
        json.dumps([{**PL_FULL, "podmiotProwadzacy": 5}]).encode(),
        "pl_rspo_json",
    )
    assert [(p.where, p.message) for p in report.problems] == [
        ("record 1", "podmiotProwadzacy: expected array or object, found number.")
    ]


def test_the_import_page_shows_a_misshapen_record_instead_of_failing(cast, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client = client_for(cast.user("a_coordinator"))
    payload = {"list": [{"redIzo": "600000001", "uplnyNazev": "X", "skolyAZarizeni": 5}]}
    response = client.post(
        reverse("actors:register-import", args=["alfov"]),
        {
            "file": SimpleUploadedFile("x.jsonld", json.dumps(payload).encode()),
            "format": "cz_jsonld",
        },
    )
    assert response.status_code == 200
    assert "skolyAZarizeni: expected array, found number." in response.content.decode()
    assert organisations(cast.territory_a) == {}


def test_json_the_parser_cannot_hold_is_refused_as_a_file():
    huge = b'{"list": [{"redIzo": ' + b"1" * 5000 + b"}]}"
    deep = b'{"list": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    for content in (huge, deep):
        assert _items("cz_jsonld", content) is None
        assert _items("pl_rspo_json", content) is None


def test_a_number_of_pupils_the_database_cannot_keep_is_a_problem():
    for pupils in (10**12, "9" * 5000, -5):
        [problem] = _items(
            "pl_rspo_json", json.dumps([{**PL_FULL, "liczbaUczniow": pupils}]).encode()
        )
        assert isinstance(problem, registers.RecordProblem)
        assert "number of pupils" in problem.message


_XML_FULL = """<?xml version="1.0" encoding="UTF-8"?>
<ExportDat><PravniSubjekt><RedIzo>699980001</RedIzo><ICO>99980001</ICO><Reditelstvi>
<RedPlnyNazev>Základní škola Alfov-ves</RedPlnyNazev><RedZkracenyNazev>ZŠ</RedZkracenyNazev>
<RedAdresa1>Školní 12</RedAdresa1><RedAdresa2>998 01 Alfov-ves</RedAdresa2><RedAdresa3/>
<ORP>9801</ORP><Email1>skola@zs-alfov.example</Email1><Zrizovatele><Zrizovatel>
<ZrizNazev>Obec Alfov-ves</ZrizNazev><ZrizICO>99980100</ZrizICO></Zrizovatel></Zrizovatele>
</Reditelstvi><SkolyZarizeni><SkolaZarizeni><IZO>199980011</IZO>
<SkolaPlnyNazev>Základní škola</SkolaPlnyNazev><SkolaDruhTyp>B00</SkolaDruhTyp>
</SkolaZarizeni></SkolyZarizeni></PravniSubjekt></ExportDat>
"""
XML_WRONG = ["5", "true", "x", "", "[]", "{}", "<a>1</a>", "<a/><b>x</b>", "9" * 5000]


def test_the_xml_and_csv_parsers_take_any_value_anywhere():
    from xml.etree import ElementTree

    [record] = _items("cz_xml", _XML_FULL.encode())
    assert isinstance(record, registers.RegisterRecord) and record.founder and record.email
    count = len(list(ElementTree.fromstring(_XML_FULL).iter()))
    for index in range(1, count):
        for wrong in XML_WRONG:
            root = ElementTree.fromstring(_XML_FULL)
            element = list(root.iter())[index]
            for child in list(element):
                element.remove(child)
            element.text = None
            fragment = ElementTree.fromstring(f"<w>{wrong}</w>")
            element.text = fragment.text
            element.extend(list(fragment))
            items = _items("cz_xml", ElementTree.tostring(root))
            assert items is not None, (element.tag, wrong)
            assert all(getattr(item, "number", None) == 1 for item in items), (element.tag, wrong)

    lines = (DATA / "rspo-sample.csv").read_text(encoding="utf-8-sig").splitlines()
    header, row = lines[0], lines[1].split(";")
    for column in range(len(row)):
        for wrong in [*XML_WRONG, '="5"', '"x;y"', "\x00"]:
            cells = [*row[:column], wrong, *row[column + 1 :]]
            content = f"{header}\n{';'.join(cells)}\n".encode()
            items = _items("pl_rspo_csv", content)
            if items is None:
                continue
            assert all(getattr(item, "number", None) == 2 for item in items), (column, wrong)


def test_whatever_the_json_holds_the_import_plans_and_writes_without_failing(cast):
    """The same walk through planning and writing: what the parsers let through is stored."""
    for (format_code, full, wrap), territory in zip(
        JSON_CASES, (cast.territory_a, cast.territory_b), strict=True
    ):
        for path in _paths(full):
            for wrong in WRONG:
                content = json.dumps(wrap(_replaced(full, path, wrong))).encode()
                report = plan(territory, content, format_code)
                assert all(problem.number == 1 for problem in report.problems)
                if report.usable:
                    registers.apply_import(report, acting_user=None)
        # A key replaced by a number is another (padded) key: another organisation.
        assert full_key(full) in organisations(territory)


def full_key(record):
    return str(record.get("redIzo") or record.get("numerRspo"))


# --- organisations entered by hand without the register's number ----------------------------


def _by_hand(territory, **values):
    with scope(territory=territory):
        return Organisation.objects.create(
            territory=territory, kind=OrganisationKind.PRIMARY_SCHOOL, **values
        )


def test_an_organisation_entered_by_hand_with_the_same_ico_gets_the_red_izo(cast):
    alfov = cast.territory_a
    school = _by_hand(alfov, name="ZŠ Alfov", ico="99980001")

    report = plan(alfov, "vrejcelk-sample.xml", "cz_xml")
    assert numbers(report.created) == [2, 3, 4]
    [item] = report.conflicts
    assert (item.organisation_id, item.name, item.identifier) == (
        school.pk,
        "ZŠ Alfov",
        "699980001",
    )
    assert ("RED_IZO", "", "699980001") in item.changes
    assert ("e-mail", "", "skola@zs-alfov.example") in item.changes
    assert (
        "name",
        "ZŠ Alfov",
        "Základní škola a mateřská škola Alfov-ves, příspěvková organizace",
    ) in item.conflicts
    out = io.StringIO()
    call_command(
        "import_register", "alfov", str(DATA / "vrejcelk-sample.xml"), "--dry-run", stdout=out
    )
    assert "RED_IZO: “” → “699980001”" in out.getvalue()

    registers.apply_import(report, acting_user=None)
    found = organisations(alfov)
    assert len(found) == 4
    school = found["699980001"]
    assert (school.name, school.ico, school.email) == (
        "ZŠ Alfov",
        "99980001",
        "skola@zs-alfov.example",
    )
    assert school.source == Source.CZ_REGISTER
    again = plan(alfov, "vrejcelk-sample.xml", "cz_xml")
    assert (again.created, again.updated, again.conflicts) == ([], [], [])


def test_a_placowka_entered_by_hand_with_the_same_regon_gets_the_rspo_number(cast):
    betow = cast.territory_b
    _by_hand(betow, name="Szkoła Podstawowa nr 1 im. Marii Zmyślonej w Betowie", regon="999800011")

    report = plan(betow, "rspo-sample.json", "pl_rspo_json")
    assert [i.identifier for i in report.created] == ["990002", "990003", "990004"]
    [item] = report.updated
    assert ("RSPO number", "", "990001") in item.changes
    registers.apply_import(report, acting_user=None)
    assert sorted(organisations(betow)) == ["990001", "990002", "990003", "990004"]
    assert organisations(betow)["990001"].pupils == 214


def test_two_organisations_with_the_same_ico_skip_the_record(cast):
    alfov = cast.territory_a
    first = _by_hand(alfov, name="ZŠ Alfov", ico="99980001")
    second = _by_hand(alfov, name="ZŠ Alfov-ves", ico="99980001")

    report = plan(alfov, "vrejcelk-sample.xml", "cz_xml")
    assert report.usable
    assert numbers(report.created) == [2, 3, 4]
    [skipped] = report.skipped_other
    assert (skipped.number, skipped.reason_code) == (1, "ambiguous")
    assert skipped.reason == (
        "Several organisations have IČO 99980001 and no RED_IZO; set the RED_IZO on the right one."
    )
    out = io.StringIO()
    call_command(
        "import_register", "alfov", str(DATA / "vrejcelk-sample.xml"), "--dry-run", stdout=out
    )
    assert "record 1: " in out.getvalue() and "Several organisations have IČO" in out.getvalue()

    registers.apply_import(report, acting_user=None)
    with scope(territory=alfov):
        assert Organisation.objects.filter(ico="99980001").count() == 2
        assert {o.red_izo for o in Organisation.objects.filter(pk__in=[first.pk, second.pk])} == {
            ""
        }


def test_two_records_for_one_organisation_entered_by_hand_are_skipped(cast):
    alfov = cast.territory_a
    _by_hand(alfov, name="ZŠ Lipová", ico="99980021")
    twin = {**CZ_FULL, "redIzo": "699980022", "uplnyNazev": "ZŠ Lipová, odloučené pracoviště"}

    report = plan(alfov, json.dumps({"list": [CZ_FULL, twin]}).encode(), "cz_jsonld")
    assert report.usable
    assert [(i.number, i.reason_code) for i in report.skipped] == [
        (1, "ambiguous"),
        (2, "ambiguous"),
    ]
    assert "Several records of the file have IČO 99980021" in report.skipped[0].reason
    assert (report.created, report.updated, report.conflicts) == ([], [], [])


def test_an_organisation_with_another_red_izo_is_not_matched_by_its_ico(cast):
    alfov = cast.territory_a
    _by_hand(alfov, name="ZŠ Alfov", ico="99980001", red_izo="699980099")

    report = plan(alfov, "vrejcelk-sample.xml", "cz_xml")
    assert numbers(report.created) == [1, 2, 3, 4]


def test_a_red_izo_taken_since_the_preview_is_not_given_twice(cast):
    alfov = cast.territory_a
    school = _by_hand(alfov, name="ZŠ Alfov", ico="99980001")
    report = plan(alfov, "vrejcelk-sample.xml", "cz_xml")
    _by_hand(alfov, name="Škola", red_izo="699980001")

    registers.apply_import(report, acting_user=None)
    school.refresh_from_db()
    assert (school.red_izo, school.email) == ("", "")
