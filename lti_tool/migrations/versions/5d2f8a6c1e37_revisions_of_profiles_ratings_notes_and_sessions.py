"""revisions of mentor profiles, ratings, mentoring sessions' notes and workshop sessions

Every form that changes what a page showed names the integer revision it showed: one mechanism
for them all (services/revisions.py), as activity_progress and school_progress have.

Revision ID: 5d2f8a6c1e37
Revises: 5d2f8a3c6e17
Create Date: 2026-11-27 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d2f8a6c1e37'
down_revision = '5d2f8a3c6e17'
branch_labels = None
depends_on = None

TABLES = ('mentor_profile', 'mentoring_sign_up', 'mentoring_session', 'workshop_session')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('revision', sa.Integer(), server_default='0', nullable=False)
            )


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('revision')
