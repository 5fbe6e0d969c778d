"""config.py (issue 16): BASE_URL is required in production when mail is sent and defaults to
the local address in development; TRUSTED_PROXY_COUNT is a small whole number; HSTS is on in
production only."""

from __future__ import annotations

import pytest

from config import LOCAL_BASE_URL, ConfigError, from_env

PRODUCTION = {"CX_ENV": "production", "SECRET_KEY": "x" * 40}


def test_base_url_is_required_in_production_when_smtp_is_set() -> None:
    with pytest.raises(ConfigError, match="BASE_URL"):
        from_env({**PRODUCTION, "SMTP_HOST": "mail.example.gov"})
    config = from_env({**PRODUCTION, "SMTP_HOST": "mail.example.gov",
                       "BASE_URL": "https://cx.example.gov/"})  # fmt: skip
    assert config.flask_settings()["CX_BASE_URL"] == "https://cx.example.gov"


def test_base_url_defaults_to_the_local_address_in_development() -> None:
    assert from_env({"CX_ENV": "development"}).base_url == LOCAL_BASE_URL == "http://127.0.0.1:5000"
    assert from_env({"CX_ENV": "development", "SMTP_HOST": "localhost"}).base_url == LOCAL_BASE_URL


@pytest.mark.parametrize(
    "url", ["cx.example.gov", "ftp://cx.example.gov", "https://", "https://u@cx.example.gov",
            "https://cx.example.gov/?next=x", "javascript:alert(1)"],
)  # fmt: skip
def test_a_base_url_that_is_not_an_origin_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="BASE_URL"):
        from_env({**PRODUCTION, "BASE_URL": url})


@pytest.mark.parametrize(("value", "count"), [("", 0), ("0", 0), ("1", 1), ("2", 2)])
def test_trusted_proxy_count(value: str, count: int) -> None:
    assert from_env({**PRODUCTION, "TRUSTED_PROXY_COUNT": value}).trusted_proxy_count == count


@pytest.mark.parametrize("value", ["-1", "one", "²", "99"])
def test_a_bad_trusted_proxy_count_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_COUNT"):
        from_env({**PRODUCTION, "TRUSTED_PROXY_COUNT": value})


def test_hsts_only_in_production() -> None:
    assert from_env(PRODUCTION).flask_settings()["CX_HSTS"] is True
    assert from_env({"CX_ENV": "development"}).flask_settings()["CX_HSTS"] is False
    assert from_env({"CX_ENV": "test"}).flask_settings()["CX_HSTS"] is False
