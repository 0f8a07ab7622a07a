"""Demo platforms for Zelenov: a plenary, two thematic groups and the counselling centre's
weekly meeting with the schools, with a year of history and the next meetings.

Texts are invented for the demo. Dates are counted from today, so the demo stays current: the
past meetings have agendas, minutes, attendance and decisions with tasks (some done on time,
some late, two open past their due date), and one organisation of the plenary stopped coming in
the last three meetings, so that "Is cooperation real?" has something to show. No e-mail is
sent: minutes are closed by setting `closed_at`, never through `do_close_meeting`.
"""

import datetime
import zoneinfo
from typing import NamedTuple

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.utils import timezone, translation
from django.utils.html import escape
from django_scopes import scope

from spolu.actors.models import Organisation, OrganisationKind, Person, Position
from spolu.plans.models import Measure, PlanStatus, Task, TaskStatus
from spolu.territories.models import Territory

from . import recurrence, services
from .models import (
    AgendaKind,
    AttendanceStatus,
    Decision,
    Meeting,
    MeetingStatus,
    Platform,
    PlatformKind,
)

K = OrganisationKind
P = Position
A = AttendanceStatus


class TaskSpec(NamedTuple):
    title: str
    owner_kind: str
    due_days: int  # after the meeting
    measure_code: str | None = None


class TopicSpec(NamedTuple):
    title: str
    minutes: str
    decision: str | None = None
    task: TaskSpec | None = None


class PlatformSpec(NamedTuple):
    name: str
    kind: str
    purpose: str
    rule: tuple  # recurrence.build_rule arguments
    time: datetime.time
    duration: int
    history: relativedelta  # how far back the series starts
    member_kinds: tuple
    preferred_positions: tuple  # who represents an organisation at the meetings
    place: str
    online_link: str
    topic_kind: str
    topics: list
    stopped_kind: tuple = ()  # kinds, first found stops coming in the last three meetings
    late_every: int = 0  # every n-th task due in the past was done late
    overdue_from_end: int = 0  # the task of the n-th last meeting held stays open past due


PLENARY = "Pracovní skupina pro inkluzi"
ABSENCE = "Skupina pro vysokou absenci"
LEGISLATION = "Legislativní novinky"
COUNSELLING = "PPP a školy"

SCHOOLS = (K.PRIMARY_SCHOOL, K.SECONDARY_SCHOOL)

PLENARY_TOPICS = [
    TopicSpec(
        "Zápis do mateřských škol u rodin, které se neozvou",
        "<p>Mateřské školy porovnaly loňské zápisy: z ulic u nádraží nepřišla k zápisu skoro "
        "třetina dětí narozených v daném roce. Terénní pracovnice se nabídly, že rodiny "
        "navštíví dva týdny předem a na zápis je doprovodí.</p>"
        "<p>OSPOD doporučil předávat pozvánku osobně, dopis rodiny často nevyzvednou.</p>",
        "Terénní pracovnice navštíví před zápisem rodiny dětí, které zatím do MŠ nechodí.",
        TaskSpec("Sestavit seznam rodin k návštěvě před zápisem", K.NGO, 28, "1.1"),
    ),
    TopicSpec(
        "Doučování na základních školách",
        "<p>Doučování běží ve dvou skupinách, třetí skupina se nenaplnila, protože děti "
        "nemají jak se dostat z Mlýnce. Zvažujeme doučování přímo ve vesnické škole.</p>",
        "Neziskové organizace ověří zájem o doučování přímo ve škole v Mlýnci.",
        TaskSpec("Zjistit zájem rodičů o doučování v Mlýnci", K.NGO, 30, "2.3"),
    ),
    TopicSpec(
        "Zkušenosti z adaptačních skupin v MŠ",
        "<p>Učitelky popsaly, že děti, které prošly adaptační skupinou, zvládly první měsíc "
        "v MŠ bez pláče a rodiče se víc ptají. Materiály chtějí sdílet s dalšími školkami.</p>",
        "Mateřské školy sdílejí podklady k adaptačním skupinám ve společné složce.",
        TaskSpec(
            "Nahrát podklady k adaptačním skupinám do sdílené složky", K.KINDERGARTEN, 21, "1.2"
        ),
    ),
    TopicSpec(
        "Příspěvky na pomůcky a spolupráce s úřadem práce",
        "<p>Úřad práce vysvětlil, které doklady rodiny potřebují k žádosti o příspěvek na "
        "pomůcky. Školy potvrdily, že seznam pomůcek vydají už v červnu.</p>",
        "Školy vydají seznam pomůcek pro příští rok do konce června.",
        TaskSpec("Připravit pro rodiče přehled dokladů k žádosti", K.LABOUR_OFFICE, 35, "3.4"),
    ),
    TopicSpec(
        "Letní příměstské tábory",
        "<p>Loni se na tábory přihlásilo méně dětí z vesnic. Navrhli jsme svoz dětí "
        "a přihlašování přímo ve školách před koncem roku.</p>",
        "Přihlášky na tábory budou k dispozici ve všech základních školách.",
        TaskSpec("Rozeslat přihlášky na tábory do škol", K.NGO, 30, "4.2"),
    ),
    TopicSpec(
        "Kariérové poradenství v 8. a 9. ročníku",
        "<p>Poradna představila skupinový program volby povolání. Odborné učiliště nabídlo "
        "exkurze do dílen, úřad práce besedu o oborech, po kterých je v kraji poptávka.</p>",
        "Poradna sestaví harmonogram besed pro všechny deváté třídy.",
        TaskSpec("Sestavit harmonogram besed k volbě povolání", K.COUNSELLING_CENTRE, 30, "3.2"),
    ),
    TopicSpec(
        "Financování asistentů pedagoga",
        "<p>Dvě školy nemají jistotu, že asistenty udrží i příští rok. Odbor školství "
        "prověří možnost dočasného příspěvku z rozpočtu města.</p>",
        "Odbor školství předloží radě města návrh na dočasný příspěvek na asistenty.",
        TaskSpec(
            "Připravit podklad pro radu města k asistentům", K.EDUCATION_DEPARTMENT, 30, "2.1"
        ),
    ),
    TopicSpec(
        "Bezpečná cesta do školy",
        "<p>Rodiče z Dolního Zelenova si stěžují na chybějící přechod u zastávky. Městská "
        "policie nabídla dohled v ranních hodinách, než se přechod vyřeší.</p>",
        "Městská policie zajistí ranní dohled u zastávky v Dolním Zelenově.",
        TaskSpec("Domluvit ranní dohled u zastávky", K.POLICE, 21),
    ),
    TopicSpec(
        "Rodičovské kavárny v mateřských školách",
        "<p>Mateřské školy by rády zkusily neformální setkání s rodiči jednou za měsíc. "
        "Nezisková organizace nabídla moderátorku a drobné občerstvení.</p>",
        "První rodičovskou kavárnu uspořádá jedna mateřská škola jako pilot.",
        TaskSpec("Vybrat termín pilotní rodičovské kavárny", K.KINDERGARTEN, 30, "1.4"),
    ),
    TopicSpec(
        "Předávání informací mezi MŠ a ZŠ",
        "<p>Základní školy by uvítaly, kdyby se o dětech s podporou dozvěděly před zápisem, "
        "ne až v září. Shodli jsme se, že to jde jen se souhlasem rodičů.</p>",
        "Vznikne vzor souhlasu rodičů s předáním informací mezi MŠ a ZŠ.",
        TaskSpec("Připravit vzor souhlasu rodičů", K.EDUCATION_DEPARTMENT, 35, "5.5"),
    ),
    TopicSpec(
        "Výroční zpráva o plnění plánu",
        "<p>Zpráva pro zastupitelstvo bude kratší než loni a doplněná o příběhy z praxe. "
        "Každá organizace pošle jeden odstavec o tom, co se jí podařilo.</p>",
        "Členové pošlou podklady pro výroční zprávu do konce měsíce.",
        TaskSpec("Sebrat podklady pro výroční zprávu", K.EDUCATION_DEPARTMENT, 28, "5.4"),
    ),
    TopicSpec(
        "Docházka dětí z ubytoven",
        "<p>OSPOD upozornil na rodiny, které se často stěhují mezi ubytovnami, a děti tak "
        "střídají školy. Školy si chtějí rychleji předávat informace o docházce.</p>",
        "OSPOD a školy se dohodnou na kontaktní osobě pro rodiny z ubytoven.",
        TaskSpec("Určit kontaktní osoby pro rodiny z ubytoven", K.CHILD_PROTECTION, 30, "3.1"),
    ),
]

PLENARY_NEWS = [
    "<p>Kraj chystá výzvu na podporu školních psychologů; odbor školství pošle podrobnosti, "
    "jakmile budou zveřejněny.</p>",
    "<p>Kontaktní pracoviště úřadu práce mění páteční úřední hodiny, nově do poledne.</p>",
    "<p>Městská knihovna nabízí školám zdarma studovnu pro odpolední doučování.</p>",
    "<p>Městská policie připravuje besedy o bezpečí na internetu pro šesté ročníky.</p>",
    "<p>Město zachová příspěvek na obědy pro děti z rodin v obtížné situaci i příští rok.</p>",
    "<p>Poradna zavedla telefonické objednávání pro rodiče bez přístupu k internetu.</p>",
]

PLENARY_PRACTICE = [
    "<p>Škola v Habrovicích otevřela ranní klub od sedmi hodin se snídaní; pozdní "
    "příchody v prvních hodinách ubyly.</p>",
    "<p>Mateřská škola v Sedlici zkouší obrázkový týdenní plán pro rodiče, kteří nečtou česky.</p>",
    "<p>Nízkoprahový klub vede s dětmi deník úkolů, do kterého může nahlédnout i "
    "třídní učitel.</p>",
    "<p>Gymnázium přiděluje novým studentům tutory ze třetích ročníků.</p>",
    "<p>OSPOD zkouší kratší společné schůzky s rodinou přímo ve škole místo "
    "předvolání na úřad.</p>",
    "<p>Odborné učiliště zve osmáky na dny otevřených dílen.</p>",
]

PLAN_REVIEW = [
    "<p>Prošli jsme opatření v ohrožení. U vzdělávání pedagogů se stále hledá lektor, "
    "u doučování chybí čerstvá zpráva o pokroku.</p>",
    "<p>Většina opatření běží podle harmonogramu. Úkoly s blížícím se termínem byly "
    "rozeslány předem, připomínky nepřišly.</p>",
    "<p>Diskutovali jsme, zda posunout termín dohody poradny a škol. Skupina doporučuje "
    "držet původní termín a přidat jedno pracovní setkání.</p>",
    "<p>Nově hlášený pokrok: terénní práce s rodinami a provoz klubu. Ostatní opatření "
    "beze změny.</p>",
]

ABSENCE_TOPICS = [
    TopicSpec(
        "Jednotný formulář hlášení neomluvené absence",
        "<p>Každá škola dnes hlásí absenci na jiném formuláři a OSPOD pak dohledává chybějící "
        "údaje. Shodli jsme se na jednom formuláři, vyplnitelném i elektronicky.</p>",
        "Odbor školství připraví jednotný formulář hlášení absence pro všechny školy.",
        TaskSpec(
            "Rozeslat školám jednotný formulář hlášení absence", K.EDUCATION_DEPARTMENT, 21, "3.1"
        ),
    ),
    TopicSpec(
        "Kdy svolat výchovnou komisi",
        "<p>Školy se liší v tom, po kolika neomluvených hodinách zvou rodiče. Malé školy "
        "komisi svolávají dřív, protože rodiny dobře znají.</p>",
        "Školy svolají výchovnou komisi nejpozději po deseti neomluvených hodinách.",
        TaskSpec("Doplnit postup do školního řádu", K.PRIMARY_SCHOOL, 35, "3.1"),
    ),
    TopicSpec(
        "Absence v prvním ročníku středních škol",
        "<p>Střední škola vidí nejvíc odchodů v prvním pololetí. Nezisková organizace "
        "nabízí mentory, kteří se se žákem potkají už v září.</p>",
        "Mentoring nabídneme žákům, kteří v září chybí déle než týden.",
        TaskSpec("Předat výchovným poradcům SŠ kontakty na mentory", K.NGO, 21, "3.3"),
    ),
    TopicSpec(
        "Omluvenky a spolupráce s lékaři",
        "<p>Přibývá omluvenek na celé týdny bez bližšího vysvětlení. Chceme požádat dětské "
        "lékaře o jednotný text potvrzení.</p>",
        "Skupina napíše dětským lékařům v okolí společný dopis.",
        TaskSpec("Napsat dopis dětským lékařům", K.EDUCATION_DEPARTMENT, 30),
    ),
    TopicSpec(
        "Společné kontroly městské policie a OSPOD",
        "<p>Kontroly docházky v bytech rodin vyvolaly nedůvěru. Dohodli jsme se, že "
        "proběhnou jen po domluvě se školou a vždy za účasti pracovnice OSPOD.</p>",
        "Společné kontroly proběhnou jen po dohodě se školou a s pracovnicí OSPOD.",
    ),
    TopicSpec(
        "Motivace k docházce v celých třídách",
        "<p>Jedna škola zkusila soutěž tříd o nejlepší docházku s výletem jako odměnou. "
        "Ostatní školy by ji chtěly převzít.</p>",
        "Pravidla soutěže tříd o docházku dostanou všechny základní školy.",
        TaskSpec("Připravit pravidla soutěže tříd o docházku", K.PRIMARY_SCHOOL, 30),
    ),
]

LEGISLATION_TOPICS = [
    TopicSpec(
        "Změny v podpůrných opatřeních",
        "<p>Odbor školství shrnul připravované úpravy pravidel pro podpůrná opatření. Školy "
        "se obávají delšího čekání na doporučení poradny.</p>",
        "Poradna zveřejní aktuální čekací dobu na vyšetření.",
        TaskSpec("Zveřejnit čekací dobu na webu poradny", K.COUNSELLING_CENTRE, 30, "5.3"),
    ),
    TopicSpec(
        "Dávky a školní pomůcky",
        "<p>Sociální odbor vysvětlil, jak rodiny žádají o mimořádnou pomoc na pomůcky na "
        "začátku školního roku a proč je dobré podat žádost už v srpnu.</p>",
        "Školy dostanou leták pro rodiče o žádosti o příspěvek na pomůcky.",
        TaskSpec("Připravit leták pro rodiče o příspěvku", K.SOCIAL_DEPARTMENT, 45, "3.4"),
    ),
    TopicSpec(
        "Co smí škola sdělit OSPOD",
        "<p>Prošli jsme, co škola OSPOD sdělit musí, co smí a k čemu potřebuje souhlas "
        "rodičů. Otázky se týkaly hlavně zdravotních informací.</p>",
        "OSPOD připraví pro školy jednostránkové shrnutí pravidel.",
        TaskSpec("Sepsat shrnutí pravidel předávání informací", K.CHILD_PROTECTION, 40, "5.5"),
    ),
    TopicSpec(
        "Povinné předškolní vzdělávání a docházka",
        "<p>Připomenuli jsme, že opakovaná absence předškoláků se hlásí stejně jako u "
        "školáků. Ředitelky MŠ se ptaly na omlouvání během dlouhých pobytů v zahraničí.</p>",
        "Mateřské školy nahlásí odboru školství počty předškoláků s opakovanou absencí.",
    ),
]

COUNSELLING_TOPICS = [
    TopicSpec(
        "Objednávky na vyšetření",
        "<p>Poradna má volné termíny až za šest týdnů. Školy posílají přednostně žáky, "
        "u kterých hrozí neprospěch na konci pololetí.</p>",
        "Školy označí naléhavé žádosti, poradna je vezme přednostně.",
        TaskSpec("Přidat do žádosti kolonku naléhavost", K.COUNSELLING_CENTRE, 14, "5.3"),
    ),
    TopicSpec(
        "Konzultace k doporučením",
        "<p>Výchovné poradkyně se ptaly na úpravu hodnocení podle doporučení. Psycholožka "
        "poradny nabídla pravidelnou konzultační hodinu.</p>",
        "Konzultační hodina poradny pro školy bude každou středu od 13 do 14 hodin.",
    ),
    TopicSpec(
        "Žáci po návratu ze zahraničí",
        "<p>Dvě školy přijaly žáky, kteří se vrátili po letech v zahraničí a mají mezery "
        "v češtině. Poradna doporučila nejdřív krátkou diagnostiku jazyka.</p>",
        "Poradna připraví krátký postup pro zařazení žáků po návratu ze zahraničí.",
        TaskSpec("Sepsat postup pro žáky po návratu ze zahraničí", K.COUNSELLING_CENTRE, 14),
    ),
    TopicSpec(
        "Náročná situace ve třídě",
        "<p>Sdíleli jsme, jak postupovat po nečekané události ve třídě: kdo volá poradnu, "
        "kdo informuje rodiče a jak mluvit s dětmi další den.</p>",
    ),
    TopicSpec(
        "Předávání zpráv rodičům",
        "<p>Rodiče někdy zprávu z vyšetření nedostanou včas. Poradna ji předá osobně, škola "
        "dostane kopii jen se souhlasem rodičů.</p>",
        "Zprávy z vyšetření předává poradna rodičům osobně, škole jen se souhlasem rodičů.",
    ),
    TopicSpec(
        "Návštěvy speciálně pedagogického centra ve vesnických školách",
        "<p>Speciálně pedagogické centrum nově jezdí do vesnických škol jednou měsíčně. "
        "Školy v Habrovicích a Mlýnci si termíny první návštěvy domluvily přímo na setkání.</p>",
    ),
    TopicSpec(
        "Zaškolení nových asistentů pedagoga",
        "<p>Noví asistenti často nevědí, jak číst doporučení poradny. Poradna nabídla krátké "
        "zaškolení pro asistenty ze všech škol najednou.</p>",
        "Poradna uspořádá společné zaškolení nových asistentů pedagoga.",
        TaskSpec("Domluvit termín zaškolení asistentů", K.COUNSELLING_CENTRE, 21, "2.1"),
    ),
    TopicSpec(
        "Děti s odkladem školní docházky",
        "<p>Probrali jsme děti, kterým poradna doporučila odklad, a jak s nimi během "
        "dalšího roku pracovat v mateřské škole, aby odklad nebyl jen rokem čekání.</p>",
    ),
    TopicSpec(
        "Vyhodnocení podpůrných opatření",
        "<p>Školy mají do konce pololetí vyhodnotit, zda podpůrná opatření pomáhají. Poradna "
        "připomněla, co má vyhodnocení obsahovat a kdo ho podepisuje.</p>",
        "Školy pošlou poradně vyhodnocení podpůrných opatření do konce pololetí.",
    ),
    TopicSpec(
        "Vztahy ve třídě",
        "<p>Dvě výchovné poradkyně požádaly o pomoc s napjatou atmosférou ve třídě. Poradna "
        "nabídla preventivní program se třemi setkáními pro každou třídu.</p>",
        "Poradna zařadí preventivní program o vztazích pro dvě třídy.",
        TaskSpec("Naplánovat program o vztazích ve třídách", K.COUNSELLING_CENTRE, 28),
    ),
]

PLATFORMS = [
    PlatformSpec(
        name=PLENARY,
        kind=PlatformKind.PLENARY,
        purpose="Všichni partneři místního plánu inkluze se jednou měsíčně scházejí, sledují "
        "plnění plánu a domlouvají další kroky.",
        rule=("monthly", "TH", "1"),
        time=datetime.time(14, 0),
        duration=120,
        history=relativedelta(months=12),
        member_kinds=(
            *SCHOOLS,
            K.KINDERGARTEN,
            K.CHILD_PROTECTION,
            K.SOCIAL_DEPARTMENT,
            K.EDUCATION_DEPARTMENT,
            K.COUNSELLING_CENTRE,
            K.NGO,
            K.LOW_THRESHOLD_CLUB,
            K.LABOUR_OFFICE,
            K.POLICE,
        ),
        preferred_positions=(P.COORDINATOR, P.HEAD, P.EDUCATIONAL_COUNSELLOR, P.SOCIAL_WORKER),
        place="Zasedací místnost MěÚ Zelenov, Náměstí Míru 1",
        online_link="",
        topic_kind=AgendaKind.TOPIC,
        topics=PLENARY_TOPICS,
        stopped_kind=(K.LABOUR_OFFICE, K.POLICE),
        late_every=4,
        overdue_from_end=4,
    ),
    PlatformSpec(
        name=ABSENCE,
        kind=PlatformKind.THEMATIC,
        purpose="Školy, OSPOD a policie hledají společný postup u dětí s vysokou nebo "
        "skrytou absencí.",
        rule=("monthly", "TU", "3"),
        time=datetime.time(13, 30),
        duration=90,
        history=relativedelta(months=6),
        member_kinds=(
            *SCHOOLS,
            K.CHILD_PROTECTION,
            K.SOCIAL_DEPARTMENT,
            K.POLICE,
            K.NGO,
            K.LOW_THRESHOLD_CLUB,
        ),
        preferred_positions=(P.PREVENTION_METHODOLOGIST, P.SOCIAL_WORKER, P.HEAD),
        place="OSPOD Zelenov, Husova 12",
        online_link="",
        topic_kind=AgendaKind.TOPIC,
        topics=ABSENCE_TOPICS,
        late_every=3,
        overdue_from_end=3,
    ),
    PlatformSpec(
        name=LEGISLATION,
        kind=PlatformKind.THEMATIC,
        purpose="Jednou za čtvrt roku si partneři vysvětlí změny předpisů, které se týkají "
        "škol, rodin a sociálních služeb.",
        rule=("quarterly", "MO", "2"),
        time=datetime.time(10, 0),
        duration=60,
        history=relativedelta(months=12),
        member_kinds=(
            K.EDUCATION_DEPARTMENT,
            K.SOCIAL_DEPARTMENT,
            K.CHILD_PROTECTION,
            K.PRIMARY_SCHOOL,
            K.KINDERGARTEN,
            K.COUNSELLING_CENTRE,
        ),
        preferred_positions=(P.HEAD, P.COORDINATOR),
        place="",
        online_link="https://meet.example.org/zelenov-legislativa",
        topic_kind=AgendaKind.INFORMATION,
        topics=LEGISLATION_TOPICS,
    ),
    PlatformSpec(
        name=COUNSELLING,
        kind=PlatformKind.COUNSELLING_SCHOOLS,
        purpose="Poradna a výchovné poradkyně základních škol každý týden řeší objednávky, "
        "doporučení a naléhavé situace.",
        rule=("weekly", "WE"),
        time=datetime.time(8, 0),
        duration=60,
        history=relativedelta(weeks=10),
        member_kinds=(K.COUNSELLING_CENTRE, K.PRIMARY_SCHOOL),
        preferred_positions=(P.SCHOOL_PSYCHOLOGIST, P.EDUCATIONAL_COUNSELLOR),
        place="PPP a SPC Zelenov",
        online_link="https://meet.example.org/zelenov-ppp",
        topic_kind=AgendaKind.TOPIC,
        topics=COUNSELLING_TOPICS,
    ),
]

# (platform, title, description, proposed by, put on the next meeting's agenda)
PROPOSED_TOPICS = [
    (
        PLENARY,
        "Jak zapojit rodiče do příprav zápisu",
        "Rodiče, kteří loni přišli k zápisu poprvé, by mohli ostatním říct, jak to probíhá.",
        "partner@zelenov.example",
        True,
    ),
    (
        PLENARY,
        "Supervize pro pedagogy",
        "Několik škol by uvítalo společnou nabídku supervize pro učitele a asistenty.",
        "skola@zelenov.example",
        False,
    ),
    (
        ABSENCE,
        "Absence po jarních prázdninách",
        "Po prázdninách se část dětí vrací o týden později; chceme domluvit, jak rodiny "
        "upozornit předem.",
        "skola@zelenov.example",
        False,
    ),
    (
        COUNSELLING,
        "Čekací doby na vyšetření",
        "Školy by chtěly každý měsíc vidět, jak dlouho se na vyšetření čeká.",
        "skola@zelenov.example",
        False,
    ),
]


def _day(day: datetime.date) -> str:
    return f"{day.day}. {day.month}. {day.year}"


def _p(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def _series_start(rule, time, time_zone, day) -> datetime.datetime:
    """The first meeting of the series on or after `day`, at `time` local time."""
    zone = zoneinfo.ZoneInfo(time_zone)
    anchor = datetime.datetime.combine(day, time, tzinfo=zone)
    return recurrence.occurrences(
        rule, anchor, time_zone, after=anchor - datetime.timedelta(minutes=1), count=1
    )[0]


def _attendance_status(meeting_index, org_index, seed) -> str:
    # Mostly present; at most one excused or absent in any three meetings in a row.
    value = (meeting_index * 7 + org_index * 5 + seed) % 11
    if value == 0:
        return A.EXCUSED
    if value == 1 and org_index % 3 == 0:
        return A.ABSENT
    return A.PRESENT


class _Loader:
    def __init__(self, territory):
        self.territory = territory
        self.time_zone = territory.time_zone
        self.zone = zoneinfo.ZoneInfo(self.time_zone)
        self.now = timezone.now()
        self.today = timezone.localdate()
        users = get_user_model().objects.filter(email__endswith="@zelenov.example")
        self.users = {user.email: user for user in users}
        self.author = self.users.get("koordinator@zelenov.example")
        self.organisations = list(
            Organisation.objects.filter(territory=territory, active=True).order_by("pk")
        )
        people = Person.objects.filter(territory=territory, has_left=False).prefetch_related(
            "organisations"
        )
        self.people_by_org = {}
        for person in people.order_by("pk"):
            for organisation in person.organisations.all():
                self.people_by_org.setdefault(organisation.pk, []).append(person)
        self.coordinator = (
            Person.objects.filter(territory=territory, has_left=False, position=P.COORDINATOR)
            .prefetch_related("organisations")
            .order_by("pk")
            .first()
        ) or people.order_by("pk").first()
        self.measures = {
            m.code: m
            for m in Measure.objects.filter(territory=territory).exclude(
                plan__status=PlanStatus.CLOSED
            )
        }

    # --- platforms --------------------------------------------------------------------

    def first_of_kind(self, kinds, among=None):
        kinds = (kinds,) if isinstance(kinds, str) else kinds
        for kind in kinds:
            for organisation in among if among is not None else self.organisations:
                if organisation.kind == kind:
                    return organisation
        return None

    def platform(self, spec: PlatformSpec) -> Platform:
        members = [o for o in self.organisations if o.kind in spec.member_kinds]
        if spec.kind == PlatformKind.COUNSELLING_SCHOOLS:
            facilitator = self.representative(self.first_of_kind(K.COUNSELLING_CENTRE), (P.HEAD,))
            organiser = self.first_of_kind(K.COUNSELLING_CENTRE)
        else:
            facilitator = self.coordinator
            organiser = self.first_of_kind(K.EDUCATION_DEPARTMENT) or self.first_of_kind(
                K.MUNICIPAL_OFFICE
            )
        facilitator = facilitator or self.coordinator
        rule = recurrence.build_rule(*spec.rule)
        first = _series_start(rule, spec.time, self.time_zone, self.today - spec.history)
        platform = Platform(
            territory=self.territory,
            name=spec.name,
            kind=spec.kind,
            purpose=spec.purpose,
            organiser=organiser,
            facilitator=facilitator,
            recurrence=rule,
            first_meeting=first,
            duration_minutes=spec.duration,
            default_place=spec.place,
            default_online_link=spec.online_link,
        )
        return services.do_save_platform(
            platform, organisations=members, people=[], acting_user=self.author
        )

    def representative(self, organisation, preferred):
        if organisation is None:
            return None
        people = self.people_by_org.get(organisation.pk, [])
        if not people:
            return None
        rank = {position: index for index, position in enumerate(preferred)}
        return min(people, key=lambda p: (rank.get(p.position, len(rank)), p.pk))

    # --- the history --------------------------------------------------------------------

    def history(self, platform: Platform, spec: PlatformSpec):
        starts = [
            start
            for start in recurrence.between(
                platform.recurrence,
                platform.first_meeting,
                self.time_zone,
                platform.first_meeting,
                self.now,
            )
            if start < self.now
        ]
        meetings = []
        for index, start in enumerate(starts):
            meeting = Meeting.objects.create(
                territory=self.territory,
                platform=platform,
                starts_at=start,
                ends_at=start + datetime.timedelta(minutes=platform.duration_minutes),
                occurrence=start,
                place=platform.default_place,
                online_link=platform.default_online_link,
            )
            # The plenary takes a summer break: its August meeting was cancelled.
            summer = start.astimezone(self.zone).month == 8 and index < len(starts) - 1
            if spec.kind == PlatformKind.PLENARY and summer:
                services.do_cancel_meeting(meeting, acting_user=self.author)
            else:
                meetings.append(meeting)

        members = list(platform.member_organisations.order_by("pk"))
        stopped = self.first_of_kind(spec.stopped_kind, members) if spec.stopped_kind else None
        representatives = [
            (organisation, self.representative(organisation, spec.preferred_positions))
            for organisation in members
        ]
        facilitator = platform.facilitator
        seed = len(spec.name)
        tasks = []  # the tasks agreed at this platform's meetings so far
        held = len(meetings)
        days = [m.starts_at.astimezone(self.zone).date() for m in meetings]
        overdue_index = self.overdue_index(spec, days)
        # The stopped organisation misses the last three meetings before today (and today's).
        stopped_from = len([day for day in days if day < self.today]) - 3
        for index, meeting in enumerate(meetings):
            day, previous_day = days[index], (days[index - 1] if index else None)
            topic = spec.topics[index % len(spec.topics)]

            # Agenda and minutes.
            self.item(
                meeting,
                AgendaKind.FOLLOW_UP,
                "Kontrola úkolů",
                self.follow_up_minutes(tasks, day, previous_day),
            )
            if spec.kind == PlatformKind.PLENARY:
                self.item(
                    meeting,
                    AgendaKind.PLAN_REVIEW,
                    "Revize plánu",
                    PLAN_REVIEW[index % len(PLAN_REVIEW)],
                )
            topic_item = self.item(meeting, spec.topic_kind, topic.title, topic.minutes)
            if spec.kind == PlatformKind.PLENARY:
                self.item(
                    meeting,
                    AgendaKind.INFORMATION,
                    "Novinky a informace",
                    PLENARY_NEWS[index % len(PLENARY_NEWS)],
                )
                self.item(
                    meeting,
                    AgendaKind.PRACTICE,
                    "Sdílení praxe",
                    PLENARY_PRACTICE[index % len(PLENARY_PRACTICE)],
                )

            # Attendance: one person per member organisation, and the facilitator.
            statuses = {}
            for org_index, (organisation, person) in enumerate(representatives):
                if person is None:
                    continue
                if organisation == stopped and index >= stopped_from:
                    status = A.ABSENT if index % 2 else A.EXCUSED
                elif organisation == stopped:
                    status = A.PRESENT
                else:
                    status = _attendance_status(index, org_index, seed)
                statuses[person] = status
            if facilitator is not None:
                statuses[facilitator] = A.PRESENT
            services.do_record_attendance(meeting, statuses=statuses, acting_user=self.author)

            # The decision and its task (a topic that comes round again brings none).
            if topic.decision and index < len(spec.topics):
                task = None
                if topic.task:
                    task = self.task(topic.task, day, index, index == overdue_index, spec, members)
                services.do_add_decision(
                    meeting,
                    text=topic.decision,
                    agenda_item=topic_item,
                    task=task,
                    acting_user=self.author,
                )
                if task is not None:
                    tasks.append(task)

            # Minutes closed a few days later; approved at the next meeting held.
            end = meeting.ends_at
            closed = end + datetime.timedelta(days=1 if spec.rule[0] == "weekly" else 2 + index % 4)
            last = index == held - 1
            Meeting.objects.filter(pk=meeting.pk).update(
                status=MeetingStatus.HELD if last else MeetingStatus.APPROVED,
                closed_at=closed if closed < self.now else None,
                approved_at=None if last else meetings[index + 1].ends_at,
            )
            Decision.objects.filter(meeting=meeting).update(created=end)
            Task.objects.filter(decision__meeting=meeting).update(created=end)
        return meetings

    def item(self, meeting, kind, title, minutes):
        item = services.do_add_agenda_item(meeting, kind=kind, title=title, acting_user=self.author)
        return services.do_save_minutes(item, minutes=minutes, acting_user=self.author)

    def follow_up_minutes(self, tasks, day, previous_day) -> str:
        if previous_day is None:
            return _p("První setkání v tomto období; starší úkoly byly uzavřeny dříve.")
        rows = []
        for task in tasks:
            if task.completed_on and task.completed_on < previous_day:
                continue  # reported at an earlier meeting
            if task.completed_on and task.completed_on < day:
                state = f"splněno {_day(task.completed_on)}"
            elif task.due and task.due < day:
                state = f"trvá, po termínu {_day(task.due)}"
            else:
                state = f"trvá, termín {_day(task.due)}"
            rows.append(f"<li>{escape(task.title)}: {state}</li>")
        if not rows:
            return _p("Žádný úkol z dřívějších setkání nezůstal otevřený.")
        return _p("Prošli jsme úkoly z dřívějších setkání.") + f"<ul>{''.join(rows)}</ul>"

    def overdue_index(self, spec: PlatformSpec, days) -> int | None:
        """The meeting whose task stays open past its due date: the n-th last one held, or
        the nearest earlier one with a task already due."""
        if not spec.overdue_from_end:
            return None
        for index in range(len(days) - spec.overdue_from_end, -1, -1):
            task = spec.topics[index % len(spec.topics)].task
            if task and days[index] + datetime.timedelta(days=task.due_days) < self.today:
                return index
        return None

    def task(self, spec: TaskSpec, day, index, overdue, platform_spec, members) -> Task:
        """A task from a decision, done on time, done late or left open past its due date."""
        due = day + datetime.timedelta(days=spec.due_days)
        status, completed = TaskStatus.OPEN, None
        if due < self.today and not overdue:
            status = TaskStatus.DONE
            late = platform_spec.late_every and index % platform_spec.late_every == 2
            if late:
                completed = min(due + datetime.timedelta(days=9 + index % 5), self.today)
            else:
                completed = max(day + datetime.timedelta(days=1), due - datetime.timedelta(days=4))
        owner = self.first_of_kind(spec.owner_kind, members) or self.first_of_kind(spec.owner_kind)
        return Task(
            title=spec.title,
            owner_organisation=owner,
            due=due,
            status=status,
            completed_on=completed,
            measure=self.measures.get(spec.measure_code) if spec.measure_code else None,
        )

    # --- what comes next ----------------------------------------------------------------

    def upcoming(self, platform: Platform):
        return services.do_generate_meetings(platform, count=2, acting_user=self.author)

    def topics(self, platforms, upcoming):
        for name, title, description, email, on_agenda in PROPOSED_TOPICS:
            platform = platforms.get(name)
            if platform is None:
                continue
            topic = services.do_propose_topic(
                platform,
                title=title,
                description=description,
                acting_user=self.users.get(email) or self.author,
            )
            if on_agenda and upcoming.get(name):
                services.do_add_agenda_item(
                    upcoming[name][0],
                    kind=AgendaKind.TOPIC,
                    title=title,
                    topic=topic,
                    acting_user=self.author,
                )


def load():
    zelenov = Territory.objects.filter(slug="zelenov").first()
    if zelenov is None:
        return []
    names = [spec.name for spec in PLATFORMS]
    # The demo town is Czech: template agenda titles come out in Czech whatever the setting.
    with scope(territory=zelenov), translation.override("cs"):
        if not Organisation.objects.filter(territory=zelenov, active=True).exists():
            return []
        if Platform.objects.filter(territory=zelenov, name__in=names).exists():
            return []
        loader = _Loader(zelenov)
        platforms, upcoming = {}, {}
        for spec in PLATFORMS:
            platform = loader.platform(spec)
            loader.history(platform, spec)
            upcoming[spec.name] = loader.upcoming(platform)
            platforms[spec.name] = platform
        loader.topics(platforms, upcoming)
        _notices(zelenov, platforms)
    return []


def _notices(territory, platforms):
    """An agreed procedure in two versions and a few announcements (invented texts)."""
    from .models import Agreement, AgreementVersion, Announcement, MeetingStatus

    plenary = next(iter(platforms.values()))
    held = list(
        plenary.meetings.filter(status__in=[MeetingStatus.HELD, MeetingStatus.APPROVED]).order_by(
            "starts_at"
        )
    )
    agreement = Agreement.objects.create(
        territory=territory, platform=plenary, title="Postup školy při doporučení dítěte do PPP"
    )
    versions = [
        "1. Třídní učitel projedná obtíže dítěte s výchovným poradcem.\n"
        "2. Škola pozve rodiče a domluví s nimi doporučení do poradny.\n"
        "3. Poradna potvrdí termín vyšetření do 30 dnů.",
        "1. Třídní učitel projedná obtíže dítěte s výchovným poradcem.\n"
        "2. Škola pozve rodiče a domluví s nimi doporučení do poradny.\n"
        "3. Poradna potvrdí termín vyšetření do 21 dnů a škole sdělí, jak může dítě "
        "podpořit do doby vyšetření.\n"
        "4. Po vyšetření se škola a poradna sejdou na společné konzultaci.",
    ]
    for number, (text, meeting) in enumerate(zip(versions, held[2::6], strict=False), start=1):
        AgreementVersion.objects.create(
            territory=territory,
            agreement=agreement,
            number=number,
            text=text,
            effective_from=meeting.starts_at.date() + datetime.timedelta(days=14),
            adopted_at=meeting,
        )
    for category, title, text, platform in [
        (
            "legislation",
            "Novela vyhlášky o podpůrných opatřeních",
            "Od příštího pololetí se mění pravidla pro asistenty pedagoga; shrnutí přineseme "
            "na nejbližší schůzku.",
            None,
        ),
        (
            "funding",
            "Výzva na doučování žáků",
            "Kraj vyhlásil výzvu na doučování; zájemci se mohou hlásit koordinátorce.",
            plenary,
        ),
        (
            "event",
            "Společné setkání škol a poradny",
            "Zveme výchovné poradce na setkání o nových postupech poradny.",
            None,
        ),
    ]:
        Announcement.objects.create(
            territory=territory, platform=platform, category=category, title=title, text=text
        )
