"""partial index of the waiting scores, in the order they fall due

Revision ID: ca775a2b8972
Revises: 8621d50b1451
Create Date: 2026-11-26 12:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ca775a2b8972'
down_revision = '8621d50b1451'
branch_labels = None
depends_on = None


def upgrade():
    # The claim walks this index in due order and stops after a batch: its plan does not depend
    # on the table's statistics (a fresh table is not analysed before its first claims).
    with op.batch_alter_table('score_outbox', schema=None) as batch_op:
        batch_op.create_index(
            'ix_score_outbox_waiting',
            ['next_attempt_at', 'id'],
            unique=False,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )


def downgrade():
    with op.batch_alter_table('score_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_score_outbox_waiting')
