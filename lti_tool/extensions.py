"""Flask extensions of the web tier, created once here and bound to the app in ``create_app``.
(The database handle lives with the models: ``lti_tool.models.db``.)"""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
# Rate limits on the anonymous LTI endpoints, counted in Redis when configured (shared by every
# worker), in memory otherwise. The client's address comes through ProxyFix behind a proxy.
limiter = Limiter(key_func=get_remote_address, key_prefix="senda-limits")
