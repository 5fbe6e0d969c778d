"""The OpenAPI 3.1 document of /api/v1, generated from the pydantic models the views
validate with (schemas.py): the document and the code cannot disagree."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from cxprogram.api import schemas
from cxprogram.core.inputs import JSON_MAX_DEPTH

REF = "#/components/schemas/{model}"


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _json(description: str, model: type[BaseModel] | dict[str, Any]) -> dict[str, Any]:
    schema = _ref(model) if isinstance(model, type) else model
    return {"description": description, "content": {"application/json": {"schema": schema}}}


BAD_BODY = f"The JSON nests deeper than {JSON_MAX_DEPTH} levels, or holds a NUL character"


def _errors(*codes: int) -> dict[str, Any]:
    texts = {
        400: "Bad query or path parameter",
        401: "Missing or invalid token",
        403: "Not allowed for this user (or, on POST, an item in another department)",
        404: "Not found",
        409: "A posted version is stale (`current` gives those observations as stored now), "
        "or an observation changed while writing; nothing was written",
        415: "The body is not JSON",
        422: "Invalid items, each with its index, field and reason; nothing was written",
    }
    return {
        str(code): _json(texts[code], schemas.ConflictOut if code == 409 else schemas.ErrorOut)
        for code in codes
    }


def _get(summary: str, schema: dict[str, Any], *codes: int, params: Any = ()) -> dict[str, Any]:
    return {
        "summary": summary,
        "parameters": list(params),
        "responses": {"200": _json("OK", schema), **_errors(401, 403, *codes)},
    }


def _array(model: type[BaseModel]) -> dict[str, Any]:
    return {"type": "array", "items": _ref(model)}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """One optional query parameter per field of the model the view validates with."""
    properties = model.model_json_schema()["properties"]
    return [
        {"name": name, "in": "query", "required": False, "schema": schema}
        for name, schema in properties.items()
    ]


def _observations() -> dict[str, Any]:
    params = _query_parameters(schemas.ObservationQuery)
    post = {
        "summary": "Store observations: the import's rules, all or nothing",
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": _ref(schemas.ObservationBatch), "example": [
                {"department": "VA", "metric": "satisfaction", "period": "FY2023-Q1",
                 "value": 4.21, "n": 120},
                {"department": "VA", "metric": "ease", "period": "FY2023-Q1",
                 "value": 4.05, "n": 310, "key": "survey-2023-wave-2",
                 "label": "Benefits application survey, second wave"}]}}},
        "responses": {
            "201": _json("Stored", schemas.ObservationsCreated),
            "400": _json(BAD_BODY, schemas.ErrorOut),
            **_errors(401, 403, 409, 415, 422),
        },
    }  # fmt: skip
    get = _get("Observations, paginated", _ref(schemas.ObservationPage), 400, 404, params=params)
    return {"get": get, "post": post}


@cache
def document() -> dict[str, Any]:
    """The whole document (built once per process)."""
    _, defs = models_json_schema(
        [(model, "validation") for model in schemas.COMPONENTS], ref_template=REF
    )
    period = {"name": "period", "in": "path", "required": True,
              "description": "a period label, or `latest`: the latest period with a snapshot",
              "schema": {"type": "string", "pattern": "^([Ff][Yy][0-9]{4}-[Qq][1-4]|latest)$"},
              "example": "FY2023-Q1"}  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {"title": "cxprogram API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": defs["$defs"],
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": {
            "/departments": {"get": _get("Departments", _array(schemas.DepartmentOut))},
            "/metrics": {"get": _get("Metric catalog", _array(schemas.MetricOut))},
            "/periods": {"get": _get("Reporting periods", _array(schemas.PeriodOut))},
            "/strategies": {"get": _get("Strategies", _array(schemas.StrategyOut))},
            "/standards": {"get": _get("Service standards", _array(schemas.StandardOut))},
            "/observations": _observations(),
            "/rollups/{period}": {"get": _get(
                "The latest rollup snapshot of a period", _ref(schemas.RollupOut), 400, 404,
                params=[period])},
        },
    }  # fmt: skip
