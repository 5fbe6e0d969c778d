"""The review blueprint: department plans (`views`), the chief's review queue (`queue`) and
the touchpoint coverage matrix (`coverage`) join it; each module imports it from here."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("review", __name__)
