"""Demo plans for Zelenov: the closed 2020–2022 plan and the current 2024–2027 plan.

Texts are invented for the demo. The current plan has measures in every state, tasks (some
overdue), progress updates and indicators, so that the at-risk view has something to show.
"""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_scopes import scope

from spolu.actors.models import Organisation, OrganisationKind, Person
from spolu.territories.models import Territory

from .models import (
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

K = OrganisationKind
S = MeasureStatus

PREVIOUS_TITLE = "Místní plán inkluze Zelenov 2020–2022"
CURRENT_TITLE = "Místní plán inkluze Zelenov 2024–2027"

# goal code, goal title, [(measure code, title, lead kind, partner kinds, levels, status,
#                          start offset months, length months)]
GOALS = [
    (
        "1",
        "Předškolní vzdělávání pro všechny děti",
        [
            (
                "1.1",
                "Terénní práce s rodinami dětí před vstupem do MŠ",
                K.NGO,
                [K.CHILD_PROTECTION],
                ["early_care", "preschool"],
                S.IN_PROGRESS,
                0,
                36,
            ),
            (
                "1.2",
                "Adaptační skupiny v mateřských školách",
                K.KINDERGARTEN,
                [K.NGO],
                ["preschool"],
                S.DONE,
                0,
                12,
            ),
            (
                "1.3",
                "Úhrada stravného a docházky pro děti v hmotné nouzi",
                K.SOCIAL_DEPARTMENT,
                [K.LABOUR_OFFICE],
                ["preschool"],
                S.IN_PROGRESS,
                2,
                30,
            ),
            (
                "1.4",
                "Rodičovské kavárny v MŠ",
                K.KINDERGARTEN,
                [K.NGO],
                ["preschool"],
                S.PLANNED,
                14,
                20,
            ),
        ],
    ),
    (
        "2",
        "Kvalitní a inkluzivní základní školy",
        [
            (
                "2.1",
                "Školní asistenti a speciální pedagogové",
                K.PRIMARY_SCHOOL,
                [K.COUNSELLING_CENTRE],
                ["primary"],
                S.IN_PROGRESS,
                0,
                40,
            ),
            (
                "2.2",
                "Vzdělávání pedagogů v práci s heterogenní třídou",
                K.EDUCATION_DEPARTMENT,
                [K.PRIMARY_SCHOOL, K.COUNSELLING_CENTRE],
                ["primary"],
                S.DELAYED,
                3,
                12,
            ),
            (
                "2.3",
                "Doučování žáků ohrožených neúspěchem",
                K.NGO,
                [K.PRIMARY_SCHOOL],
                ["primary"],
                S.IN_PROGRESS,
                1,
                36,
            ),
            (
                "2.4",
                "Společné spádové obvody bez segregace",
                K.EDUCATION_DEPARTMENT,
                [K.MUNICIPAL_OFFICE],
                ["primary"],
                S.PLANNED,
                6,
                18,
            ),
        ],
    ),
    (
        "3",
        "Prevence předčasných odchodů a absence",
        [
            (
                "3.1",
                "Společný postup škol a OSPOD při skryté absenci",
                K.CHILD_PROTECTION,
                [K.PRIMARY_SCHOOL, K.POLICE],
                ["primary", "secondary"],
                S.IN_PROGRESS,
                0,
                12,
            ),
            (
                "3.2",
                "Kariérové poradenství pro 8. a 9. ročníky",
                K.COUNSELLING_CENTRE,
                [K.PRIMARY_SCHOOL, K.LABOUR_OFFICE],
                ["primary"],
                S.IN_PROGRESS,
                4,
                30,
            ),
            (
                "3.3",
                "Mentoring pro žáky v prvním ročníku SŠ",
                K.SECONDARY_SCHOOL,
                [K.NGO],
                ["secondary"],
                S.PLANNED,
                12,
                24,
            ),
            (
                "3.4",
                "Materiální podpora žáků (pomůcky, brýle)",
                K.SOCIAL_DEPARTMENT,
                [K.LABOUR_OFFICE, K.PRIMARY_SCHOOL],
                ["primary"],
                S.IN_PROGRESS,
                0,
                40,
            ),
        ],
    ),
    (
        "4",
        "Volný čas a mimoškolní podpora",
        [
            (
                "4.1",
                "Rozšíření provozu nízkoprahového klubu",
                K.LOW_THRESHOLD_CLUB,
                [K.SOCIAL_DEPARTMENT],
                ["out_of_school"],
                S.IN_PROGRESS,
                0,
                40,
            ),
            (
                "4.2",
                "Letní příměstské tábory",
                K.NGO,
                [K.MUNICIPAL_OFFICE],
                ["primary", "out_of_school"],
                S.DONE,
                6,
                4,
            ),
            (
                "4.3",
                "Knihovna jako místo pro domácí přípravu",
                K.OTHER,
                [K.NGO],
                ["primary", "out_of_school"],
                S.CANCELLED,
                6,
                12,
            ),
        ],
    ),
    (
        "5",
        "Spolupráce a řízení inkluze",
        [
            (
                "5.1",
                "Koordinátor inkluze a pracovní skupina",
                K.MUNICIPAL_OFFICE,
                [K.EDUCATION_DEPARTMENT],
                [],
                S.IN_PROGRESS,
                0,
                42,
            ),
            (
                "5.2",
                "Pravidelná setkání ředitelů škol",
                K.EDUCATION_DEPARTMENT,
                [K.PRIMARY_SCHOOL, K.KINDERGARTEN],
                [],
                S.IN_PROGRESS,
                0,
                42,
            ),
            (
                "5.3",
                "Dohoda o postupu PPP a škol při doporučení",
                K.COUNSELLING_CENTRE,
                [K.PRIMARY_SCHOOL],
                ["primary"],
                S.DELAYED,
                2,
                8,
            ),
            (
                "5.4",
                "Výroční zpráva o plnění plánu pro zastupitelstvo",
                K.MUNICIPAL_OFFICE,
                [],
                [],
                S.PLANNED,
                11,
                2,
            ),
            (
                "5.5",
                "Sdílení dat o docházce mezi školami a městem",
                K.EDUCATION_DEPARTMENT,
                [K.CHILD_PROTECTION],
                ["primary"],
                S.PLANNED,
                8,
                12,
            ),
        ],
    ),
]


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    return datetime.date(day.year + month // 12, month % 12 + 1, 1)


def _first_of_kind(organisations, kind):
    return next((o for o in organisations if o.kind == kind), None)


def _build_plan(territory, title, start, end, status, coordinator, predecessor=None):
    plan = Plan.objects.create(
        territory=territory,
        title=title,
        period_start=start,
        period_end=end,
        status=status,
        coordinator=coordinator,
        predecessor=predecessor,
        adopted_on=start - datetime.timedelta(days=40) if status != PlanStatus.DRAFT else None,
        resolution_number=f"ZM/{start.year - 1}/{start.month:02}"
        if status != PlanStatus.DRAFT
        else "",
    )
    return plan


def load():
    zelenov = Territory.objects.filter(slug="zelenov").first()
    if zelenov is None:
        return []
    with scope(territory=zelenov):
        if Plan.objects.filter(territory=zelenov, title=CURRENT_TITLE).exists():
            return []
        organisations = list(Organisation.objects.filter(territory=zelenov).order_by("pk"))
        if not organisations:
            return []
        coordinator = Person.objects.filter(territory=zelenov, position="coordinator").first()
        author = get_user_model().objects.filter(email="koordinator@zelenov.example").first()
        today = timezone.localdate()

        previous = _build_plan(
            zelenov,
            PREVIOUS_TITLE,
            datetime.date(2020, 1, 1),
            datetime.date(2022, 12, 31),
            PlanStatus.CLOSED,
            coordinator,
        )
        start = datetime.date(today.year - 1, 9, 1)
        current = _build_plan(
            zelenov,
            CURRENT_TITLE,
            start,
            datetime.date(start.year + 3, 8, 31),
            PlanStatus.IN_IMPLEMENTATION,
            coordinator,
            predecessor=previous,
        )
        old_goal = Goal.objects.create(
            territory=zelenov, plan=previous, code="1", title="Dostupnost předškolního vzdělávání"
        )
        old_measures = {}
        for code, title, status in [
            ("1.1", "Terénní práce s rodinami dětí před vstupem do MŠ", S.IN_PROGRESS),
            ("1.2", "Adaptační skupiny v mateřských školách", S.DONE),
        ]:
            old_measures[code] = Measure.objects.create(
                territory=zelenov,
                plan=previous,
                goal=old_goal,
                code=code,
                title=title,
                status=status,
                start=datetime.date(2020, 1, 1),
                end=datetime.date(2022, 12, 31),
                lead_implementer=_first_of_kind(organisations, K.NGO),
            )

        measures = {}
        for goal_code, goal_title, rows in GOALS:
            goal = Goal.objects.create(
                territory=zelenov, plan=current, code=goal_code, title=goal_title
            )
            for code, title, lead_kind, partner_kinds, levels, status, offset, length in rows:
                m_start = _add_months(start, offset)
                m_end = min(
                    _add_months(m_start, length) - datetime.timedelta(days=1), current.period_end
                )
                measure = Measure.objects.create(
                    territory=zelenov,
                    plan=current,
                    goal=goal,
                    code=code,
                    title=title,
                    status=status,
                    start=m_start,
                    end=m_end,
                    education_levels=levels,
                    target_groups=["children", "parents"] if levels else ["professionals"],
                    lead_implementer=_first_of_kind(organisations, lead_kind),
                    budget_amount=Decimal(50000 + 25000 * len(measures)),
                    budget_currency="CZK",
                    funding_source="municipal" if len(measures) % 2 else "eu",
                    carried_over_from=old_measures.get(code) if goal_code == "1" else None,
                )
                measure.partners.set(
                    [o for o in (_first_of_kind(organisations, k) for k in partner_kinds) if o]
                )
                measures[code] = measure
        measures["3.1"].related.add(measures["3.4"], measures["5.5"])
        measures["2.1"].related.add(measures["5.3"])

        # Progress: recent for most measures in progress, stale for 2.3 (at risk).
        for code, days_ago, text in [
            ("1.1", 20, "Terénní pracovnice navštívila 14 rodin, 6 dětí přihlášeno do MŠ."),
            ("1.3", 35, "Příspěvek na stravné čerpá 22 dětí."),
            ("2.1", 10, "Na třech školách pracuje 9 asistentů pedagoga."),
            ("2.3", 200, "Doučování zahájeno ve dvou skupinách."),
            ("3.1", 15, "Postup schválen na setkání ředitelů, školy hlásí absenci jednotně."),
            ("4.1", 25, "Klub otevřen i v sobotu, průměrná návštěvnost 18 dětí."),
            ("5.1", 5, "Pracovní skupina se sešla počtvrté."),
        ]:
            measure = measures[code]
            day = today - datetime.timedelta(days=days_ago)
            ProgressUpdate.objects.create(
                territory=zelenov,
                measure=measure,
                date=day,
                status=measure.status,
                narrative=text,
                author=author,
            )
            Measure.objects.filter(pk=measure.pk).update(last_progress_on=day)

        # Tasks: two overdue, the rest due soon or done.
        for code, title, days, status in [
            ("2.2", "Objednat lektora kurzu heterogenní třídy", -30, TaskStatus.OPEN),
            ("5.3", "Připravit návrh dohody PPP a škol", -10, TaskStatus.OPEN),
            ("3.2", "Domluvit termíny besed s úřadem práce", 14, TaskStatus.OPEN),
            ("1.1", "Aktualizovat seznam rodin v terénu", 21, TaskStatus.OPEN),
            ("4.2", "Vyúčtovat tábory", -60, TaskStatus.DONE),
        ]:
            measure = measures[code]
            Task.objects.create(
                territory=zelenov,
                title=title,
                measure=measure,
                owner_organisation=measure.lead_implementer,
                due=today + datetime.timedelta(days=days),
                status=status,
                completed_on=today - datetime.timedelta(days=50)
                if status == TaskStatus.DONE
                else None,
                created_by=author,
            )

        absence = Indicator.objects.create(
            territory=zelenov,
            plan=current,
            name="Podíl žáků s neomluvenou absencí",
            unit="%",
            direction="down",
            baseline_value=Decimal("7.5"),
            baseline_date=datetime.date(start.year, 6, 30),
            target_value=Decimal("4.0"),
            target_date=current.period_end,
        )
        preschool = Indicator.objects.create(
            territory=zelenov,
            plan=current,
            measure=measures["1.1"],
            name="Děti z vyloučené lokality v MŠ",
            unit="dětí",
            direction="up",
            baseline_value=Decimal("11"),
            baseline_date=start,
            target_value=Decimal("25"),
            target_date=current.period_end,
        )
        for months, a, p in [(4, "7.1", "14"), (10, "6.4", "17"), (16, "6.0", "19")]:
            day = _add_months(start, months)
            if day <= today:
                IndicatorValue.objects.create(
                    territory=zelenov,
                    indicator=absence,
                    date=day,
                    value=Decimal(a),
                    source="Školní matriky",
                )
                IndicatorValue.objects.create(
                    territory=zelenov,
                    indicator=preschool,
                    date=day,
                    value=Decimal(p),
                    source="Zápisy MŠ",
                )
    return []
