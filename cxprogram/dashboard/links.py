"""Links from the dashboard's numbers to where they come from, built from one url_for per
kind of page (a page with 200 departments x 7 metrics would otherwise call it thousands of
times)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import url_for

_MARK = "__CODE__"


class Links:
    """URLs of a department's drill-down, strategies and grid for one period."""

    def __init__(self, period: str) -> None:
        self.period = period
        self._drill = url_for("dashboard.view_department", code=_MARK)
        self._grid = url_for("metrics.edit_grid", code=_MARK, label=period)
        self._strategies = url_for("strategies.list_strategies")
        self._strategy = url_for("strategies.view_strategy", strategy_id=0)[:-1]

    def drill(self, code: str, metric: str | None = None) -> str:
        """The department's drill-down (at the metric's chart when one is named)."""
        args = {"period": self.period, **({"metric": metric} if metric else {})}
        url = self._drill.replace(_MARK, quote(code, safe="")) + "?" + urlencode(args)
        return url + (f"#metric-{quote(metric, safe='')}" if metric else "")

    def grid(self, code: str) -> str:
        """The department's data-entry grid of the period."""
        return self._grid.replace(_MARK, quote(code, safe=""))

    def strategies(self, code: str) -> str:
        """The department's strategies."""
        return self._strategies + "?" + urlencode({"department": code})

    def strategy(self, strategy_id: int) -> str:
        """One strategy's page."""
        return f"{self._strategy}{int(strategy_id)}"
