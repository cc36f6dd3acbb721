"""Review tables (``review_models.py``): coders, assignments, codings, their trail, consensus.

Revision ID: 0002_review_tables
Revises: 0001_baseline
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_review_tables"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=400), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "review_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.String(length=200), nullable=False),
        sa.Column("coder", sa.String(length=200), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("assigned_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "org_id", "coder"),
    )
    op.create_index(
        op.f("ix_review_assignments_run_id"), "review_assignments", ["run_id"], unique=False
    )
    op.create_table(
        "review_coding_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.String(length=200), nullable=False),
        sa.Column("standard_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("coder", sa.String(length=200), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_review_coding_events_run_id"), "review_coding_events", ["run_id"], unique=False
    )
    op.create_table(
        "review_codings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.String(length=200), nullable=False),
        sa.Column("standard_id", sa.String(length=100), nullable=False),
        sa.Column("coder", sa.String(length=200), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("conflicts", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("evidence_passage_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "org_id", "standard_id", "coder"),
    )
    op.create_index(op.f("ix_review_codings_run_id"), "review_codings", ["run_id"], unique=False)
    op.create_table(
        "review_consensus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.String(length=200), nullable=False),
        sa.Column("standard_id", sa.String(length=100), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("conflicts", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("agreed_by", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "org_id", "standard_id"),
    )
    op.create_index(
        op.f("ix_review_consensus_run_id"), "review_consensus", ["run_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_review_consensus_run_id"), table_name="review_consensus")
    op.drop_table("review_consensus")
    op.drop_index(op.f("ix_review_codings_run_id"), table_name="review_codings")
    op.drop_table("review_codings")
    op.drop_index(op.f("ix_review_coding_events_run_id"), table_name="review_coding_events")
    op.drop_table("review_coding_events")
    op.drop_index(op.f("ix_review_assignments_run_id"), table_name="review_assignments")
    op.drop_table("review_assignments")
    op.drop_table("review_users")
