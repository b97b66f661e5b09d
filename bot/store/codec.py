"""JSON forms of flow events and actions, so the store keeps them framework-neutral."""

from __future__ import annotations

import dataclasses
from typing import Any

from flows import actions, events
from flows.actions import Action, Button
from flows.events import Event, Sender

_EVENTS: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        events.Text,
        events.Command,
        events.ButtonPress,
        events.ContactShared,
        events.Media,
        events.PollAnswer,
        events.Timer,
    )
}
_ACTIONS: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        actions.SendMessage,
        actions.EditMessage,
        actions.AnswerButton,
        actions.SendPoll,
        actions.SendPhoto,
        actions.SendDocument,
        actions.SendVenue,
        actions.SetMenu,
    )
}


def event_to_json(event: Event) -> dict[str, Any]:
    return {"type": type(event).__name__, **dataclasses.asdict(event)}


def event_from_json(data: dict[str, Any]) -> Event:
    fields = dict(data)
    cls = _EVENTS[fields.pop("type")]
    fields["sender"] = Sender(**fields["sender"])
    if "option_ids" in fields:
        fields["option_ids"] = tuple(fields["option_ids"])
    event: Event = cls(**fields)
    return event


def action_to_json(action: Action) -> tuple[str, dict[str, Any], bytes | None]:
    """Split an action into (kind, JSON payload, binary attachment)."""
    payload = dataclasses.asdict(action)
    blob = payload.pop("data", None) if isinstance(payload.get("data"), bytes) else None
    return type(action).__name__, payload, blob


def action_from_json(kind: str, payload: dict[str, Any], blob: bytes | None) -> Action:
    fields = dict(payload)
    if blob is not None:
        fields["data"] = blob
    if "buttons" in fields:
        fields["buttons"] = tuple(tuple(Button(**b) for b in row) for row in fields["buttons"])
    if "options" in fields:
        fields["options"] = tuple(fields["options"])
    if "commands" in fields:
        fields["commands"] = tuple((name, text) for name, text in fields["commands"])
    action: Action = _ACTIONS[kind](**fields)
    return action
