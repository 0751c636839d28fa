"""workshop sessions edited and cancelled

Revision ID: 3b7d2e91c0a4
Revises: ca775a2b8972
Create Date: 2026-11-26 12:50:00.000000

"""
from alembic import op
import sqlalchemy as sa

import lti_tool.models.types


# revision identifiers, used by Alembic.
revision = '3b7d2e91c0a4'
down_revision = "ca775a2b8972"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('workshop_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', lti_tool.models.types.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', lti_tool.models.types.UtcDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('workshop_session', schema=None) as batch_op:
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('updated_at')
