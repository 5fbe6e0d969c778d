"""The OpenAPI 3.0 document of /api/v1."""

from __future__ import annotations

from typing import Any

NUMBER_OR_NULL = {"type": "number", "nullable": True}


def _get(
    summary: str, schema: dict[str, Any], params: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": params or [],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
                "401": {"description": "Missing or invalid token"},
                "403": {"description": "Not allowed for this user"},
            },
        }
    }


def _query(name: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}


def document() -> dict[str, Any]:
    """The whole document."""
    items = {"type": "array", "items": {"type": "object"}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "cxprogram API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": {
            "/departments": _get("Departments", items),
            "/metrics": _get("Metric catalog", items),
            "/periods": _get("Reporting periods", items),
            "/strategies": _get("Strategies", items),
            "/observations": _get(
                "Observations, paginated",
                {"type": "object", "required": ["items", "total", "page", "page_size"],
                 "properties": {"items": items, "total": {"type": "integer"},
                                "page": {"type": "integer"}, "page_size": {"type": "integer"}}},
                [_query("department"), _query("metric"), _query("period"),
                 {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                 {"name": "page_size", "in": "query",
                  "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
            ),
            "/rollups/{period}": _get(
                "The latest rollup snapshot of a period",
                {"type": "object",
                 "required": ["period", "previous_period", "snapshot", "consistency_index",
                              "metrics", "strategy_effects"],
                 "properties": {"period": {"type": "string"},
                                "previous_period": {"type": "string", "nullable": True},
                                "snapshot": {"type": "object"},
                                "consistency_index": NUMBER_OR_NULL,
                                "metrics": {"type": "object"}, "strategy_effects": items}},
                [{"name": "period", "in": "path", "required": True,
                  "schema": {"type": "string", "pattern": "^FY[0-9]{4}-Q[1-4]$"}}],
            ),
        },
    }  # fmt: skip
