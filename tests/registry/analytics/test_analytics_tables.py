"""Stored analytics tables: same answers as counting, figures as of the last refresh,
refreshed when the data changed, and a failed refresh leaves the previous one intact."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from huey import MemoryHuey
from sqlalchemy import func, select

from registry.analytics import INDICATORS, parse_request, run_query, sql, store
from registry.analytics import tables as tables_module
from registry.analytics.indicators import FAMILIES
from registry.analytics.periods import parse_period
from registry.analytics.refresh import refresh_due, refresh_tables
from registry.analytics.tables import Geography, build_table, table_digest
from registry.extensions import db
from registry.jobs.analytics import LOCK_NAME, refresh_analytics_task
from registry.jobs.runner import set_app
from registry.models import AnalyticsCell, AnalyticsChange, AnalyticsGeneration, AnalyticsTable
from registry.schemas import AdmissionSchema
from registry.services.episodes import admit_client
from tests.registry.analytics.conftest import PEOPLE

EVERYTHING = ";".join(INDICATORS)


@pytest.fixture
def app_config() -> dict:
    # 1-2 withheld: the small registry then has both withheld and published cells
    return {"SUPPRESSION_THRESHOLD": 3}


def ask(actor, **args):
    response = run_query(parse_request(args), actor=actor("ministry"))
    db.session.commit()  # the audit row
    return response


def admit_another(actor, centre, admission_form, day="2003-08-01"):
    form = admission_form(**{**PEOPLE["E"], "family_name": "Жумабеков"}, region_code="KG-GB",
                          admission_date=day)  # fmt: skip
    admit_client(AdmissionSchema().load(form), actor=actor("clinic-bishkek"), centre=centre("RNC"))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("split", ["sex", "age"])
def test_stored_tables_answer_exactly_as_counting_does(small_registry, actor, split):
    query = {"dx": EVERYTHING, "pe": "2002;2003;2004", "ou": "KG;LEVEL-2", "dimension": split}
    counted = ask(actor, **query)
    assert counted.meta_data["lastAnalyticsTableGeneration"] is None
    assert "entrants:2003" in counted.meta_data["countedAtRequest"]
    statuses = {row[-1] for row in counted.rows}
    assert {"ok", "suppressed"} <= statuses  # both kinds of cells are compared

    generation = refresh_tables()
    assert (generation.first_year, generation.last_year) == (2002, 2004)
    assert generation.tables == 6 * 3  # six families x three years
    stored = ask(actor, **query)
    assert stored.rows == counted.rows
    assert stored.meta_data["countedAtRequest"] == []
    assert stored.meta_data["lastAnalyticsTableGeneration"] == (
        store.as_utc(generation.finished_at).isoformat()
    )


def test_periods_not_stored_are_counted_at_request(small_registry, actor):
    refresh_tables()
    answer = ask(actor, dx="OST_CLIENTS;TDI_ENTRANTS", pe="2003Q3;2003;2005", ou="KG")
    # a census at a quarter's end, and a year after the data, are counted now
    assert answer.meta_data["countedAtRequest"] == [
        "entrants:2005", "ost_census:2003Q3", "ost_census:2005"]  # fmt: skip
    assert answer.meta_data["lastAnalyticsTableGeneration"] is not None


def test_figures_are_those_of_the_last_refresh_until_the_next(
    small_registry, actor, centre, admission_form
):
    generation = refresh_tables()
    # threshold 3: entrants in 2003 in Bishkek are A and B (2, withheld)
    bishkek = {"dx": "TDI_ENTRANTS", "pe": "2003", "ou": "KG-GB"}
    assert ask(actor, **bishkek).rows[0][-2:] == [None, "suppressed"]
    assert refresh_due() is None
    admit_another(actor, centre, admission_form)
    db.session.commit()
    assert count(AnalyticsChange) == 2  # the covered one kept, and this one
    assert ask(actor, **bishkek).rows[0][-2:] == [None, "suppressed"]
    finished = store.as_utc(generation.finished_at)
    assert refresh_due(now=finished + timedelta(minutes=9)) is None  # ANALYTICS_REFRESH_MINUTES
    assert refresh_due(now=finished + timedelta(minutes=10)) == "the data changed"
    before = ask(actor, **bishkek).meta_data["lastAnalyticsTableGeneration"]
    refresh_tables()
    answer = ask(actor, **bishkek)
    assert answer.meta_data["lastAnalyticsTableGeneration"] != before  # the new generation
    # 2 became 3, but a cell the last generation withheld stays withheld: publishing the 3
    # would give the earlier 2 by differencing (docs/disclosure.md)
    assert answer.rows[0][-2:] == [None, "suppressed"]
    assert count(AnalyticsGeneration) == 2  # this one and the one before
    refresh_tables()
    assert count(AnalyticsGeneration) == 2  # the first is dropped, with its tables
    kept = db.session.scalars(select(AnalyticsGeneration.id)).all()
    assert set(db.session.scalars(select(AnalyticsTable.generation_id))) == set(kept)
    assert refresh_due(now=finished + timedelta(hours=1)) is None


def test_a_table_whose_counts_did_not_change_is_published_as_before(
    small_registry, actor, centre, admission_form, monkeypatch
):
    first = refresh_tables()
    before = store.withheld_cells(first.id)
    digests = store.table_digests(first.id)
    assert digests and before  # (the empty tables have none)
    admit_another(actor, centre, admission_form)  # an entrant of 2003
    db.session.commit()
    suppressed = []
    real_suppress = tables_module.suppress

    def counting(values, *args, **kwargs):
        suppressed.append(values)
        return real_suppress(values, *args, **kwargs)

    monkeypatch.setattr(tables_module, "suppress", counting)
    second = refresh_tables()
    after = store.withheld_cells(second.id)
    digests_now = store.table_digests(second.id)
    changed = {k for k, digest in digests_now.items() if digests.get(k) != digest}
    assert ("entrants", date(2003, 12, 31)) in changed
    assert ("entrants", date(2004, 12, 31)) not in changed
    # only the tables whose counts changed are suppressed again; the rest, withheld
    # cells included, are what the first generation published (a greedy search forced
    # with the same cells could withhold more: docs/disclosure.md, "Differencing")
    assert len(suppressed) == len(changed) < second.tables
    for key in set(digests) - changed:
        assert after.get(key, frozenset()) == before.get(key, frozenset()), key


def test_the_digest_follows_the_counts_the_tree_and_the_threshold(small_registry):
    family = FAMILIES["entrants"]
    geography = Geography.load()
    period = parse_period("2003", today=date(2004, 1, 1))[0]
    leaf = sql.family_counts("entrants", [period])["2003"]
    digest = table_digest(family, geography, leaf, threshold=3)
    assert table_digest(family, geography, Counter(leaf), threshold=3) == digest
    assert table_digest(family, geography, leaf, threshold=4) != digest
    one_more = Counter(leaf)
    one_more[next(iter(leaf))] += 1
    assert table_digest(family, geography, one_more, threshold=3) != digest
    table = build_table(family, geography, leaf, threshold=3)
    assert table.digest == digest and table.suppressed
    # the same digest: the given cells are the withheld ones, whatever they are
    kept = frozenset(list(table.suppressed)[:1])
    again = build_table(family, geography, leaf, threshold=3, previous=kept,
                        previous_digest=digest)  # fmt: skip
    assert again.suppressed == kept
    other = build_table(family, geography, leaf, threshold=3, previous=kept,
                        previous_digest="0" * 64)  # fmt: skip
    assert other.suppressed == table.suppressed


def test_when_a_refresh_is_due(small_registry, app):
    assert refresh_due() == "there are no analytics tables yet"
    generation = refresh_tables()
    finished = store.as_utc(generation.finished_at)
    assert refresh_due(now=finished + timedelta(hours=23)) is None
    assert refresh_due(now=finished + timedelta(hours=24)) == "the tables are older than 24 hours"
    app.config["SUPPRESSION_THRESHOLD"] = 5
    assert refresh_due() == "the suppression threshold changed"


def test_only_committed_changes_of_registry_data_are_recorded(
    small_registry, actor, centre, admission_form
):
    before = count(AnalyticsChange)
    admit_another(actor, centre, admission_form)
    db.session.rollback()
    assert count(AnalyticsChange) == before
    admit_another(actor, centre, admission_form)  # client, episode, audit row: one change
    db.session.commit()
    assert count(AnalyticsChange) == before + 1
    ask(actor, dx="TDI_ENTRANTS", pe="2003", ou="KG")  # an audited read is not a change
    assert count(AnalyticsChange) == before + 1


def test_a_failed_refresh_changes_nothing(small_registry, actor, monkeypatch):
    first = refresh_tables()
    tables, cells = count(AnalyticsTable), count(AnalyticsCell)
    assert cells > 0

    def failing(table_id, table):
        yield {"table_id": table_id, "indicator": None}  # NOT NULL: the INSERT fails

    monkeypatch.setattr(store, "_cell_rows", failing)
    with pytest.raises(Exception, match="(?i)null"):
        refresh_tables()
    assert db.session.scalars(select(AnalyticsGeneration.id)).all() == [first.id]
    assert (count(AnalyticsTable), count(AnalyticsCell)) == (tables, cells)
    assert ask(actor, dx="TDI_ENTRANTS", pe="2003", ou="KG").meta_data[
        "lastAnalyticsTableGeneration"] == store.as_utc(first.finished_at).isoformat()  # fmt: skip


def test_the_worker_task_refreshes_when_due_and_once_at_a_time(small_registry, app):
    queue = MemoryHuey("test-analytics")
    set_app(app)
    newest = select(func.max(AnalyticsGeneration.id))
    try:
        refresh_analytics_task(queue)
        assert count(AnalyticsGeneration) == 1
        generation_id = db.session.scalar(newest)
        refresh_analytics_task(queue)  # nothing changed: no new generation
        assert db.session.scalar(newest) == generation_id
        app.config["SUPPRESSION_THRESHOLD"] = 4  # due again, but another refresh holds the lock
        with queue.lock_task(LOCK_NAME):
            refresh_analytics_task(queue)
        assert db.session.scalar(newest) == generation_id
        refresh_analytics_task(queue)
        assert db.session.scalar(newest) > generation_id
        assert store.current_generation().threshold == 4
    finally:
        set_app(None)


def test_refresh_and_status_commands(small_registry, runner):
    result = runner.invoke(args=["analytics", "status"])
    assert result.exit_code == 0, result.output
    assert "No analytics tables yet" in result.output
    assert "Refresh due: there are no analytics tables yet." in result.output
    result = runner.invoke(args=["analytics", "refresh", "--if-due"])
    assert result.exit_code == 0, result.output
    assert "18 tables (2002-2004, threshold 3)" in result.output
    result = runner.invoke(args=["analytics", "refresh", "--if-due"])
    assert result.output == "Analytics tables are up to date.\n"
    result = runner.invoke(args=["analytics", "status"])
    assert "Data changes since: 0." in result.output
    assert "Refresh due: no." in result.output


def test_an_empty_registry_gets_an_empty_generation(app, registry_data, db_session, actor):
    generation = refresh_tables()
    assert (generation.tables, generation.first_year, generation.last_year) == (0, None, None)
    assert refresh_due() is None
    answer = ask(actor, dx="TDI_ENTRANTS", pe="2003", ou="KG")
    assert answer.rows[0][-2:] == [0, "ok"]
    assert answer.meta_data["countedAtRequest"] == ["entrants:2003"]
