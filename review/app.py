"""The council review web app (`dti review serve`): server-rendered, Vietnamese-first, no scripts.
`create_app` builds it from the blueprints of each area, the security hooks and the error pages."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from werkzeug.exceptions import HTTPException

from dti.appraisal.accounts import EXPLANATION_ROLES, FILING_ROLES, ROLES, STAFF_ROLES
from dti.appraisal.claims import OUTCOMES
from dti.appraisal.decision_history import DECISION_STATES
from dti.appraisal.decisions import ACTIONS
from dti.appraisal.errors import ReviewError
from dti.appraisal.phases import DECISION_PHASES, PHASES
from dti.appraisal.records import CITATION_STATUSES
from dti.settings import Settings, get_settings, read_bool
from dti.vocabulary import Direction, Phase, Role, Severity
from dti.warehouse import Warehouse
from review import admin, auth, council, public, scores, units
from review.charts import waterfall_height, waterfall_rows
from review.errors import http_error, review_error, server_error
from review.formatting import FILTERS
from review.security import CSRF_FIELD, LoginLimits, add_headers, check_csrf, csrf_token, secret_key

BLUEPRINTS = (auth.bp, council.bp, units.bp, scores.bp, admin.bp, public.bp)
# What the templates read their labels and role and phase rules from.
TEMPLATE_GLOBALS = {
    "CSRF_FIELD": CSRF_FIELD,
    "ROLES": ROLES,
    "PHASES": PHASES,
    "ACTIONS": ACTIONS,
    "OUTCOMES": OUTCOMES,
    "DIRECTIONS": Direction.labels(),
    "SEVERITIES": Severity.labels(),
    "DECISION_STATES": DECISION_STATES,
    "CITATION_STATUSES": CITATION_STATUSES,
    "STAFF_ROLES": STAFF_ROLES,
    "FILING_ROLES": FILING_ROLES,
    "EXPLANATION_ROLES": EXPLANATION_ROLES,
    "DECISION_PHASES": DECISION_PHASES,
    "Phase": Phase,
    "Role": Role,
    "waterfall_rows": waterfall_rows,
    "waterfall_height": waterfall_height,
}


def create_app(settings: Settings | None = None, url: str | None = None, config: dict | None = None) -> Flask:
    settings = settings or get_settings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key(settings),
        SESSION_COOKIE_NAME="dti_review",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=read_bool("DTI_REVIEW_SECURE_COOKIE"),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=8),
        # Room for the form fields around a file of the largest allowed size.
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 1024 * 1024,
        DATABASE_URL=url or settings.database_url,
        DTI_SETTINGS=settings,
        LOGIN_LIMITS=LoginLimits.from_settings(),
    )
    app.config.update(config or {})
    app.config.setdefault("WAREHOUSE", Warehouse(app.config["DATABASE_URL"]))
    app.jinja_env.autoescape = True
    app.jinja_env.globals.update(csrf_token=csrf_token, **TEMPLATE_GLOBALS)
    app.jinja_env.filters.update(FILTERS)
    app.before_request(auth.load_user)
    app.before_request(check_csrf)
    app.after_request(add_headers)
    app.register_error_handler(ReviewError, review_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(500, server_error)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app
