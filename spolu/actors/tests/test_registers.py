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
