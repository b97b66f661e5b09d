"""The digest for one organiser (messages, chart, CSV), and /digest to get it now."""

from __future__ import annotations

from flows.actions import Action, SendDocument, SendMessage, SendPhoto, split_text
from flows.assembly import Assembly
from flows.digest.chart import quota_chart
from flows.digest.figures import DigestData
from flows.digest.render import digest_csv, digest_text
from flows.engine import Router, StepResult, Turn
from flows.events import Command
from flows.ports import ORGANISER, Charts, Translator


def configured_recipients(assembly: Assembly) -> frozenset[int]:
    """Telegram user ids named in the definition; organisers who joined by role invite are added
    to these by the store (`digest.recipients` serves organisers who never asked for a role)."""
    return frozenset(assembly.digest.recipients) if assembly.digest else frozenset()


def digest_actions(
    assembly: Assembly, tr: Translator, charts: Charts, data: DigestData, chat_id: int
) -> list[Action]:
    """The digest as messages, a chart image and a CSV file for one organiser's chat."""
    stamp = data.generated_at.astimezone(assembly.zone).strftime("%Y-%m-%d")
    actions: list[Action] = [
        SendMessage(chat_id, part) for part in split_text(digest_text(assembly, tr, data))
    ]
    actions.append(
        SendPhoto(
            chat_id,
            quota_chart(charts, tr, assembly, data.strata),
            filename=f"digest-{stamp}.png",
            caption=tr.gettext("Registrations against the quotas"),
        )
    )
    actions.append(
        SendDocument(
            chat_id,
            digest_csv(data),
            filename=f"digest-{assembly.id}-{stamp}.csv",
            caption=tr.gettext("The digest's figures as a table"),
        )
    )
    return actions


async def digest_command(turn: Turn[Command]) -> StepResult:
    """/digest: the digest now, for organisers only."""
    chat = turn.participant.chat_id
    named = turn.participant.user_id in configured_recipients(turn.ctx.assembly)
    if not named and ORGANISER not in await turn.ctx.store.roles.roles(turn.participant.id):
        refusal = turn.tr.gettext("Only the assembly's organisers can receive the digest.")
        return StepResult((SendMessage(chat, refusal),), turn.state)
    data = await turn.ctx.store.reports.digest_for(turn.participant.id, turn.ctx.clock.now())
    return StepResult(
        tuple(digest_actions(turn.ctx.assembly, turn.tr, turn.ctx.charts, data, chat)), turn.state
    )


def install(router: Router) -> None:
    router.commands["digest"] = digest_command
