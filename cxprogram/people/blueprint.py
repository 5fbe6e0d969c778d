"""The people blueprint: user administration, the officer directory, password links, tokens."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("people", __name__)
