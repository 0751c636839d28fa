"""activity_progress.revision: saves of her writing are ordered (a stale save is refused)

Revision ID: 3b7e1c2d9a41
Revises: 3b7d2e91c0a4
Create Date: 2026-11-26 12:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b7e1c2d9a41'
down_revision = '3b7d2e91c0a4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('activity_progress', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('revision', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('activity_progress', schema=None) as batch_op:
        batch_op.drop_column('revision')
