"""A deterministic synthetic dataset at the scale of one town or of a national programme.

Both scales contain the same *focus town* (built first, from the same seed, with the same
content), so that the benchmark requests the same pages of the same tenant at both scales and
the national/town ratio shows what the other tenants cost it. The national scale adds about a
thousand smaller territories, 20 networks, 200 interventions and 1,000 good practices.

Rows are written with bulk inserts and no audit entries, in batches of territories so that
memory stays bounded. The same seed and the same `today` give the same data.
"""

import datetime as dt
import random
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from allauth.mfa.models import Authenticator
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from spolu.accounts.models import User
from spolu.actors.models import Organisation, OrganisationKind, Person, Position
from spolu.cases.models import (
    Category,
    EventKind,
    Outcome,
    Referral,
    ReferralStatus,
    Signal,
    SignalEvent,
    SignalStatus,
    TriageDecision,
    Urgency,
)
from spolu.catalog.models import (
    Area,
    GoodPractice,
    Implementer,
    Intervention,
    InterventionText,
    Kind,
    Status,
)
from spolu.core.fields import fold
from spolu.core.permissions import NetworkRole, Role
from spolu.meetings.models import (
    AgendaItem,
    AgendaKind,
    Attendance,
    AttendanceStatus,
    Decision,
    Meeting,
    MeetingStatus,
    Platform,
    PlatformKind,
)
from spolu.plans.models import (
    Goal,
    Indicator,
    IndicatorValue,
    Measure,
    MeasureStatus,
    Plan,
    PlanStatus,
    ProgressUpdate,
    Task,
    TaskStatus,
)
from spolu.territories.models import Membership, Network, NetworkMembership, Territory

from . import names

# Everything the benchmark generates is recognisable by these prefixes.
SLUG_PREFIX = "bench-"
FOCUS_SLUG = "bench-town"
FOCUS_NETWORK_SLUG = "bench-network-01"
EMAIL_DOMAIN = "bench.example"
USERS = {
    "coordinator": f"coordinator@{EMAIL_DOMAIN}",
    "caseworker": f"caseworker@{EMAIL_DOMAIN}",
    "school": f"school@{EMAIL_DOMAIN}",
    "advisor": f"advisor@{EMAIL_DOMAIN}",
}


@dataclass(frozen=True)
class TerritorySize:
    """How much one territory holds."""

    schools: int
    kindergartens: int
    ngos: int
    people_per_organisation: int
    plans: int
    goals_per_plan: int
    measures_per_plan: int
    tasks_per_measure: int
    updates_per_measure: int
    platforms: int
    meetings_per_platform: int
    attendance_per_meeting: int
    signals: int
    audit_entries: int


TOWN = TerritorySize(
    schools=12,
    kindergartens=6,
    ngos=6,
    people_per_organisation=4,
    plans=3,
    goals_per_plan=5,
    measures_per_plan=67,
    tasks_per_measure=5,
    updates_per_measure=10,
    platforms=10,
    meetings_per_platform=50,
    attendance_per_meeting=10,
    signals=2000,
    audit_entries=3000,
)
# A territory of the national programme: a plan of ~30 measures, the same proportions.
MEMBER = TerritorySize(
    schools=5,
    kindergartens=3,
    ngos=2,
    people_per_organisation=3,
    plans=1,
    goals_per_plan=3,
    measures_per_plan=30,
    tasks_per_measure=5,
    updates_per_measure=10,
    platforms=4,
    meetings_per_platform=10,
    attendance_per_meeting=10,
    signals=100,
    audit_entries=150,
)


@dataclass(frozen=True)
class Scale:
    other_territories: int
    networks: int
    interventions: int
    good_practices: int


SCALES = {
    "town": Scale(other_territories=0, networks=1, interventions=20, good_practices=30),
    "national": Scale(other_territories=999, networks=20, interventions=200, good_practices=1000),
}

BATCH = 2000


def has_bench_data() -> bool:
    return Territory.objects.filter(slug__startswith=SLUG_PREFIX).exists()


@contextmanager
def explicit_timestamps(*fields):
    """Let bulk inserts keep the times we set on auto_now_add fields (for realistic history)."""
    saved = [(field, field.auto_now_add) for field in fields]
    for field, _value in saved:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field, value in saved:
            field.auto_now_add = value


def _field(model, name):
    return model._meta.get_field(name)


class Generator:
    def __init__(self, scale: str, seed: int = 1, today: dt.date | None = None, out=None):
        self.scale_name = scale
        self.scale = SCALES[scale]
        self.seed = seed
        self.today = today or timezone.localdate()
        self.now = timezone.make_aware(dt.datetime.combine(self.today, dt.time(12, 0)))
        self.out = out
        self.counts = Counter()
        self.interventions: list[int] = []
        self.password = "!"  # unusable: bench users log in by session, never by password

    # -- helpers -------------------------------------------------------------------------

    def log(self, message):
        if self.out:
            self.out(message)

    def bulk(self, model, objects):
        created = model.objects.bulk_create(objects, batch_size=BATCH)
        self.counts[model._meta.label] += len(created)
        return created

    def through(self, descriptor, rows):
        """Bulk insert M2M rows: e.g. Person.organisations with rows (person_id, org_id)."""
        field = descriptor.field
        through = field.remote_field.through
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        objects = [through(**{f"{source}_id": a, f"{target}_id": b}) for a, b in rows]
        through.objects.bulk_create(objects, batch_size=BATCH, ignore_conflicts=True)
        self.counts[through._meta.label] += len(objects)

    def at(self, rng, days_back: int, days_forward: int = 0) -> dt.datetime:
        offset = rng.uniform(-days_back, days_forward)
        moment = self.now + dt.timedelta(days=offset)
        return moment.replace(microsecond=0)

    # -- the run -------------------------------------------------------------------------

    def run(self) -> dict:
        started = time.perf_counter()
        with scopes_disabled(), transaction.atomic():
            self.make_catalogue()
            focus = self.make_territory(
                random.Random(self.seed), 0, TOWN, country="CZ", slug=FOCUS_SLUG
            )
            self.make_users(focus)
            others = []
            batch = []
            for index in range(1, self.scale.other_territories + 1):
                rng = random.Random(self.seed * 100_003 + index)
                country = "CZ" if index % 2 else "PL"
                batch.append((rng, index, country))
                if len(batch) == 50 or index == self.scale.other_territories:
                    others += self.make_territories(batch)
                    batch = []
                    self.log(f"  {index} of {self.scale.other_territories} other territories")
            self.make_networks(focus, others)
            self.make_good_practices(random.Random(self.seed + 7), [focus, *others])
        seconds = time.perf_counter() - started
        return {"scale": self.scale_name, "seed": self.seed, "seconds": seconds, **self.counts}

    def make_territories(self, batch):
        territories = []
        # One transaction-sized batch at a time: territories first, then their contents.
        for rng, index, country in batch:
            territories.append(self.make_territory(rng, index, MEMBER, country=country))
        return territories

    # -- catalogue -----------------------------------------------------------------------

    def make_catalogue(self):
        rng = random.Random(self.seed + 3)
        levels = ["early_care", "preschool", "primary", "secondary"]
        interventions = []
        for index in range(self.scale.interventions):
            interventions.append(
                Intervention(
                    slug=f"{SLUG_PREFIX}intervention-{index + 1:03d}",
                    status=Status.PUBLISHED,
                    original_language="cs",
                    area=rng.choice(Area.values),
                    kind=rng.choice(Kind.values),
                    levels=sorted(rng.sample(levels, rng.randint(1, 3))),
                    implementers=sorted(rng.sample(Implementer.values, rng.randint(1, 3))),
                    evidence=rng.randint(0, 4),
                    cost=rng.randint(1, 5),
                    published_at=self.now,
                )
            )
        texts = []
        for index, intervention in enumerate(interventions):
            cs_title = f"{names.CZ_MEASURES[index % 10]} ({index + 1})"
            pl_title = f"{names.PL_MEASURES[index % 10]} ({index + 1})"
            variants = [
                ("cs", cs_title, "Školní podpora žáků a spolupráce s rodinou. " + names.CZ_TEXT),
                (
                    "pl",
                    pl_title,
                    "Szkolne wsparcie uczniów i współpraca z rodziną. " + names.PL_TEXT,
                ),
                ("en", f"Intervention {index + 1}", "School support for pupils and families."),
            ]
            if index % 3:
                variants = variants[:2]
            parts = []
            for language, title, summary in variants:
                texts.append(
                    InterventionText(
                        intervention=intervention,
                        language=language,
                        title=title,
                        summary=summary,
                        description=summary * 3,
                        inspiration="",
                        caveats="",
                        sources="Zdroj | https://example.org/zdroj",
                    )
                )
                parts += [title, summary, summary * 3]
            intervention.search_text = fold(" ".join(parts))
        self.bulk(Intervention, interventions)
        self.bulk(InterventionText, texts)
        self.interventions = [i.pk for i in interventions]
        related = [
            (a, b)
            for index, a in enumerate(self.interventions)
            for b in self.interventions[index + 1 : index + 3]
        ]
        self.through(Intervention.related, related + [(b, a) for a, b in related])

    def make_good_practices(self, rng, territories):
        practices = []
        for index in range(self.scale.good_practices):
            territory = territories[index % len(territories)]
            czech = territory.country == "CZ"
            practice = GoodPractice(
                title=(names.CZ_MEASURES if czech else names.PL_MEASURES)[index % 10]
                + f" – {territory.name}",
                status=Status.PUBLISHED,
                language="cs" if czech else "pl",
                territory=territory,
                place=territory.name,
                latitude=territory.latitude,
                longitude=territory.longitude,
                start_year=rng.randint(2015, 2024),
                summary=names.CZ_NARRATIVE if czech else names.PL_NARRATIVE,
                what_was_done=names.CZ_TEXT if czech else names.PL_TEXT,
                results=names.CZ_NARRATIVE if czech else names.PL_NARRATIVE,
                contact=territory.name,
                published_at=self.now,
            )
            practice.refresh_search_text()
            practices.append(practice)
        self.bulk(GoodPractice, practices)
        rows = [
            (practice.pk, rng.choice(self.interventions))
            for practice in practices
            for _ in range(2)
        ]
        self.through(GoodPractice.interventions, rows)

    # -- territories ---------------------------------------------------------------------

    def place_name(self, rng, country):
        if country == "CZ":
            first, second, suffix = (
                names.CZ_PLACE_FIRST,
                names.CZ_PLACE_SECOND,
                names.CZ_PLACE_SUFFIX,
            )
        else:
            first, second, suffix = (
                names.PL_PLACE_FIRST,
                names.PL_PLACE_SECOND,
                names.PL_PLACE_SUFFIX,
            )
        return f"{rng.choice(first)} {rng.choice(second)}{rng.choice(suffix)}"

    def person_name(self, rng, country):
        if country == "CZ":
            return f"{rng.choice(names.CZ_FIRST)} {rng.choice(names.CZ_LAST)}"
        return f"{rng.choice(names.PL_FIRST)} {rng.choice(names.PL_LAST)}"

    def make_territory(self, rng, index, size: TerritorySize, *, country, slug=None):
        name = self.place_name(rng, country) if index else "Lhota nad Bečvou"
        territory = Territory(
            country=country,
            kind="cz_obec" if country == "CZ" else "pl_gmina",
            code=f"B{index:06d}",
            name=name,
            slug=slug or f"{SLUG_PREFIX}{index:04d}",
            latitude=Decimal(
                f"{rng.uniform(49.0, 51.0) if country == 'CZ' else rng.uniform(50.0, 54.0):.5f}"
            ),
            longitude=Decimal(
                f"{rng.uniform(13.0, 18.5) if country == 'CZ' else rng.uniform(15.0, 23.5):.5f}"
            ),
        )
        self.bulk(Territory, [territory])
        orgs = self.make_organisations(rng, territory, size)
        people = self.make_people(rng, territory, size, orgs)
        self.make_plans(rng, territory, size, orgs, people)
        self.make_meetings(rng, territory, size, orgs, people)
        self.make_signals(rng, territory, size, orgs)
        self.make_audit(rng, territory, size)
        return territory

    def make_organisations(self, rng, territory, size):
        templates = names.CZ_ORGANISATIONS if territory.country == "CZ" else names.PL_ORGANISATIONS
        plan = [
            (OrganisationKind.MUNICIPAL_OFFICE, 1),
            (OrganisationKind.EDUCATION_DEPARTMENT, 1),
            (OrganisationKind.SOCIAL_DEPARTMENT, 1),
            (OrganisationKind.CHILD_PROTECTION, 1),
            (OrganisationKind.PRIMARY_SCHOOL, size.schools),
            (OrganisationKind.KINDERGARTEN, size.kindergartens),
            (OrganisationKind.SECONDARY_SCHOOL, max(1, size.schools // 5)),
            (OrganisationKind.COUNSELLING_CENTRE, 1),
            (OrganisationKind.NGO, size.ngos),
            (OrganisationKind.LABOUR_OFFICE, 1),
            (OrganisationKind.POLICE, 1),
        ]
        orgs = []
        for kind, count in plan:
            for n in range(1, count + 1):
                pattern = templates[kind][n % len(templates[kind])]
                name = pattern.format(place=territory.name, n=n)
                orgs.append(
                    Organisation(
                        territory=territory,
                        name=name,
                        kind=kind,
                        address=f"{territory.name} {rng.randint(1, 400)}",
                        latitude=territory.latitude + Decimal(f"{rng.uniform(-0.02, 0.02):.5f}"),
                        longitude=territory.longitude + Decimal(f"{rng.uniform(-0.02, 0.02):.5f}"),
                        education_levels=["primary"] if "school" in kind else [],
                        pupils=rng.randint(80, 700) if "school" in kind else None,
                        search_text=fold(name),
                    )
                )
        return self.bulk(Organisation, orgs)

    def make_people(self, rng, territory, size, orgs):
        people = []
        for _org in orgs:
            for _ in range(size.people_per_organisation):
                name = self.person_name(rng, territory.country)
                people.append(
                    Person(
                        territory=territory,
                        full_name=name,
                        position=rng.choice(Position.values),
                        search_text=fold(name),
                    )
                )
        people = self.bulk(Person, people)
        per = size.people_per_organisation
        rows = [(person.pk, orgs[i // per].pk) for i, person in enumerate(people)]
        self.through(Person.organisations, rows)
        return people

    def make_plans(self, rng, territory, size, orgs, people):
        czech = territory.country == "CZ"
        titles = names.CZ_MEASURES if czech else names.PL_MEASURES
        year = self.today.year
        plans = []
        statuses = [PlanStatus.IN_IMPLEMENTATION, PlanStatus.CLOSED, PlanStatus.DRAFT]
        for number in range(size.plans):
            start = year - 1 - 3 * number if number < 2 else year + 2
            plans.append(
                Plan(
                    territory=territory,
                    title=("Místní plán inkluze " if czech else "Lokalny plan edukacji ")
                    + f"{start}–{start + 2}",
                    period_start=dt.date(start, 1, 1),
                    period_end=dt.date(start + 2, 12, 31),
                    status=statuses[number],
                    adopted_on=dt.date(start, 1, 1) if number < 2 else None,
                    coordinator=people[0],
                )
            )
        plans = self.bulk(Plan, plans)
        goals = self.bulk(
            Goal,
            [
                Goal(territory=territory, plan=plan, code=str(g + 1), title=f"{titles[g]} – cíl")
                for plan in plans
                for g in range(size.goals_per_plan)
            ],
        )
        measures = []
        for plan_index, plan in enumerate(plans):
            plan_goals = goals[
                plan_index * size.goals_per_plan : (plan_index + 1) * size.goals_per_plan
            ]
            for m in range(size.measures_per_plan):
                goal = plan_goals[m % len(plan_goals)]
                status = rng.choice(
                    [MeasureStatus.IN_PROGRESS] * 4
                    + [MeasureStatus.PLANNED, MeasureStatus.DONE, MeasureStatus.DELAYED]
                )
                measures.append(
                    Measure(
                        territory=territory,
                        plan=plan,
                        goal=goal,
                        code=f"{goal.code}.{m // len(plan_goals) + 1}",
                        title=titles[m % len(titles)],
                        description=(names.CZ_NARRATIVE if czech else names.PL_NARRATIVE),
                        target_groups=["children", "parents"],
                        education_levels=["primary"],
                        start=plan.period_start,
                        end=plan.period_end,
                        budget_amount=Decimal(rng.randint(10, 500) * 1000),
                        budget_currency="CZK" if czech else "PLN",
                        funding_source=rng.choice(["municipal", "state", "eu"]),
                        status=status,
                        lead_implementer=rng.choice(orgs),
                        responsible=rng.choice(people),
                        last_progress_on=self.today - dt.timedelta(days=rng.randint(1, 200)),
                    )
                )
        measures = self.bulk(Measure, measures)
        self.through(
            Measure.partners,
            {(m.pk, rng.choice(orgs).pk) for m in measures for _ in range(2)},
        )
        if self.interventions:
            self.through(
                Measure.interventions,
                {(m.pk, rng.choice(self.interventions)) for m in measures},
            )
        related = [(a.pk, b.pk) for a, b in zip(measures, measures[1:], strict=False)][::3]
        self.through(Measure.related, related + [(b, a) for a, b in related])

        tasks, updates = [], []
        for measure in measures:
            for t in range(size.tasks_per_measure):
                due = self.today + dt.timedelta(days=rng.randint(-300, 200))
                status = rng.choice([TaskStatus.OPEN, TaskStatus.OPEN, TaskStatus.DONE])
                tasks.append(
                    Task(
                        territory=territory,
                        title=f"{measure.title}: krok {t + 1}",
                        measure=measure,
                        owner_organisation=measure.lead_implementer,
                        owner_person=rng.choice(people),
                        due=due,
                        status=status,
                        completed_on=due if status == TaskStatus.DONE else None,
                    )
                )
            for u in range(size.updates_per_measure):
                updates.append(
                    ProgressUpdate(
                        territory=territory,
                        measure=measure,
                        date=self.today - dt.timedelta(days=30 * u + rng.randint(0, 20)),
                        status=measure.status,
                        narrative=names.CZ_NARRATIVE if czech else names.PL_NARRATIVE,
                    )
                )
        self.bulk(Task, tasks)
        self.bulk(ProgressUpdate, updates)

        indicators = self.bulk(
            Indicator,
            [
                Indicator(
                    territory=territory,
                    plan=plan,
                    measure=None if i % 2 else measures[i],
                    name=f"Podíl dětí v předškolním vzdělávání {i + 1}",
                    unit="%",
                    baseline_value=Decimal(60),
                    target_value=Decimal(90),
                )
                for plan in plans
                for i in range(size.goals_per_plan * 2)
            ],
        )
        self.bulk(
            IndicatorValue,
            [
                IndicatorValue(
                    territory=territory,
                    indicator=indicator,
                    date=dt.date(self.today.year - v, 6, 30),
                    value=Decimal(60 + 5 * (4 - v)),
                )
                for indicator in indicators
                for v in range(4)
            ],
        )

    def make_meetings(self, rng, territory, size, orgs, people):
        czech = territory.country == "CZ"
        labels = names.CZ_PLATFORMS if czech else names.PL_PLATFORMS
        platforms = self.bulk(
            Platform,
            [
                Platform(
                    territory=territory,
                    name=labels[p % len(labels)],
                    kind=PlatformKind.values[p % len(PlatformKind.values)],
                    organiser=orgs[0],
                    facilitator=people[p],
                    recurrence="FREQ=MONTHLY;BYDAY=+1TH",
                    default_place=f"{territory.name}, zasedací místnost",
                )
                for p in range(size.platforms)
            ],
        )
        members = []
        for _platform in platforms:
            chosen = rng.sample(people, min(size.attendance_per_meeting, len(people)))
            members.append(chosen)
        self.through(
            Platform.member_people,
            [
                (p.pk, person.pk)
                for p, chosen in zip(platforms, members, strict=True)
                for person in chosen
            ],
        )
        self.through(
            Platform.member_organisations,
            {(p.pk, rng.choice(orgs).pk) for p in platforms for _ in range(5)},
        )
        meetings = []
        past_share = 0.75
        for platform in platforms:
            for m in range(size.meetings_per_platform):
                # Monthly, three quarters in the past.
                months = m - int(size.meetings_per_platform * past_share)
                starts = (self.now + dt.timedelta(days=30 * months)).replace(
                    hour=14, minute=0, second=0
                ) + dt.timedelta(minutes=platform.pk % 7)
                past = months < 0
                meetings.append(
                    Meeting(
                        territory=territory,
                        platform=platform,
                        starts_at=starts,
                        ends_at=starts + dt.timedelta(minutes=90),
                        occurrence=starts,
                        place=platform.default_place,
                        status=(MeetingStatus.APPROVED if months < -1 else MeetingStatus.HELD)
                        if past
                        else MeetingStatus.PLANNED,
                        invitations_sent_at=starts - dt.timedelta(days=14),
                        closed_at=starts + dt.timedelta(days=1) if past else None,
                        approved_at=starts + dt.timedelta(days=30) if months < -1 else None,
                    )
                )
        meetings = self.bulk(Meeting, meetings)
        by_platform = dict(zip([p.pk for p in platforms], members, strict=True))
        attendance, agenda, decisions = [], [], []
        statuses = [AttendanceStatus.PRESENT] * 6 + [
            AttendanceStatus.EXCUSED,
            AttendanceStatus.ABSENT,
        ]
        for meeting in meetings:
            past = meeting.status != MeetingStatus.PLANNED
            for person in by_platform[meeting.platform_id]:
                attendance.append(
                    Attendance(
                        territory=territory,
                        meeting=meeting,
                        person=person,
                        status=rng.choice(statuses) if past else AttendanceStatus.INVITED,
                    )
                )
            for position, kind in enumerate(
                [AgendaKind.FOLLOW_UP, AgendaKind.PLAN_REVIEW, AgendaKind.TOPIC]
            ):
                agenda.append(
                    AgendaItem(
                        territory=territory,
                        meeting=meeting,
                        position=position,
                        kind=kind,
                        title=f"{AgendaKind(kind).label} {position + 1}",
                        minutes="<p>"
                        + (names.CZ_NARRATIVE if czech else names.PL_NARRATIVE)
                        + "</p>"
                        if past
                        else "",
                    )
                )
            if past:
                decisions.append(
                    Decision(
                        territory=territory,
                        meeting=meeting,
                        text=names.CZ_NARRATIVE if czech else names.PL_NARRATIVE,
                    )
                )
        self.bulk(Attendance, attendance)
        self.bulk(AgendaItem, agenda)
        self.bulk(Decision, decisions)

    def make_signals(self, rng, territory, size, orgs):
        schools = [
            o for o in orgs if o.kind in ("primary_school", "kindergarten", "secondary_school")
        ]
        partners = [
            o
            for o in orgs
            if o.kind in ("ngo", "child_protection", "labour_office", "counselling_centre")
        ]
        department = next(o for o in orgs if o.kind == OrganisationKind.EDUCATION_DEPARTMENT)
        text = names.CZ_TEXT if territory.country == "CZ" else names.PL_TEXT
        signals = []
        plans = []
        for number in range(1, size.signals + 1):
            filed = self.at(rng, days_back=4 * 365)
            age_days = (self.now - filed).days
            # Older signals are mostly closed; recent ones are spread over the workflow.
            if age_days > 90:
                status = SignalStatus.CLOSED if rng.random() < 0.9 else SignalStatus.REFERRED
            else:
                status = rng.choice(SignalStatus.values)
            triaged = status in (SignalStatus.TRIAGED, SignalStatus.REFERRED, SignalStatus.CLOSED)
            decision = ""
            if triaged:
                decision = (
                    TriageDecision.REFER
                    if status == SignalStatus.REFERRED
                    else rng.choice(TriageDecision.values)
                )
            triaged_at = filed + dt.timedelta(days=rng.randint(1, 8)) if triaged else None
            closed_at = (
                triaged_at + dt.timedelta(days=rng.randint(10, 80))
                if status == SignalStatus.CLOSED
                else None
            )
            if closed_at and closed_at > self.now:
                closed_at = self.now
            signal = Signal(
                territory=territory,
                number=number,
                school=rng.choice(schools),
                pupil_reference=f"Z{rng.randint(1000, 9999)}",
                pupil_initials=rng.choice("ABCDEHJKLMNPRSTVZ") + rng.choice("ABCDEHJKLMNPRSTVZ"),
                birth_year=self.today.year - rng.randint(6, 15),
                grade=f"{rng.randint(1, 9)}.{rng.choice('ABC')}",
                category=rng.choice(Category.values),
                urgency=rng.choice([Urgency.NORMAL] * 5 + [Urgency.HIGH, Urgency.URGENT]),
                description=text,
                school_actions=text,
                status=status,
                filed_at=filed,
                triage_due=(filed + dt.timedelta(days=5)).date(),
                triaged_at=triaged_at,
                triage_decision=decision,
                first_feedback_at=triaged_at,
                closed_at=closed_at,
                outcome=rng.choice(Outcome.values) if closed_at else "",
            )
            signals.append(signal)
            plans.append(decision == TriageDecision.REFER)
        with explicit_timestamps(
            _field(Signal, "filed_at"),
            _field(Referral, "created_at"),
            _field(SignalEvent, "created_at"),
        ):
            signals = self.bulk(Signal, signals)
            referrals = []
            for signal, refer in zip(signals, plans, strict=True):
                if refer:
                    referrals.append(
                        Referral(
                            territory=territory,
                            signal=signal,
                            organisation=rng.choice(partners),
                            note=text,
                            status=ReferralStatus.ACCEPTED,
                            created_at=signal.triaged_at,
                            answered_at=signal.triaged_at + dt.timedelta(days=2),
                        )
                    )
            referrals = self.bulk(Referral, referrals)
            referral_of = {r.signal_id: r for r in referrals}
            events = []
            for signal in signals:
                steps = [(EventKind.FILED, signal.filed_at, signal.school, "", True, None)]
                steps.append((EventKind.RECEIVED, signal.filed_at, department, "", True, None))
                if signal.triaged_at:
                    steps.append(
                        (
                            EventKind.TRIAGED,
                            signal.triaged_at,
                            department,
                            signal.triage_decision,
                            True,
                            None,
                        )
                    )
                referral = referral_of.get(signal.pk)
                if referral:
                    steps.append(
                        (EventKind.REFERRED, referral.created_at, department, "", False, referral)
                    )
                    steps.append(
                        (
                            EventKind.ACCEPTED,
                            referral.answered_at,
                            referral.organisation,
                            "",
                            False,
                            referral,
                        )
                    )
                    steps.append(
                        (
                            EventKind.ACTION,
                            referral.answered_at,
                            referral.organisation,
                            "",
                            True,
                            referral,
                        )
                    )
                if signal.closed_at:
                    steps.append(
                        (EventKind.CLOSED, signal.closed_at, department, signal.outcome, True, None)
                    )
                for kind, when, org, code, visible, referral_row in steps:
                    events.append(
                        SignalEvent(
                            territory=territory,
                            signal=signal,
                            kind=kind,
                            created_at=when,
                            organisation=org,
                            referral=referral_row,
                            code=code,
                            text=text if kind in (EventKind.ACTION, EventKind.TRIAGED) else "",
                            visible_to_school=visible,
                        )
                    )
            self.bulk(SignalEvent, events)

    def make_audit(self, rng, territory, size):
        content_type = ContentType.objects.get_for_model(Measure)
        measure_ids = list(
            Measure.objects.filter(territory=territory).values_list("pk", flat=True)[:200]
        )
        entries = [
            LogEntry(
                content_type=content_type,
                object_pk=str(pk),
                object_id=pk,
                object_repr=f"Measure {pk}",
                action=LogEntry.Action.UPDATE,
                changes={"status": ["planned", "in_progress"]},
                timestamp=self.at(rng, days_back=700),
                additional_data={"territory": territory.pk},
            )
            for pk in (rng.choice(measure_ids) for _ in range(size.audit_entries))
        ]
        self.bulk(LogEntry, entries)

    # -- users and networks --------------------------------------------------------------

    def make_users(self, focus):
        users = {
            key: User(email=email, full_name=f"Bench {key}", password=self.password)
            for key, email in USERS.items()
        }
        self.bulk(User, list(users.values()))
        roles = {
            "coordinator": Role.COORDINATOR,
            "caseworker": Role.CASEWORKER,
            "school": Role.SCHOOL,
        }
        self.bulk(
            Membership,
            [
                Membership(territory=focus, user=users[key], role=role)
                for key, role in roles.items()
            ],
        )
        # Case pages require two-factor authentication: the case worker has an authenticator.
        Authenticator.objects.create(
            user=users["caseworker"], type=Authenticator.Type.TOTP, data={"secret": "bench"}
        )
        school = Organisation.objects.filter(territory=focus, kind="primary_school").first()
        person = Person.objects.filter(territory=focus).last()
        person.user = users["school"]
        person.save(update_fields=["user"])
        person.organisations.add(school)
        self.users = users

    def make_networks(self, focus, others):
        territories = [focus, *others]
        networks = self.bulk(
            Network,
            [
                Network(name=f"Síť obcí {n + 1:02d}", slug=f"{SLUG_PREFIX}network-{n + 1:02d}")
                for n in range(self.scale.networks)
            ],
        )
        rows = [
            (networks[i % len(networks)].pk, territory.pk)
            for i, territory in enumerate(territories)
        ]
        self.through(Network.territories, rows)
        self.bulk(
            NetworkMembership,
            [
                NetworkMembership(
                    user=self.users["advisor"], network=networks[0], role=NetworkRole.ADVISOR
                )
            ],
        )
