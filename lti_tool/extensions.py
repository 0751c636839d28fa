"""Flask extensions of the web tier, created once here and bound to the app in ``create_app``.
(The database handle lives with the models: ``lti_tool.models.db``.)"""

from __future__ import annotations

from flask_babel import Babel
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
