"""Settings and their validation.

Settings come, in this order, from the defaults below, the environment (and, on the
embedded default only, secrets generated once into the instance folder), then the
override mapping given to :func:`registry.create_app` (tests). No secret has a default
in code: on ``REGISTRY_ENV=production`` a missing secret stops start-up.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Secrets the application needs. ``LINKAGE_KEY`` keys the HMAC of client codes: losing
#: it means new codes no longer match old ones, so it must be backed up with the database.
SECRET_NAMES = ("SECRET_KEY", "LINKAGE_KEY")

#: Environment variables read as settings (besides the secrets).
ENV_SETTINGS = (
    "DATABASE_URL",
    "REDIS_URL",
    "REGISTRY_ENV",
    "SUPPRESSION_THRESHOLD",
    "LINKAGE_MIN_LIST_CODES",
    "UPLOAD_BACKGROUND_ROWS",
    "SESSION_IDLE_MINUTES",
    "LOGIN_MAX_FAILURES",
    "LOGIN_LOCK_MINUTES",
    "PASSWORD_HASH_PROFILE",
    "JOBS_SQLITE_PATH",
    "JOB_WORKERS",
    "JOB_HEARTBEAT_SECONDS",
    "JOB_STALE_SECONDS",
    "JOB_MAX_ATTEMPTS",
    "JOB_HOLD_FILE",
    "API_RATE_LIMIT",
    "API_BAD_TOKEN_LIMIT",
    "TRUSTED_PROXIES",
    "ANALYTICS_REFRESH_MINUTES",
    "ANALYTICS_REFRESH_MAX_AGE_HOURS",
    "SQLITE_BUSY_TIMEOUT_SECONDS",
    "PLOT_CACHE_FOLDER",
    "DRAW_PLOTS_AHEAD",
    "OST_REINDUCTION_GAP_DAYS",
    "DOSE_CHANGE_SCHEDULE_DAYS",
    "REMINDER_MISSED_DOSE_DAYS",
    "REMINDER_HIV_RETEST_DAYS",
    "REMINDER_HCV_RETEST_DAYS",
    "REMINDER_NO_CONTACT_DAYS",
)

#: Settings that must be whole numbers (the environment gives strings).
INTEGER_SETTINGS = (
    "SUPPRESSION_THRESHOLD",
    "DRAW_PLOTS_AHEAD",
    "LINKAGE_MIN_LIST_CODES",
    "UPLOAD_BACKGROUND_ROWS",
    "SESSION_IDLE_MINUTES",
    "LOGIN_MAX_FAILURES",
    "LOGIN_LOCK_MINUTES",
    "JOB_WORKERS",
    "JOB_HEARTBEAT_SECONDS",
    "JOB_STALE_SECONDS",
    "JOB_MAX_ATTEMPTS",
    "ANALYTICS_REFRESH_MINUTES",
    "ANALYTICS_REFRESH_MAX_AGE_HOURS",
    "SQLITE_BUSY_TIMEOUT_SECONDS",
    "OST_REINDUCTION_GAP_DAYS",
    "DOSE_CHANGE_SCHEDULE_DAYS",
    "REMINDER_MISSED_DOSE_DAYS",
    "REMINDER_HIV_RETEST_DAYS",
    "REMINDER_HCV_RETEST_DAYS",
    "REMINDER_NO_CONTACT_DAYS",
    "TRUSTED_PROXIES",
)

DEFAULTS: dict[str, Any] = {
    "REGISTRY_ENV": "development",
    # hide_parameters is added whatever the options (see load_settings)
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "BABEL_DEFAULT_LOCALE": "ru",
    "LANGUAGES": ("en", "ru"),
    "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
    "SUPPRESSION_THRESHOLD": 10,
    # an uploaded list used in linkage or a study needs at least this many distinct codes,
    # so that a list of one or a few people cannot test whether they are clients
    "LINKAGE_MIN_LIST_CODES": 50,
    # an identifier upload of more rows is coded in the request and paired by the job
    # worker (registry.services.upload_jobs); 0 pairs every upload in the request
    "UPLOAD_BACKGROUND_ROWS": 20_000,
    # a signed-in session ends after this long without a request
    "SESSION_IDLE_MINUTES": 30,
    # this many failed sign-ins with one name (existing or not) within LOGIN_LOCK_MINUTES
    # lock that name that long (registry.auth.throttle)
    "LOGIN_MAX_FAILURES": 10,
    "LOGIN_LOCK_MINUTES": 15,
    # estimation worker (see docs/estimation-jobs.md): Huey's SQLite file defaults to
    # instance/jobs.sqlite3 (REDIS_URL switches to Redis); a running job's worker writes a
    # heartbeat every JOB_HEARTBEAT_SECONDS, and a job without one for JOB_STALE_SECONDS is
    # queued again, or failed after JOB_MAX_ATTEMPTS attempts
    "JOB_WORKERS": 2,
    "JOB_HEARTBEAT_SECONDS": 10,
    "JOB_STALE_SECONDS": 60,
    "JOB_MAX_ATTEMPTS": 2,
    # for tests only: while this file exists, a running job waits at its checkpoints
    # (between bootstrap batches, before storing its result), still cancellable
    "JOB_HOLD_FILE": None,
    # argon2id parameters of password hashes: a profile of argon2.profiles. CHEAPEST is
    # refused outside TESTING (the test suite uses it to keep thousands of logins fast)
    "PASSWORD_HASH_PROFILE": "RFC_9106_LOW_MEMORY",
    # requests per API token (or user, or address) under /api/, in the notation of the
    # `limits` package: "600 per minute", "20 per second; 10000 per hour"
    "API_RATE_LIMIT": "600 per minute",
    # refused API tokens (unknown, revoked, expired: 401) per token and per address; over
    # it they get 429 (valid tokens never do; password sign-in is never affected)
    "API_BAD_TOKEN_LIMIT": "10 per minute",
    # reverse proxies in front of the server that append the client's address to
    # X-Forwarded-For (0: the header is ignored, so no client can choose its address)
    "TRUSTED_PROXIES": 0,
    # analytics tables (docs/indicators.md#analytics-tables): the worker refreshes them when
    # the data changed and the last refresh is ANALYTICS_REFRESH_MINUTES old (0 = never by
    # itself), and in any case once ANALYTICS_REFRESH_MAX_AGE_HOURS old
    "ANALYTICS_REFRESH_MINUTES": 10,
    "ANALYTICS_REFRESH_MAX_AGE_HOURS": 24,
    # 1: the worker draws the plots into PLOT_CACHE_FOLDER before anyone asks (at its
    # start, after each analytics refresh and each stored result: registry.plots_ahead);
    # 0: each plot is drawn by the first request for it
    "DRAW_PLOTS_AHEAD": 1,
    # on a SQLite file (registry/sqlite_pragmas.py) a writer waits this long for another
    # writer before "database is locked"; readers never block it (WAL)
    "SQLITE_BUSY_TIMEOUT_SECONDS": 30,
    # OST (docs/ost-dosing.md): more than this many days without a dose needs an explicit
    # re-induction decision before the next dose (Kyrgyz OST protocol 2015: 2 days)
    "OST_REINDUCTION_GAP_DAYS": 2,
    # a dose change may be scheduled up to this many days ahead
    "DOSE_CHANGE_SCHEDULE_DAYS": 90,
    # dashboard reminders (docs/ost-dosing.md#reminders): OST clients without a dose for this
    # many days; HIV and HCV re-tests this many days after the last negative result (WHO:
    # at least yearly for people who inject drugs); open episodes without contact this long
    "REMINDER_MISSED_DOSE_DAYS": 2,
    "REMINDER_HIV_RETEST_DAYS": 365,
    "REMINDER_HCV_RETEST_DAYS": 365,
    "REMINDER_NO_CONTACT_DAYS": 90,
}

#: argon2.profiles names accepted for PASSWORD_HASH_PROFILE, and the one only tests may use.
PASSWORD_HASH_PROFILES = ("RFC_9106_LOW_MEMORY", "RFC_9106_HIGH_MEMORY", "CHEAPEST")
TEST_ONLY_HASH_PROFILE = "CHEAPEST"


def instance_path() -> str | None:
    """The instance folder named by ``REGISTRY_INSTANCE_PATH`` (absolute), or ``None`` for
    Flask's default (``instance/`` next to the code)."""
    path = os.environ.get("REGISTRY_INSTANCE_PATH")
    return os.path.abspath(path) if path else None


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message says which and how to fix it."""


def load_settings(instance_path: str, override: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the validated settings for an application rooted at ``instance_path``."""
    settings: dict[str, Any] = dict(DEFAULTS)
    for name in ENV_SETTINGS + SECRET_NAMES:
        if os.environ.get(name):
            settings[name] = os.environ[name]
    if override:
        settings.update(override)

    # statement parameters are record data: never in an error's text, hence in no log
    options = settings.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
    settings["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "hide_parameters": True}

    production = settings["REGISTRY_ENV"] == "production"
    if not settings.get("DATABASE_URL"):
        if production:
            raise ConfigError("DATABASE_URL is not set; REGISTRY_ENV=production needs it.")
        settings["DATABASE_URL"] = "sqlite:///" + str(Path(instance_path) / "registry.sqlite3")
        Path(instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
    settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(settings["DATABASE_URL"])

    missing = [name for name in SECRET_NAMES if not settings.get(name)]
    if missing:
        if production:
            raise ConfigError(
                f"{', '.join(missing)} not set. With REGISTRY_ENV=production every secret "
                "must come from the environment; see docs/operations.md#secrets."
            )
        settings.update(instance_secrets(instance_path, missing))
    for name in SECRET_NAMES:
        if len(str(settings[name])) < 32:
            raise ConfigError(f"{name} is too short: use at least 32 random characters.")

    for name in INTEGER_SETTINGS:
        try:
            settings[name] = int(settings[name])
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a whole number, not {settings[name]!r}.") from None
    check_password_hash_profile(settings)
    if not 0 <= settings["TRUSTED_PROXIES"] <= 5:
        raise ConfigError("TRUSTED_PROXIES must be 0 (no reverse proxy) to 5.")
    settings["SESSION_COOKIE_SECURE"] = settings.get("SESSION_COOKIE_SECURE", production)
    # drawn plots shared by the server processes (registry.plots); tests draw afresh
    if "PLOT_CACHE_FOLDER" not in settings and not settings.get("TESTING"):
        settings["PLOT_CACHE_FOLDER"] = str(Path(instance_path) / "plots")
    return settings


def check_password_hash_profile(settings: Mapping[str, Any]) -> None:
    """Refuse an unknown argon2 profile, and the cheap test profile outside tests."""
    profile = settings["PASSWORD_HASH_PROFILE"]
    if profile not in PASSWORD_HASH_PROFILES:
        raise ConfigError(
            f"PASSWORD_HASH_PROFILE must be one of {', '.join(PASSWORD_HASH_PROFILES)}, "
            f"not {profile!r}."
        )
    if profile == TEST_ONLY_HASH_PROFILE and not settings.get("TESTING"):
        raise ConfigError(f"PASSWORD_HASH_PROFILE={profile} is for the test suite only.")


def normalise_database_url(url: str) -> str:
    """Map ``postgres://`` and ``postgresql://`` URLs onto the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def instance_secrets(instance_path: str, names: list[str]) -> dict[str, str]:
    """Read, or generate once, the embedded default's secrets in ``instance/secrets.json``.

    The file is created with mode 0600 and is never committed (``instance/`` is ignored).
    """
    path = Path(instance_path) / "secrets.json"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    if any(name not in stored for name in names):
        for name in names:
            stored.setdefault(name, secrets.token_urlsafe(48))
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(stored, handle, indent=2)
    return {name: stored[name] for name in names}
