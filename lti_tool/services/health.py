"""Is Senda able to serve? For load balancers and monitoring."""

from __future__ import annotations

from sqlalchemy import text

from lti_tool.models import db


def database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure means "not now"
        db.session.rollback()
        return False
    return True
