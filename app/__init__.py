"""Application factory for the NACCS 機器共用（新規事業所）申込 product."""

import os
from datetime import timedelta
from pathlib import Path

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from app.config import (
    Config,
    DevelopmentConfig,
    ProductionConfig,
    TestConfig,
    apply_environment,
    check_config,
)
from app.extensions import csrf, db, login_manager, mail, migrate

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = {"development": DevelopmentConfig, "production": ProductionConfig, "testing": TestConfig}


def create_app(config: type | str | dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(ROOT / "instance"),
    )
    if config is None:
        # Unset means production: development tools and fixed keys only when chosen explicitly.
        config = os.environ.get("APP_CONFIG") or "production"
    if isinstance(config, str):
        if config not in CONFIGS:
            raise ValueError(f"APP_CONFIG={config!r}: use one of {', '.join(CONFIGS)}")
        config = CONFIGS[config]
    if isinstance(config, dict):
        app.config.from_object(Config)
        app.config.update(config)
    else:
        app.config.from_object(config or Config)
    apply_environment(app.config)
    app.config.from_prefixed_env()
    check_config(app.config)  # refuses to start without keys outside development/testing
    from app.web.limits import register_limits

    register_limits(app)  # MAX_CONTENT_LENGTH, a Japanese 413 page
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _trust_proxies(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "app" / "migrations"))
    mail.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)

    from app import models  # noqa: F401  (register tables)
    from app.web import register_blueprints

    register_blueprints(app)

    from app.web import security_headers

    security_headers.init_app(app)

    from app import observability

    observability.init_app(app)

    from app.cli import register_cli

    register_cli(app)

    from app.web.filters import register_filters

    register_filters(app)

    @app.before_request
    def _load_clock_offset():
        from app.services.clock import load_offset

        load_offset()

    @app.errorhandler(404)
    def not_found(error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        # Usually an expired session (8 hours) or a page kept open across a logout.
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render_template("errors/500.html"), 500

    app.permanent_session_lifetime = timedelta(hours=8)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind N reverse proxies set TRUST_PROXY_HOPS=N (FLASK_TRUST_PROXY_HOPS): the client
    address (login throttling) and scheme then come from X-Forwarded-For/-Proto. Left at 0,
    those headers are ignored, as anyone can send them."""
    hops = int(app.config.get("TRUST_PROXY_HOPS") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
