"""The registry web application.

``create_app`` reads like a table of contents: settings, extensions, blueprints, error
handlers, commands. Everything else lives in the modules it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from registry.config import instance_path, load_settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: defaults -> environment/instance -> ``config`` override."""
    app = Flask(__name__, instance_path=instance_path(), instance_relative_config=True)
    app.config.from_mapping(load_settings(app.instance_path, config))
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    trust_proxies(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Take the client's address from ``X-Forwarded-For`` behind ``TRUSTED_PROXIES`` proxies.

    Each proxy appends the address it received from, so the n-th value from the right
    is the one the first trusted proxy saw; values further left are the client's own
    words and are never believed. Without a proxy the header is ignored: the per-address
    counts of refused tokens and anonymous API requests (:mod:`registry.auth.rate_limits`)
    cannot be escaped by sending it.
    """
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=0, x_host=0)


def register_extensions(app: Flask) -> None:
    """Bind the objects of :mod:`registry.extensions` to ``app``."""
    from registry import models  # noqa: F401  (registers every table on the metadata)
    from registry.analytics.changes import track_changes
    from registry.database_errors import hide_error_details
    from registry.extensions import babel, csrf, db, migrate
    from registry.i18n import install_template_gettext, select_locale
    from registry.jobs import init_jobs
    from registry.json_body import StrictJSONProvider
    from registry.services.last_contact import track_last_contact
    from registry.sqlite_pragmas import configure_sqlite

    app.json = StrictJSONProvider(app)  # JSON bodies no database can store are a 400
    db.init_app(app)
    hide_error_details(app)  # no record data in database errors (with hide_parameters)
    configure_sqlite(app)  # WAL, busy timeout: before the first connection
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app)  # templates' _(): looked up once per language
    init_jobs(app)
    track_changes()
    track_last_contact()


def register_blueprints(app: Flask) -> None:
    """Mount the HTML, authentication and JSON API blueprints."""
    from registry.api import init_api
    from registry.auth import blueprint as auth
    from registry.ministry_web import blueprint as ministry
    from registry.routing import DatabaseIdConverter, LazyBuilderRule
    from registry.studies_web import blueprint as studies
    from registry.web import blueprint as web

    app.url_map.converters["int"] = DatabaseIdConverter  # before any route is added
    app.url_rule_class = LazyBuilderRule
    app.register_blueprint(auth)
    app.register_blueprint(web)
    init_api(app)
    app.register_blueprint(studies)
    app.register_blueprint(ministry)


def register_errorhandlers(app: Flask) -> None:
    """Error pages for HTML and problem details for the API (see :mod:`registry.errors`)."""
    from registry.errors import init_error_handlers

    init_error_handlers(app)


def register_commands(app: Flask) -> None:
    """Add the ``flask users``, ``flask demo`` ... command groups."""
    from registry.cli import init_commands

    init_commands(app)
