"""several assemblies, each with its own bot, in one store

Revision ID: 0009_assembly_keys
Revises: 0008_audit
Create Date: 2026-12-01

A participant is a person in one assembly (unique on assembly and Telegram user id: the same person
in two assemblies, through two bots, is two participants); a role carries its assembly; the update
log is keyed by (bot, update id), since Telegram numbers updates per bot; an outbox row carries its
assembly, and only that assembly's bot sends it; an assembly records its bot.

A store of one assembly upgrades in place: the new columns are filled from that assembly, and the
update log from the bot id of the running token (`Database.migrate(bot_id=...)`, else the
TELEGRAM_BOT_TOKEN variable). Rows whose assembly or bot cannot be told stop the migration with a
message saying which and what to do; nothing is guessed.

`report_delivery` counted failed sends by matching the outbox's chat to a participant's user id,
which counts a send twice once a person is in two assemblies: it now reads the outbox's assembly.
"""

import os
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_assembly_keys"
down_revision: str | None = "0008_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DELIVERY = """
    CREATE VIEW report_delivery AS
    SELECT p.assembly_id, 'blocked_participants' AS problem, COUNT(*) AS total
    FROM participants p
    WHERE p.blocked_at IS NOT NULL
    GROUP BY p.assembly_id
    UNION ALL
    SELECT {outbox_assembly} AS assembly_id, 'failed_sends' AS problem, COUNT(*) AS total
    FROM outbox o{join}
    WHERE o.status = 'failed'
    GROUP BY {outbox_assembly}
    UNION ALL
    SELECT {outbox_assembly} AS assembly_id, 'undelivered_blocked' AS problem, COUNT(*) AS total
    FROM outbox o{join}
    WHERE o.status = 'blocked'
    GROUP BY {outbox_assembly}
"""
_KEYED = {"outbox_assembly": "o.assembly_id", "join": ""}
_BY_CHAT = {
    "outbox_assembly": "p.assembly_id",
    "join": " LEFT JOIN participants p ON p.telegram_user_id = o.chat_id",
}


class UndeterminedRows(RuntimeError):
    """Rows the migration cannot attribute to an assembly or a bot."""


def _bot_id() -> int | None:
    """The running bot's id: given by the caller, else read from TELEGRAM_BOT_TOKEN's number."""
    config = op.get_context().config
    given = None if config is None else config.attributes.get("bot_id")
    if given is not None:
        return int(given)
    head, sep, _ = os.environ.get("TELEGRAM_BOT_TOKEN", "").partition(":")
    return int(head) if sep and head.isdigit() else None


def _count(sql: str) -> int:
    return int(op.get_bind().execute(sa.text(sql)).scalar_one())


def _fill(assemblies: list[str]) -> None:
    """Give every participant, role and outbox row its assembly, or say why it cannot be done."""
    bind = op.get_bind()
    only = {"only": assemblies[0]} if len(assemblies) == 1 else None
    if only is not None:
        bind.execute(sa.text("UPDATE participants SET assembly_id = :only WHERE assembly_id IS NULL"), only)
    orphans = _count("SELECT COUNT(*) FROM participants WHERE assembly_id IS NULL")
    if orphans:
        raise UndeterminedRows(
            f"{orphans} participants belong to no assembly among the store's {len(assemblies)}: "
            "set their participants.assembly_id, then migrate again"
        )
    bind.execute(
        sa.text(
            "UPDATE roles SET assembly_id = "
            "(SELECT p.assembly_id FROM participants p WHERE p.id = roles.participant_id)"
        )
    )
    # A chat belongs to an assembly when the people with that chat id are all in that one assembly.
    bind.execute(
        sa.text(
            "UPDATE outbox SET assembly_id = (SELECT MIN(p.assembly_id) FROM participants p "
            "WHERE p.chat_id = outbox.chat_id HAVING COUNT(DISTINCT p.assembly_id) = 1)"
        )
    )
    if only is not None:
        bind.execute(sa.text("UPDATE outbox SET assembly_id = :only WHERE assembly_id IS NULL"), only)
    unknown = _count("SELECT COUNT(*) FROM outbox WHERE assembly_id IS NULL")
    if unknown:
        raise UndeterminedRows(
            f"{unknown} outbox rows go to chats of no single assembly among the store's "
            f"{len(assemblies)}: let the previous release send them (or delete them), then migrate again"
        )


def _fill_updates(assemblies: list[str]) -> None:
    bot_id = _bot_id()
    waiting = _count("SELECT COUNT(*) FROM inbound_updates")
    if waiting and bot_id is None:
        raise UndeterminedRows(
            f"the update log holds {waiting} updates of a bot this migration does not know: run "
            "`assembly-bot migrate` (or alembic) with TELEGRAM_BOT_TOKEN set to that bot's token"
        )
    if bot_id is None:
        return
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE inbound_updates SET bot_id = :bot"), {"bot": bot_id})
    if len(assemblies) == 1:
        bind.execute(
            sa.text("UPDATE assemblies SET bot_id = :bot WHERE id = :only"),
            {"bot": bot_id, "only": assemblies[0]},
        )


def _legacy_rename(state: str) -> None:
    """SQLite checks every view when a copied table is renamed into place, and views on a table
    being copied do not resolve meanwhile: the check is off while the tables change."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"PRAGMA legacy_alter_table={state}")


def upgrade() -> None:
    bind = op.get_bind()
    _legacy_rename("ON")
    assemblies = list(bind.execute(sa.text("SELECT id FROM assemblies ORDER BY id")).scalars())
    op.execute("DROP VIEW report_delivery")
    with op.batch_alter_table("assemblies") as batch:
        batch.add_column(sa.Column("bot_id", sa.BigInteger(), nullable=True))
        batch.create_unique_constraint(batch.f("uq_assemblies_bot_id"), ["bot_id"])
    with op.batch_alter_table("roles") as batch:
        batch.add_column(sa.Column("assembly_id", sa.String(length=40), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("assembly_id", sa.String(length=40), nullable=True))
    with op.batch_alter_table("inbound_updates") as batch:
        batch.add_column(sa.Column("bot_id", sa.BigInteger(), nullable=True))
    _fill(assemblies)
    _fill_updates(assemblies)

    with op.batch_alter_table("participants") as batch:
        batch.alter_column("assembly_id", existing_type=sa.String(length=40), nullable=False)
        batch.drop_constraint("uq_participants_telegram_user_id", type_="unique")
        batch.create_unique_constraint(
            batch.f("uq_participants_assembly_id"), ["assembly_id", "telegram_user_id"]
        )
    with op.batch_alter_table("roles") as batch:
        batch.alter_column("assembly_id", existing_type=sa.String(length=40), nullable=False)
        batch.create_foreign_key(
            batch.f("fk_roles_assembly_id_assemblies"), "assemblies", ["assembly_id"], ["id"]
        )
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("assembly_id", existing_type=sa.String(length=40), nullable=False)
        batch.create_foreign_key(
            batch.f("fk_outbox_assembly_id_assemblies"), "assemblies", ["assembly_id"], ["id"]
        )
        batch.drop_index("ix_outbox_due")
        batch.create_index("ix_outbox_due", ["assembly_id", "status", "chat_id", "id"], unique=False)
    with op.batch_alter_table("inbound_updates") as batch:
        batch.alter_column("bot_id", existing_type=sa.BigInteger(), nullable=False)
        batch.drop_constraint("pk_inbound_updates", type_="primary")
        batch.create_primary_key("pk_inbound_updates", ["bot_id", "update_id"])
        batch.drop_index("ix_inbound_updates_pending")
        batch.create_index("ix_inbound_updates_pending", ["bot_id", "processed_at", "chat_id"], unique=False)
    op.execute(_DELIVERY.format(**_KEYED))
    _legacy_rename("OFF")


def downgrade() -> None:
    """Back to one assembly per store: refused while a person is in two assemblies or two bots'
    updates are logged, since the old keys cannot hold them."""
    if _count("SELECT COUNT(*) FROM (SELECT DISTINCT bot_id FROM inbound_updates) b") > 1 or _count(
        "SELECT COUNT(*) FROM (SELECT telegram_user_id FROM participants "
        "GROUP BY telegram_user_id HAVING COUNT(*) > 1) t"
    ):
        raise UndeterminedRows(
            "the store holds several assemblies' people or updates: it cannot go back before 0009"
        )
    _legacy_rename("ON")
    op.execute("DROP VIEW report_delivery")
    with op.batch_alter_table("inbound_updates") as batch:
        batch.drop_index("ix_inbound_updates_pending")
        batch.create_index("ix_inbound_updates_pending", ["processed_at", "chat_id"], unique=False)
        batch.drop_constraint("pk_inbound_updates", type_="primary")
        batch.create_primary_key("pk_inbound_updates", ["update_id"])
        batch.drop_column("bot_id")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_due")
        batch.create_index("ix_outbox_due", ["status", "chat_id", "id"], unique=False)
        batch.drop_constraint("fk_outbox_assembly_id_assemblies", type_="foreignkey")
        batch.drop_column("assembly_id")
    with op.batch_alter_table("roles") as batch:
        batch.drop_constraint("fk_roles_assembly_id_assemblies", type_="foreignkey")
        batch.drop_column("assembly_id")
    with op.batch_alter_table("participants") as batch:
        batch.drop_constraint("uq_participants_assembly_id", type_="unique")
        batch.create_unique_constraint("uq_participants_telegram_user_id", ["telegram_user_id"])
        batch.alter_column("assembly_id", existing_type=sa.String(length=40), nullable=True)
    with op.batch_alter_table("assemblies") as batch:
        batch.drop_constraint("uq_assemblies_bot_id", type_="unique")
        batch.drop_column("bot_id")
    op.execute(_DELIVERY.format(**_BY_CHAT))
    _legacy_rename("OFF")
