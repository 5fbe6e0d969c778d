"""The dashboard and the drill-down show the API's numbers: every number of their tables
equals GET /api/v1/rollups/{period} for the same snapshot, rounded as displayed; the CSV
downloads carry them at full precision; the pages follow the read rule of SPEC 2 and answer
odd query arguments with 400 or 404 pages."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest

from cxprogram.auth.tokens import create_token

PERIOD = "FY2023-Q1"
PREVIOUS = "FY2022-Q4"


@pytest.fixture
def demo(runner: Any, db_session: Any) -> None:
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert runner.invoke(args=["rollup", "--all"]).exit_code == 0


# --- an independent reading of the page: tables by id, cells with their data attributes ---


@dataclass
class Cell:
    tag: str
    attrs: dict[str, str]
    text: str = ""


@dataclass
class Row:
    attrs: dict[str, str]
    cells: list[Cell] = field(default_factory=list)

    def field(self, name: str) -> str:
        """The text of the cell marked data-field=name (exactly one)."""
        found = [c.text for c in self.cells if c.attrs.get("data-field") == name]
        assert len(found) == 1, (name, self.attrs, [c.attrs for c in self.cells])
        return found[0]


class Tables(HTMLParser):
    """Every table of a page with an id: its rows (thead, tbody and tfoot), cell texts
    with spaces collapsed."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[Row]] = {}
        self._stack: list[tuple[str | None, list[Row]]] = []
        self._cell: Cell | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            rows: list[Row] = []
            self._stack.append((a.get("id"), rows))
            if a.get("id"):
                self.tables[a["id"]] = rows
        elif tag == "tr" and self._stack:
            self._stack[-1][1].append(Row(a))
        elif tag in ("td", "th") and self._stack and self._stack[-1][1]:
            self._cell = Cell(tag, a)
            self._stack[-1][1][-1].cells.append(self._cell)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._stack:
            self._stack.pop()
        elif tag in ("td", "th") and self._cell is not None:
            self._cell.text = " ".join(self._cell.text.split())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.text += data


def shown(value: float | None) -> str:
    """A number as the pages display it: two decimals, a dash for none."""
    return "–" if value is None else f"{value:.2f}"


def shown_signed(value: float | None) -> str:
    return "–" if value is None else f"{value:+.2f}"


def shown_percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def first_number(text: str) -> str:
    return text.split()[0]


def api_rollup(client: Any, user: Any, period: str = PERIOD) -> dict[str, Any]:
    token = create_token(user)
    answer = client.get(f"/api/v1/rollups/{period}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    return answer.get_json()  # type: ignore[no-any-return]


def page(client: Any, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def standard(doc: dict[str, Any]) -> list[str]:
    return [c for c, b in doc["metrics"].items() if b.get("is_standard", True)]


# --- the numbers ---


def test_dashboard_numbers_equal_the_api(
    client: Any, login: Any, make_user: Any, demo: None
) -> None:
    chief = make_user("chief")
    login(chief.email)
    html = page(client, f"/dashboard?period={PERIOD}")
    doc = api_rollup(client, chief)
    tables = Tables(html).tables
    metrics = {r.attrs["data-metric"]: r for r in tables["metrics-table"][1:]}
    assert list(metrics) == standard(doc) and len(metrics) >= 5
    for code, row in metrics.items():
        block = doc["metrics"][code]
        assert row.field("org_score") == shown(block["org_score"])
        assert row.field("change") == shown_signed((block["decomposition"] or {}).get("delta"))
        assert row.field("n_departments") == str(block["n_departments"])
        assert row.field("target") == shown(block["target"])
    consistency = {r.attrs["data-metric"]: r for r in tables["consistency-table"][1:]}
    for code, row in consistency.items():
        block = doc["metrics"][code]
        assert row.field("consistency") == shown_percent(block["consistency"])
        assert row.field("cv") == shown(block["cv"])
        assert row.field("cv_change") == shown_signed(block["convergence"]["cv_change"])
    assert f">{shown_percent(doc['consistency_index'])}<" in html


def test_heatmap_cells_equal_the_api_and_link_to_the_drill_down(
    client: Any, login: Any, make_user: Any, demo: None
) -> None:
    chief = make_user("chief")
    login(chief.email)
    html = page(client, f"/dashboard?period={PERIOD}")
    doc = api_rollup(client, chief)
    rows = Tables(html).tables["heatmap"][1:]
    codes = {d for m in standard(doc) for d in doc["metrics"][m]["departments"]}
    assert {r.attrs["data-department"] for r in rows} == codes
    checked = 0
    for row in rows:
        for cell in row.cells[1:]:
            entry = doc["metrics"][cell.attrs["data-metric"]]["departments"].get(
                row.attrs["data-department"]
            )
            if entry is None:
                assert cell.text.startswith("no data")
                continue
            assert first_number(cell.text) == shown(entry["score"])
            word = {"green": "met", "amber": "near", "red": "missed"}.get(entry["status"])
            assert word is None or word in cell.text
            checked += 1
    assert checked > 50
    code = rows[0].attrs["data-department"]
    assert f'href="/dashboard/departments/{code}?period={PERIOD}&amp;metric=' in html


def test_heatmap_sorts_by_any_column_through_the_query_string(
    client: Any, login: Any, make_user: Any, demo: None
) -> None:
    chief = make_user("chief")
    login(chief.email)
    doc = api_rollup(client, chief)
    entries = doc["metrics"]["satisfaction"]["departments"]
    for order, reverse in (("asc", False), ("desc", True)):
        html = page(client, f"/dashboard?period={PERIOD}&sort=satisfaction&order={order}")
        rows = Tables(html).tables["heatmap"][1:]
        shown_codes = [r.attrs["data-department"] for r in rows if r.attrs["data-department"]
                       in entries]  # fmt: skip
        expected = sorted(entries, key=lambda c: (entries[c]["score"], c), reverse=reverse)
        assert shown_codes == expected
        assert 'aria-sort="' + ("descending" if reverse else "ascending") + '"' in html
    by_name = Tables(page(client, f"/dashboard?period={PERIOD}&sort=department&order=desc"))
    names = [r.cells[0].text for r in by_name.tables["heatmap"][1:]]
    assert names == sorted(names, key=str.lower, reverse=True)


def test_what_moved_equals_the_api_and_says_it_in_a_sentence(
    client: Any, login: Any, make_user: Any, demo: None
) -> None:
    chief = make_user("chief")
    login(chief.email)
    html = page(client, f"/dashboard?period={PERIOD}&metric=satisfaction")
    doc = api_rollup(client, chief)
    dec = doc["metrics"]["satisfaction"]["decomposition"]
    tables = Tables(html).tables
    rows = tables["moved-table"]
    body = [r for r in rows if r.attrs.get("data-department")]
    assert [r.attrs["data-department"] for r in body] == sorted(
        dec["departments"], key=lambda c: (-abs(dec["departments"][c]["total"]), c)
    )
    for row in body:
        part = dec["departments"][row.attrs["data-department"]]
        for name in ("rate", "mix", "total"):
            assert row.field(name) == shown_signed(part[name])
    total = rows[-1]
    assert total.field("total") == shown_signed(dec["delta"])
    assert total.field("rate") == shown_signed(dec["rate"])
    waterfall = tables["waterfall-table"]
    score = doc["metrics"]["satisfaction"]["org_score"]
    assert waterfall[1].field("start") == shown(score - dec["delta"])
    assert waterfall[-1].field("end") == shown(score)
    verb = "rose" if dec["delta"] > 0 else "fell"
    assert f"Overall satisfaction {verb} {abs(dec['delta']):.2f}." in html
    assert "<svg" in html and "<title" in html and "<desc" in html


def test_strategy_effects_equal_the_api_with_a_verdict_and_links(
    client: Any, login: Any, make_user: Any, demo: None
) -> None:
    chief = make_user("chief")
    login(chief.email)
    html = page(client, f"/dashboard?period={PERIOD}")
    doc = api_rollup(client, chief)
    rows = [r for r in Tables(html).tables["effects-table"] if r.attrs.get("data-strategy")]
    assert len(rows) == len(doc["strategy_effects"]) > 0
    verdicts = set()
    for row, effect in zip(rows, doc["strategy_effects"], strict=True):
        assert row.attrs["data-strategy"] == str(effect["strategy_id"])
        for name in ("pre", "post", "control_pre", "control_post"):
            assert row.field(name) == shown(effect[name])
        assert row.field("effect") == shown_signed(effect["effect"])
        assert row.field("contribution") == shown_signed(effect["contribution"])
        verdicts.add(row.cells[-1].text)
        assert f'href="/strategies/{effect["strategy_id"]}"' in html
    assert "insufficient data" in verdicts or len(verdicts) > 1


def test_drill_down_numbers_equal_the_api(
    client: Any, login: Any, make_user: Any, demo: None
) -> None:
    chief = make_user("chief")
    login(chief.email)
    doc = api_rollup(client, chief)
    html = page(client, f"/dashboard/departments/VA?period={PERIOD}")
    tables = Tables(html).tables
    rows = {r.attrs["data-metric"]: r for r in tables["scores-table"][1:]}
    expected = {m for m, b in doc["metrics"].items() if "VA" in b["departments"]}
    assert set(rows) == expected and expected
    for code, row in rows.items():
        block = doc["metrics"][code]
        entry = block["departments"]["VA"]
        assert row.field("score") == shown(entry["score"])
        assert row.field("n") == shown(entry["n"])
        assert row.field("weight") == shown(entry["weight"])
        assert row.field("target") == shown(block["target"])
        assert row.field("org_score") == shown(block["org_score"])
        assert row.field("vs_org") == shown_signed(entry["score"] - block["org_score"])
    assert html.count('role="img"') >= len(expected)  # an XmR chart per metric
    assert "services-table" in tables and "history-table" in tables


def _csv(client: Any, path: str) -> list[dict[str, str]]:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_csv_downloads_carry_the_api_numbers_at_full_precision(
    client: Any, login: Any, make_user: Any, demo: None
) -> None:
    chief = make_user("chief")
    login(chief.email)
    doc = api_rollup(client, chief)
    base = f"/dashboard?period={PERIOD}&format=csv&table="
    for row in _csv(client, base + "metrics"):
        assert float(row["org_score"]) == doc["metrics"][row["metric"]]["org_score"]
    heat = _csv(client, base + "heatmap")
    assert len(heat) == len({d for m in standard(doc) for d in doc["metrics"][m]["departments"]})
    for row in heat:
        entry = doc["metrics"]["satisfaction"]["departments"].get(row["department"])
        if entry:
            assert float(row["satisfaction score"]) == entry["score"]
    moved = _csv(client, base + "moved&metric=satisfaction")
    parts = doc["metrics"]["satisfaction"]["decomposition"]["departments"]
    assert {r["department"]: float(r["mix"]) for r in moved} == {
        c: p["mix"] for c, p in parts.items()
    }
    effects = _csv(client, base + "effects")
    assert [float(r["effect"]) if r["effect"] else None for r in effects] == [
        e["effect"] for e in doc["strategy_effects"]
    ]
    for table in ("consistency", "waterfall", "special"):
        assert _csv(client, base + table + "&metric=satisfaction") is not None
    scores = _csv(client, f"/dashboard/departments/VA?period={PERIOD}&format=csv&table=scores")
    assert {r["metric"]: float(r["score"]) for r in scores} == {
        m: b["departments"]["VA"]["score"] for m, b in doc["metrics"].items()
        if "VA" in b["departments"]
    }  # fmt: skip


# --- who may open what ---


def test_who_may_open_the_dashboard(client: Any, login: Any, make_user: Any, demo: None) -> None:
    paths = (f"/dashboard?period={PERIOD}", f"/dashboard/departments/SBA?period={PERIOD}")
    assert client.get(paths[0]).status_code == 302  # anonymous: sign in first
    for role, expected in (("chief", 200), ("viewer", 200), ("officer", 200), ("admin", 403)):
        other = client.application.test_client()
        user = make_user(role, departments=("VA",) if role == "officer" else ())
        token = other.get("/sign-in").get_data(as_text=True).split('name="csrf_token"')[1]
        token = token.split('value="')[1].split('"')[0]
        other.post("/sign-in", data={"email": user.email, "password": "correct horse battery "
                                     "staple", "csrf_token": token})  # fmt: skip
        for path in paths:
            assert other.get(path).status_code == expected, (role, path)
        assert other.get("/dashboard/method").status_code == 200


def test_an_officer_sees_other_departments_published_figures_only(
    client: Any, login: Any, make_user: Any, demo: None, db_session: Any
) -> None:
    from cxprogram.metrics.models import Observation
    from cxprogram.org.models import Department

    sba = db_session.query(Department).filter_by(code="SBA").one()
    noted = db_session.query(Observation).filter_by(department_id=sba.id).first()
    noted.note = "A private note of SBA's officer"
    db_session.flush()
    login(make_user("officer", departments=("VA",)).email)
    other = page(client, f"/dashboard/departments/SBA?period={PERIOD}")
    assert "scores-table" in other and "services-table" not in other
    assert "A private note of SBA's officer" not in other
    assert "history-table" not in other
    own = page(client, f"/dashboard/departments/VA?period={PERIOD}")
    assert "services-table" in own and "history-table" in own


def test_a_listed_viewer_sees_only_their_departments(
    client: Any, login: Any, make_user: Any, demo: None
) -> None:
    viewer = make_user("viewer", departments=("SBA",))
    login(viewer.email)
    html = page(client, f"/dashboard?period={PERIOD}")
    assert [r.attrs["data-department"] for r in Tables(html).tables["heatmap"][1:]] == ["SBA"]
    page(client, f"/dashboard/departments/VA?period={PERIOD}", 403)
    page(client, f"/dashboard/departments/SBA?period={PERIOD}", 200)


def test_chief_and_viewer_land_on_the_dashboard_and_the_tracker_stays(
    client: Any, login: Any, make_user: Any, demo: None
) -> None:
    login(make_user("chief").email)
    home = page(client, "/")
    assert "Organization dashboard" in home and 'id="heatmap"' in home
    assert "Completion tracker" in page(client, "/tracker")


# --- odd input ---


ODD = [  # query, status of the dashboard, status of a drill-down
    ("period=FY1999-Q1", 404, 404), ("period=FY0000-Q1", 404, 404),
    ("period=nonsense", 400, 400), ("period=" + "9" * 200, 400, 400),
    ("metric=no-such-metric", 404, 404), ("sort=nope", 400, 200), ("order=sideways", 400, 400),
    ("format=pdf", 400, 400), ("format=csv", 404, 404), ("format=csv&table=nope", 404, 404),
    ("metric=%00", 400, 400), ("period=latest", 200, 200), ("period=fy2023-q1", 200, 200),
    ("sort=", 200, 200), ("sort=satisfaction&order=desc", 200, 200),
]  # fmt: skip


def test_odd_query_arguments_get_400_or_404_pages(
    client: Any, login: Any, make_user: Any, demo: None
) -> None:
    login(make_user("chief").email)
    for query, dashboard, drill_down in ODD:
        page(client, f"/dashboard?{query}", dashboard)
        page(client, f"/dashboard/departments/VA?{query}", drill_down)


def test_unknown_department_is_404_and_no_rollup_is_said(
    client: Any, login: Any, make_user: Any, make_settings: Any, db_session: Any
) -> None:
    make_settings()
    login(make_user("chief").email)
    html = page(client, "/dashboard")
    assert "No rollup has been computed yet" in html
    page(client, "/dashboard/departments/NOPE", 404)
