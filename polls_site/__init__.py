"""polls_site: embeddable poll and comment widgets for a news portal."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as settings
from .core.converters import IdConverter
from .core.db import init_db
from .core.edge_cache import init_edge_cache
from .core.embedded_redis import ensure_embedded_redis
from .core.errors import init_errors
from .core.flask_app import App
from .core.i18n import init_i18n
from .core.jobs import init_jobs
from .core.logs import init_logging
from .core.metrics import init_metrics
from .core.near_cache import init_near_cache
from .core.redis import init_redis
from .core.request_guard import init_request_guard
from .core.security_headers import init_security_headers
from .core.session import LazySessionInterface, csrf
from .core.static_files import init_static_files
from .models.migrations import init_migrations
from .widget.theme import init_theme
from .widget.voters import init_voters


def web_folder(name: str) -> str:
    """templates/ or static/: inside the package when installed from a wheel, else the
    checkout's (the design card keeps both at the repo root)."""
    packaged = resources.files(__name__) / name
    if packaged.is_dir():
        return str(packaged)
    return str(Path(__file__).resolve().parent.parent / name)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, environment, test overrides, extensions, blueprints."""
    app = App(
        __name__,
        instance_path=settings.instance_path(),
        instance_relative_config=True,
        template_folder=web_folder("templates"),
        static_folder=web_folder("static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(settings.load_settings(app.instance_path))
    if test_config:
        app.config.update(test_config)
    settings.finish(app.config)
    if not app.config["REDIS_URL"] and not app.config["REDIS_SENTINELS"]:
        app.config["REDIS_URL"] = ensure_embedded_redis(app.instance_path)
    if app.config["TRUSTED_PROXY_COUNT"] > 0:
        hops = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    app.url_map.converters["int"] = IdConverter
    app.session_interface = LazySessionInterface()
    # First: its after_request hook runs last, on the finished response.
    init_edge_cache(app)
    init_static_files(app)
    init_logging(app)
    init_db(app)
    init_migrations(app)
    init_redis(app)
    init_jobs(app)
    init_near_cache(app)
    csrf.init_app(app)
    init_i18n(app)
    init_theme(app)
    init_voters(app)
    init_errors(app)
    init_request_guard(app)
    init_metrics(app)
    init_security_headers(app)

    from .api.routes import bp as api_bp
    from .archive.routes import bp as archive_bp
    from .comments import report_routes  # noqa: F401  (its views join the widget's blueprint)
    from .comments.portal import bp as comments_portal_bp
    from .comments.routes import bp as comments_bp
    from .core.health import bp as health_bp
    from .embed.pages import bp as pages_bp
    from .embed.routes import bp as embed_bp
    from .notifications.routes import bp as notifications_bp
    from .polls.routes import bp as polls_bp
    from .staff import bp as staff_bp
    from .staff.passwords import init_passwords

    app.register_blueprint(polls_bp)
    app.register_blueprint(comments_bp)
    app.register_blueprint(comments_portal_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(embed_bp)
    app.register_blueprint(archive_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(staff_bp)
    init_passwords(app)

    from .cli import init_cli

    init_cli(app)
    return app
