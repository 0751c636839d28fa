"""revision of a CV's comments

The tutor's comments on a CV she sent name the revision their page showed, as every other form
that changes what a page showed does (services/revisions.py).

Revision ID: 6e3b9c1d2f48
Revises: 5d2f8a6c1e37
Create Date: 2026-11-27 02:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6e3b9c1d2f48'
down_revision = '5d2f8a6c1e37'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cv_review', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('cv_review', schema=None) as batch_op:
        batch_op.drop_column('revision')
