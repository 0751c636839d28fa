"""school_progress.revision: saves of her school work are ordered too (a stale save is refused)

Revision ID: 4c1a9e7b2d05
Revises: 3b7e1c2d9a41
Create Date: 2026-11-26 16:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4c1a9e7b2d05'
down_revision = '3b7e1c2d9a41'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('school_progress', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('revision', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('school_progress', schema=None) as batch_op:
        batch_op.drop_column('revision')
