"""school workshops edited and cancelled: a revision counter and a cancellation time

Revision ID: 5d2f8a3c6e17
Revises: 4c1a9e7b2d05
Create Date: 2026-11-27 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import lti_tool.models.types


# revision identifiers, used by Alembic.
revision = '5d2f8a3c6e17'
down_revision = '4c1a9e7b2d05'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('school_workshop', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('revision', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                'cancelled_at', lti_tool.models.types.UtcDateTime(timezone=True), nullable=True
            )
        )


def downgrade():
    with op.batch_alter_table('school_workshop', schema=None) as batch_op:
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('revision')
