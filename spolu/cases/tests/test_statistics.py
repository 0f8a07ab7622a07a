"""Signal statistics: small numbers hidden, aggregates only, fixed queries, who may see them."""

import datetime
import re
import zoneinfo

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from spolu.cases import services
from spolu.cases.models import Signal
from spolu.cases.stats import HIDDEN, Cell, signal_statistics, suppress_counts

from .builders import file_signal, make_case_world

ZONE = zoneinfo.ZoneInfo("Europe/Prague")
MIN = 5  # settings.SPOLU_CASES_MIN_COUNT's default


def statistics_url(world):
    return reverse("cases:statistics", kwargs={"territory": world.territory.slug})


def network_url(cast, network=None):
    return reverse("cases:network-statistics", kwargs={"network": (network or cast.network_a).slug})


def file_signals(world, count, **fields):
    return [file_signal(world, **fields) for _ in range(count)]


def update(world, signals, **fields):
    with scope(territory=world.territory):
        Signal.objects.filter(pk__in=[s.pk for s in signals]).update(**fields)


def compute(world, **kwargs):
    with scope(territory=world.territory):
        return signal_statistics([world.territory], today=timezone.localdate(), **kwargs)


def row_cell(html, table, key, column=-1):
    """The HTML of a number cell (the last one) of the row `key` in the table with id `table`."""
    table_html = re.search(rf'<table id="{table}".*?</table>', html, re.S).group(0)
    row = re.search(rf'<tr data-key="{re.escape(key)}">(.*?)</tr>', table_html, re.S).group(1)
    return re.findall(r"<td>(.*?)</td>", row, re.S)[column].strip()


def fact(html, key):
    return re.search(rf'<div data-key="{key}"><dt>.*?</dt><dd>(.*?)</dd>', html, re.S).group(1)


def card(html):
    """The home page's card of signal statistics."""
    return re.search(
        r'<section class="card"[^>]*id="signals-card">.*?</section>', html, re.S
    ).group(0)


def every_cell(stats):
    tables = [stats.by_category, stats.by_month, stats.by_state]
    tables += [stats.by_school] if stats.by_school else []
    for table in tables:
        yield table.total
        yield from (row.cell for row in table.rows)
    for row in stats.by_territory:
        yield row.count
    yield from (stats.total, stats.overdue)


# --- the suppression rule ------------------------------------------------------------------


def test_small_counts_are_hidden_and_zero_is_shown():
    cells, total = suppress_counts([0, 5, 6])
    assert cells == [Cell(0), Cell(5), Cell(6)] and total == Cell(11)
    cells, total = suppress_counts([0, 3])
    assert cells == [Cell(0), HIDDEN] and total == HIDDEN  # a total below 5 is hidden too


def test_one_hidden_cell_hides_the_next_smallest_so_it_cannot_be_subtracted():
    cells, total = suppress_counts([4, 0, 9, 6, 20])
    assert cells == [HIDDEN, Cell(0), Cell(9), HIDDEN, Cell(20)]
    assert total == Cell(39)
    assert suppress_counts([4, 10], with_total=False)[0] == [HIDDEN, Cell(10)]


def test_hidden_cells_adding_up_to_less_than_the_threshold_are_protected_too():
    # 1 and 1 of 22: both would be known to be 1, so the 20 is hidden as well.
    cells, total = suppress_counts([1, 1, 20])
    assert cells == [HIDDEN, HIDDEN, HIDDEN] and total == Cell(22)


def test_the_threshold_comes_from_the_settings(settings):
    settings.SPOLU_CASES_MIN_COUNT = 3
    assert suppress_counts([2, 3, 4]) == ([HIDDEN, HIDDEN, Cell(4)], Cell(9))


# --- computed over signals -----------------------------------------------------------------


def test_four_signals_in_a_category_are_hidden_with_the_next_smallest(world):
    file_signals(world, 4, category="absence")
    file_signals(world, 5, category="failure")
    file_signals(world, 6, category="behaviour")
    stats = compute(world)
    table = stats.by_category
    assert table.cell("absence") == HIDDEN
    assert table.cell("failure") == HIDDEN  # complementary: 15 - 6 - 5 would give 4
    assert table.cell("behaviour") == Cell(6)
    assert table.cell("family") == Cell(0)
    assert table.total == Cell(15)


def test_five_signals_in_a_category_are_shown(world):
    file_signals(world, 5, category="absence")
    file_signals(world, 6, category="failure")
    stats = compute(world)
    assert stats.by_category.cell("absence") == Cell(5)
    assert stats.by_category.cell("failure") == Cell(6)
    assert stats.total == Cell(11)


def test_the_page_hides_four_and_its_complement_alike(world, client_for):
    file_signals(world, 4, category="absence")
    file_signals(world, 5, category="failure")
    file_signals(world, 6, category="behaviour")
    html = client_for(world.user("a_coordinator")).get(statistics_url(world)).content.decode()
    absence = row_cell(html, "stats-category", "absence")
    assert "hidden" in absence and "4" not in absence
    # The complement reads the same ("fewer than 5" would be untrue of 5, and two different
    # labels would tell which cell is the small one).
    assert row_cell(html, "stats-category", "failure") == absence
    assert row_cell(html, "stats-category", "behaviour") == "6"
    assert row_cell(html, "stats-category", "total") == "15"
    assert "can be worked out from the total by subtraction" in html


def test_no_count_from_one_to_four_reaches_the_page_or_its_context(world, client_for):
    # Small numbers everywhere: categories, schools, statuses, outcomes, months. Without
    # suppression this page would print 1, 2, 3 and 4 in many cells.
    file_signals(world, 1, category="absence")
    file_signals(world, 2, category="failure")
    file_signals(world, 3, category="family", school=world.other_school)
    closing = file_signals(world, 4, category="behaviour")
    worker = world.user("a_caseworker")
    with scope(territory=world.territory):
        for signal in closing:
            services.do_triage(signal, "department", "Řešíme.", acting_user=worker)
        services.do_close(closing[0], "resolved", "Hotovo.", acting_user=worker)
    update(world, closing[1:], triage_due=timezone.localdate() - datetime.timedelta(days=30))
    response = client_for(world.user("a_viewer")).get(statistics_url(world))
    html = response.content.decode()
    numbers = re.findall(r"<td>([^<]*)</td>|<dd>([^<]*)</dd>", html)
    shown = [int(text) for pair in numbers for text in pair if text.strip().isdigit()]
    assert shown and all(n == 0 or n >= MIN for n in shown), shown
    stats = response.context["stats"]
    assert stats.total == Cell(10)
    for cell in every_cell(stats):
        assert cell.value is None if cell.suppressed else (cell.value == 0 or cell.value >= MIN)


def test_status_and_outcome_are_one_table(world):
    signals = file_signals(world, 12)
    worker = world.user("a_caseworker")
    with scope(territory=world.territory):
        for signal in signals[:11]:
            services.do_triage(signal, "department", "Řešíme.", acting_user=worker)
        for signal in signals[:6]:
            services.do_close(signal, "resolved", "Hotovo.", acting_user=worker)
    stats = compute(world)
    assert stats.by_state.cell("closed_resolved") == Cell(6)
    # 5 triaged and 1 received: the 1 is hidden, and the 5 beside it. With a separate
    # "closed" row and an outcome table, the hidden counts could be worked out.
    assert stats.by_state.cell("received") == HIDDEN
    assert stats.by_state.cell("triaged") == HIDDEN
    assert stats.by_state.total == Cell(12)
    assert "closed" not in [row.key for row in stats.by_state.rows]


def test_medians_and_share_on_time_need_five_signals(world):
    now = timezone.now()
    signals = file_signals(world, 5)
    for days, signal in enumerate(signals, start=1):
        filed = now - datetime.timedelta(days=days)
        due = timezone.localdate(filed) + datetime.timedelta(days=3)
        update(
            world,
            [signal],
            filed_at=filed,
            triaged_at=now,
            first_feedback_at=filed + datetime.timedelta(hours=12),
            triage_due=due,
            status="triaged",
        )
    stats = compute(world)
    assert stats.median_days_to_triage == Cell(3.0)
    assert stats.median_days_to_feedback == Cell(0.5)
    assert stats.triaged_on_time_percent == Cell(60)  # filed 1, 2, 3 days ago: on time
    # The one filed 5 days ago was never triaged: 4 measured times, too few for a median.
    update(world, signals[-1:], triaged_at=None, first_feedback_at=None, status="received")
    stats = compute(world)
    assert stats.median_days_to_triage == HIDDEN
    assert stats.median_days_to_feedback == HIDDEN
    # It is past its due day (it could no longer be on time): still five signals measured.
    assert stats.triaged_on_time_percent == Cell(60)


def test_overdue_counts_signals_waiting_past_their_due_day(world):
    signals = file_signals(world, 6)
    update(world, signals[:5], triage_due=timezone.localdate() - datetime.timedelta(days=1))
    assert compute(world).overdue == Cell(5)
    update(world, signals[:1], triage_due=timezone.localdate())
    assert compute(world).overdue == HIDDEN


def test_months_are_the_last_twelve_oldest_first_with_empty_months(world):
    today = timezone.localdate()
    oldest = datetime.datetime.combine(
        today.replace(day=15) - relativedelta(months=11), datetime.time(12), tzinfo=ZONE
    )
    old, recent, too_old = file_signals(world, 5), file_signals(world, 5), file_signal(world)
    update(world, old, filed_at=oldest)
    update(world, [too_old], filed_at=oldest - relativedelta(months=1))
    stats = compute(world)
    months = stats.by_month.rows
    assert len(months) == 12
    assert months[0].key == oldest.date().isoformat()[:7]
    assert months[-1].key == today.isoformat()[:7]
    assert months[0].cell == Cell(5) and months[-1].cell == Cell(5)
    assert all(row.cell == Cell(0) for row in months[1:-1])
    assert stats.total == Cell(10)  # the signal of 13 months ago is outside the period
    assert stats.period_start == oldest.date().replace(day=1)
    assert len(recent) == 5


def test_schools_are_counted_by_name(world):
    file_signals(world, 7)
    file_signals(world, 5, school=world.other_school)
    stats = compute(world)
    assert [(row.label, row.cell) for row in stats.by_school.rows] == [
        ("ZŠ Horní", Cell(5)),
        ("ZŠ Lipová", Cell(7)),
    ]


def test_statistics_never_read_the_encrypted_columns(world):
    signals = file_signals(world, 6)
    with scope(territory=world.territory):
        services.do_triage(
            signals[0], "department", "Řešíme.", acting_user=world.user("a_caseworker")
        )
    with CaptureQueriesContext(connection) as queries:
        compute(world)
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert len(queries.captured_queries) == 3
    for column in ("description", "pupil_reference", "pupil_initials", "school_actions"):
        assert column not in sql


# --- pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a_coordinator", "a_viewer"])
def test_coordinator_and_viewer_see_statistics_but_no_signal(world, client_for, name):
    signal = file_signal(world)
    client = client_for(world.user(name))
    assert client.get(statistics_url(world)).status_code == 200
    detail = reverse(
        "cases:signal-detail", kwargs={"territory": world.territory.slug, "pk": signal.pk}
    )
    assert client.get(detail).status_code == 404


def test_other_territory_and_anonymous_cannot_see_statistics(world, client, client_for):
    assert client.get(statistics_url(world)).status_code == 302
    assert client_for(world.user("b_coordinator")).get(statistics_url(world)).status_code == 404


def test_empty_database_pages_work(cast, client_for):
    world_url = reverse("cases:statistics", kwargs={"territory": cast.territory_a.slug})
    response = client_for(cast.user("a_coordinator")).get(world_url)
    assert response.status_code == 200
    assert "No signals yet" in response.content.decode()
    response = client_for(cast.user("a_advisor")).get(network_url(cast))
    assert response.status_code == 200
    assert "No signals yet" in response.content.decode()


def test_network_advisor_sees_the_network_statistics(world, cast, client_for):
    file_signals(world, 6, category="absence")
    response = client_for(cast.user("a_advisor")).get(network_url(cast))
    html = response.content.decode()
    assert response.status_code == 200
    assert row_cell(html, "stats-territory", "Alfov", 0) == "6"
    assert row_cell(html, "stats-category", "absence") == "6"
    # No school table on a network's page: within one territory, whose count is published,
    # a school hidden across the network could be worked out.
    assert "ZŠ Lipová" not in html


def test_network_territory_rows_are_suppressed(world, cast, client_for):
    cast.network_a.territories.add(cast.territory_b)
    world_b = make_case_world(cast, prefix="b")
    file_signals(world, 9)
    file_signals(world_b, 3, user=world_b.user("b_school"))
    html = client_for(cast.user("a_advisor")).get(network_url(cast)).content.decode()
    assert "hidden" in row_cell(html, "stats-territory", "Betów", 0)
    assert "hidden" in row_cell(html, "stats-territory", "Alfov", 0)  # 12 - 3
    assert row_cell(html, "stats-territory", "total", 0) == "12"


@pytest.mark.parametrize("name", ["b_advisor", "a_coordinator", "nobody"])
def test_others_get_404_on_the_network_statistics(cast, client_for, name):
    assert client_for(cast.user(name)).get(network_url(cast)).status_code == 404


def _spread_over_months(world, signals):
    now = timezone.now()
    worker = world.user("a_caseworker")
    with scope(territory=world.territory):
        for i, signal in enumerate(signals):
            if i % 2:
                services.do_triage(signal, "department", "Řešíme.", acting_user=worker)
            if i % 4 == 1:
                services.do_close(signal, "resolved", "Hotovo.", acting_user=worker)
    for i, signal in enumerate(signals):
        update(world, [signal], filed_at=now - relativedelta(months=i % 12, days=1))


@pytest.mark.parametrize("count", [3, 40])
def test_statistics_pages_use_a_fixed_number_of_queries(
    world, cast, client_for, django_assert_num_queries, count
):
    _spread_over_months(world, file_signals(world, count))
    file_signal(world, school=world.other_school)  # a second school
    client = client_for(world.user("a_coordinator"))
    client.get(statistics_url(world))  # warm the session
    # session, user, memberships+territories (also the switcher's); counts, schools, timestamps
    with django_assert_num_queries(6):
        assert client.get(statistics_url(world)).status_code == 200
    home = reverse("territories:home", kwargs={"territory": world.territory.slug})
    client = client_for(world.user("a_viewer"))
    client.get(home)
    # as in spolu/territories/tests/test_home.py, with the card's counts and triage times
    with django_assert_num_queries(9):
        assert client.get(home).status_code == 200
    client = client_for(cast.user("a_advisor"))
    client.get(network_url(cast))
    # session, user, network membership, the network's territories; counts, schools,
    # timestamps; switcher
    with django_assert_num_queries(8):
        assert client.get(network_url(cast)).status_code == 200


def test_home_card_shows_the_summary_hidden_the_same_way(world, client_for):
    file_signals(world, 7)
    home = reverse("territories:home", kwargs={"territory": world.territory.slug})
    html = card(client_for(world.user("a_viewer")).get(home).content.decode())
    assert "Signals from schools" in html
    assert fact(html, "total") == "7"
    assert "fewer than 5" not in fact(html, "total")
    assert "too few signals" in fact(html, "median-triage")
    assert statistics_url(world) in html
    signal_list = reverse("cases:signal-list", kwargs={"territory": world.territory.slug})
    assert f'href="{signal_list}"' not in html  # a viewer has no signals to open
    html = card(client_for(world.user("a_school")).get(home).content.decode())
    assert f'href="{signal_list}"' in html


def test_home_card_hides_a_small_total(world, client_for):
    file_signals(world, 3)
    home = reverse("territories:home", kwargs={"territory": world.territory.slug})
    html = card(client_for(world.user("a_coordinator")).get(home).content.decode())
    assert "fewer than 5" in fact(html, "total") and "3" not in fact(html, "total")


def test_network_home_links_to_the_network_statistics(cast, client_for):
    home = reverse("territories:network-home", kwargs={"network": cast.network_a.slug})
    assert network_url(cast) in client_for(cast.user("a_analyst")).get(home).content.decode()


def test_a_network_without_territories_has_an_empty_page(cast, client_for):
    from spolu.territories.models import Network, NetworkMembership

    network = Network.objects.create(name="Empty", slug="empty")
    NetworkMembership.objects.create(network=network, user=cast.user("a_advisor"), role="advisor")
    response = client_for(cast.user("a_advisor")).get(network_url(cast, network))
    assert response.status_code == 200
    assert "No signals yet" in response.content.decode()
