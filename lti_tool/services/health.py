"""Is Senda able to serve? For load balancers and monitoring."""

from __future__ import annotations

from sqlalchemy import text

from lti_tool.lti import onetime
from lti_tool.models import db


def state_store_ok() -> bool:
    """Redis (the launch-state store) when configured."""
    return onetime.store().ping()


def database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure means "not now"
        db.session.rollback()
        return False
    return True


def discard_failed_transaction() -> None:
    """After an unexpected error, nothing half-written may be committed by a later request."""
    try:
        db.session.rollback()
    except Exception:  # the connection itself may be gone
        db.session.remove()
