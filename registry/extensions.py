"""The single home of extension objects, bound to an app in ``create_app``."""

import weakref

from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from registry.models.base import Base


class AppScopedCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRF protection whose exempt blueprints die with their app.

    Flask-WTF keeps exempt blueprints in a set on this process-wide object, and the API
    blueprints that flask-smorest makes for each app hold that app: every app built in
    one process (the test suite builds thousands) stayed alive through it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._exempt_blueprints = weakref.WeakSet()


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = AppScopedCSRFProtect()
babel = Babel()
