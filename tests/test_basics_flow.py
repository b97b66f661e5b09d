"""Transcripts of the always-available commands at the flow level, on a real store and real catalogs."""

from __future__ import annotations

from conftest import FlowHarness

from flows.actions import AnswerButton, EditMessage, SendMessage
from flows.events import Command, ContactShared, Text


def _texts(actions: tuple[object, ...]) -> list[str]:
    return [a.text for a in actions if isinstance(a, SendMessage)]


async def test_start_greets_in_telegram_language_with_menu(flow: FlowHarness) -> None:
    actions = await flow.send(Command(flow.sender(language_code="nl-BE"), "start"))
    (message,) = actions
    assert isinstance(message, SendMessage)
    assert message.text.startswith("Welkom! Ik ben de assistent")
    assert "Gebruik de knoppen hieronder" in message.text
    labels = [b.text for row in message.buttons for b in row]
    assert labels == ["📝 Inschrijven", "🌐 Taal", "❓ Hulp"]  # the example allows open registration


async def test_unoffered_telegram_language_gets_fallback(flow: FlowHarness) -> None:
    actions = await flow.send(Command(flow.sender(language_code="pt-BR"), "start"))
    assert _texts(actions)[0].startswith("Bienvenue !")


async def test_language_switch_persists(flow: FlowHarness) -> None:
    user = flow.sender(language_code="fr")
    (menu,) = await flow.send(Command(user, "language"))
    assert isinstance(menu, SendMessage)
    assert menu.text == "Choisissez votre langue :"
    labels = {b.data: b.text for row in menu.buttons for b in row}
    assert labels == {
        "lang:fr": "Français",
        "lang:nl": "Nederlands",
        "lang:en": "English",
        "lang:de": "Deutsch",
        "lang:ar": "العربية",
    }
    actions = await flow.send(flow.press(user, "lang:ar", message_id=7))
    assert isinstance(actions[0], AnswerButton)
    assert actions[1] == EditMessage(user.chat_id, 7, "✓ العربية")
    assert _texts(actions) == ["من الآن فصاعداً سأكتب لك باللغة العربية."]
    help_text = _texts(await flow.send(Command(user, "help")))[0]
    assert help_text.startswith("إليك ما يمكنني فعله:")
    assert "/language – اختر لغتك" in help_text


async def test_unknown_command_and_text_get_short_help(flow: FlowHarness) -> None:
    user = flow.sender(language_code="de")
    assert _texts(await flow.send(Command(user, "vote"))) == [
        "Den Befehl /vote kenne ich nicht. Tippen Sie /help, um zu sehen, was ich kann."
    ]
    assert _texts(await flow.send(Text(user, "hmm"))) == [
        "Entschuldigung, das habe ich nicht verstanden. Tippen Sie /help, um zu sehen, was ich kann."
    ]


async def test_text_in_another_offered_language_offers_switch(flow: FlowHarness) -> None:
    user = flow.sender(language_code="en")
    dutch = "Ik woon al twintig jaar in Schaarbeek en wil graag meedoen aan de burgerassemblee."
    (offer,) = await flow.send(Text(user, dutch))
    assert isinstance(offer, SendMessage)
    assert offer.text.splitlines() == [
        "It looks like you are writing in Dutch. Shall I switch?",
        "Het lijkt erop dat je in het Nederlands schrijft. Zal ik overschakelen?",
    ]
    assert [b.data for row in offer.buttons for b in row] == ["lang:nl", "lang:keep"]
    kept = await flow.send(flow.press(user, "lang:keep"))
    assert _texts(kept) == ["I will keep writing to you in English."]


async def test_short_or_same_language_text_is_not_offered_a_switch(flow: FlowHarness) -> None:
    user = flow.sender(language_code="en")
    for text in ("Bonjour", "I live in Brussels and would like to take part in the assembly."):
        assert _texts(await flow.send(Text(user, text)))[0].startswith("Sorry, I did not understand")


async def test_cancel_when_idle_and_forged_buttons(flow: FlowHarness) -> None:
    user = flow.sender(language_code="fr")
    assert _texts(await flow.send(Command(user, "cancel"))) == ["Il n'y a rien à annuler pour le moment."]
    for forged in ("lang:xx", "menu:nothing", "poll:1:2", "garbage"):
        (answer,) = await flow.send(flow.press(user, forged))
        assert answer == AnswerButton(answer.query_id, "Ce bouton n'est plus valable.")


async def test_unrequested_contact_is_not_kept(flow: FlowHarness) -> None:
    user = flow.sender(language_code="en")
    actions = await flow.send(ContactShared(user, "+32470000000", own=True))
    assert _texts(actions) == ["I did not ask for a phone number, so I have not kept it."]
