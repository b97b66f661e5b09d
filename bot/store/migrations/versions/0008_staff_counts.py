"""staff are not participants: `report_statuses` leaves out facilitators and organisers

Revision ID: 0008_staff_counts
Revises: 0007_dashboard
Create Date: 2026-12-01

Facilitators and organisers join through a role invite and so have a participant row in status
`contact`; counted as people "in contact, not registered" they made the digest and the dashboard
overstate the public's interest. Plain portable SQL, as the other report views.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_staff_counts"
down_revision: str | None = "0008_lottery_report"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = """
    SELECT p.assembly_id, p.status, COUNT(*) AS participants
    FROM participants p
    WHERE p.assembly_id IS NOT NULL{staff}
    GROUP BY p.assembly_id, p.status
"""
_NOT_STAFF = "\n      AND NOT EXISTS (SELECT 1 FROM roles r WHERE r.participant_id = p.id)"


def upgrade() -> None:
    op.execute("DROP VIEW report_statuses")
    op.execute("CREATE VIEW report_statuses AS " + _STATUSES.format(staff=_NOT_STAFF))


def downgrade() -> None:
    op.execute("DROP VIEW report_statuses")
    op.execute("CREATE VIEW report_statuses AS " + _STATUSES.format(staff=""))
