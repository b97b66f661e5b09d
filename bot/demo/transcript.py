"""`transcript.md`: each person's conversation, what they did between what the bot said, in order."""

from __future__ import annotations

from collections.abc import Iterable

from bot.demo.actors import Actor
from bot.emulator import SentMessage


def _bot_says(message: SentMessage) -> list[str]:
    body = message.text or message.caption or ""
    if message.photo is not None:
        body = f"[picture] {body}".strip()
    if message.document is not None:
        body = f"[file {message.document_name or ''}] {body}".strip()
    lines = [f"> {line}" if line else ">" for line in body.splitlines() or [""]]
    labels = [button.text for row in message.buttons for button in row]
    labels += [button.text for row in message.reply_buttons for button in row]
    if labels:
        lines.append(">")
        lines.append("> " + " · ".join(f"[{label}]" for label in labels))
    if message.edited:
        lines.append(f"> _(edited {message.edited}×; shown as last edited)_")
    return lines


def _conversation(actor: Actor) -> list[str]:
    lines: list[str] = []
    actions = sorted(actor.actions, key=lambda a: a.before)
    done = 0
    for index, message in enumerate([*actor.messages, None]):
        while done < len(actions) and actions[done].before <= index:
            lines += ["", f"**{actor.user.first_name}:** {actions[done].text}"]
            done += 1
        if message is not None:
            lines += ["", "**bot:**", *_bot_says(message)]
    return lines


def render(actors: Iterable[Actor], title: str) -> str:
    """Markdown, one section per person, from the emulator's record of each chat."""
    out = [f"# {title}", "", "Every message below went through the Bot API emulator and the real bot."]
    for actor in actors:
        if not actor.messages and not actor.actions:
            continue
        who = actor.user.first_name
        language = actor.user.language_code or "?"
        role = "participant" if actor.person is not None else "staff"
        out += ["", f"## {who} ({role}, Telegram language {language}, user {actor.user.id})"]
        out += _conversation(actor)
    return "\n".join(out) + "\n"
