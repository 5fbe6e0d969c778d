"""The A-11 parser on the real file and on malformed copies of it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cxprogram.imports.a11 import A11FormatError, parse_a11, read_a11_file

DATA = Path(__file__).resolve().parents[2] / "data" / "a11-hisp-cx-fy2021q1-fy2023q1.csv"


@pytest.fixture(scope="module")
def text() -> str:
    return DATA.read_text(encoding="utf-8-sig")


def test_real_file_shape() -> None:
    rows = read_a11_file(DATA)
    assert len(rows) == 481
    assert len({r.department_code for r in rows}) == 18
    periods = sorted({(r.fiscal_year, r.fiscal_quarter) for r in rows})
    assert periods[0] == (2021, 1) and periods[-1] == (2023, 1) and len(periods) == 9
    assert len({(r.department_code, r.service_name) for r in rows}) == 48


def test_values_computed_by_hand() -> None:
    rows = {r.record_id: r for r in read_a11_file(DATA)}
    va = {a.metric: a for a in rows["1"].answers}
    # VA record 1, q1 counts 2302, 3118, 10615, 55358, 249586
    assert va["satisfaction"].n == 320979
    # points: 2302 + 6236 + 31845 + 221432 + 1247930 = 1509745
    assert va["satisfaction"].value == pytest.approx(1509745 / 320979, abs=1e-12)
    sba = {a.metric: a for a in rows["641"].answers}
    # SBA record 641, q1 counts 23, 5, 14, 56, 196 -> n 294, points 1279
    assert sba["satisfaction"].n == 294
    assert sba["satisfaction"].value == pytest.approx(1279 / 294, abs=1e-12)


def test_questions_without_answers_give_no_answer(text: str) -> None:
    header, _, rest = text.partition("\n")
    columns = header.split(",")
    row = dict.fromkeys(columns, "")
    row.update(
        {
            "id": "9001",
            "attributes_organization_name": "Test Agency",
            "attributes_organization_abbreviation": "TA",
            "attributes_service_provider_name": "Provider",
            "attributes_service_name": "Service",
            "attributes_collection_year": "2022",
            "attributes_collection_quarter": "3",
            "attributes_channel": "phone",
        }
    )
    for k in range(1, 6):
        row[f"attributes_q1_{k}"] = "NONE"
        row[f"attributes_q2_{k}"] = "0"
        row[f"attributes_q3_{k}"] = str(k)
    line = ",".join(row[c] for c in columns)
    [parsed] = parse_a11(io.StringIO(header + "\n" + line + "\n"))
    assert [a.metric for a in parsed.answers] == ["effectiveness"]
    assert parsed.answers[0].counts == (1, 2, 3, 4, 5)
    assert parsed.answers[0].value == pytest.approx(55 / 15)


def test_header_without_prefix_parses_the_same(text: str) -> None:
    header, _, rest = text.partition("\n")
    stripped = ",".join(c.removeprefix("attributes_") for c in header.split(","))
    assert parse_a11(io.StringIO(stripped + "\n" + rest)) == parse_a11(io.StringIO(text))


def test_byte_order_mark_is_handled(tmp_path: Path, text: str) -> None:
    copy = tmp_path / "bom.csv"
    copy.write_text("\ufeff" + text, encoding="utf-8")
    assert len(read_a11_file(copy)) == 481


def test_missing_columns_are_named() -> None:
    with pytest.raises(A11FormatError) as caught:
        parse_a11(io.StringIO("id,organization_abbreviation\n1,VA\n"))
    assert "missing columns" in caught.value.errors[0]
    assert "collection_year" in caught.value.errors[0]


def test_every_bad_row_is_listed(text: str) -> None:
    import csv

    records = list(csv.reader(io.StringIO(text)))
    header = records[0]
    records[3][header.index("attributes_q1_3")] = "abc"
    records[5][header.index("attributes_collection_quarter")] = "7"
    out = io.StringIO()
    csv.writer(out).writerows(records)
    with pytest.raises(A11FormatError) as caught:
        parse_a11(io.StringIO(out.getvalue()))
    errors = caught.value.errors
    assert len(errors) == 2
    assert errors[0] == "row 4, column attributes_q1_3: 'abc' is not a whole number"
    assert errors[1].startswith("row 6, column attributes_collection_quarter: '7'")
