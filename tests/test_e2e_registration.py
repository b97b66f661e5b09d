"""End to end: people register in their own language through the real runtime and the emulator."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from conftest import RunningBot, eventually
from sqlalchemy import select

from bot.emulator import Emulator, SentMessage, SimulatedUser
from bot.store.models import AnswerRow, ParticipantRow


async def _until(user: SimulatedUser, check: Callable[[SentMessage], bool], since: int) -> SentMessage:
    """The first message after index `since` that passes `check` (the bot answers asynchronously)."""
    async with asyncio.timeout(10):
        while True:
            for message in user.messages[since:]:
                if check(message):
                    return message
            await asyncio.sleep(0.02)


async def _text(user: SimulatedUser, text: str, expect: str) -> SentMessage:
    since = len(user.messages)
    await user.send_text(text)
    return await _until(user, lambda m: expect in (m.text or ""), since)


async def _press(user: SimulatedUser, label: str, expect: str) -> SentMessage:
    since = len(user.messages)
    await user.press(label)
    return await _until(user, lambda m: expect in (m.text or ""), since)


async def _toggle(user: SimulatedUser, label: str) -> SentMessage:
    """Tick a multiple-choice button: the bot edits the question in place."""
    await user.press(label)
    return await _until(user, lambda m: f"☑ {label}" in m.button_texts, 0)


async def _answers(bot: RunningBot, user_id: int) -> dict[str, object]:
    assert bot.app is not None
    async with bot.app.db.transaction() as session:
        pid = await session.scalar(
            select(ParticipantRow.id).where(ParticipantRow.telegram_user_id == user_id)
        )
        rows = await session.execute(
            select(AnswerRow.question_id, AnswerRow.value).where(AnswerRow.participant_id == pid)
        )
        return dict(rows.all())


async def test_english_with_every_kind_of_bad_answer_and_an_edit(
    running_bot: RunningBot, emulator: Emulator
) -> None:
    sam = emulator.user(4001, first_name="Sam", language_code="en")
    await _text(sam, "/start register", "First, choose your language")
    await _text(sam, "hello", "Please choose a language with the buttons.")
    await _press(sam, "English", "Do you agree to this privacy notice (version 2027-01)?")
    await _text(sam, "maybe", "Please answer with the buttons")
    await _text(sam, "Yes!", "Question 1 of 12")  # a typed yes is as good as "✅ I agree"
    await _text(sam, "x" * 61, "That is too long: at most 60 characters, please (you wrote 61).")
    await _text(sam, "Sam", "Question 2 of 12")
    await _text(sam, "34", "Please answer with the buttons under the question.")
    await _press(sam, "25 to 34", "Question 3 of 12")
    await _press(sam, "a man", "Question 4 of 12")
    await _press(sam, "North (Schaerbeek, Evere, Saint-Josse)", "Question 5 of 12")
    await _press(sam, "secondary school", "Question 6 of 12")
    await _press(sam, "somewhat worried", "Question 7 of 12")
    await _text(sam, "many", "Please type a whole number from 1 to 20, in digits.")
    await _text(sam, "25", "Please type a whole number from 1 to 20, in digits.")
    await _text(sam, "3", "Question 8 of 12")
    await _press(sam, "Done ✓", "Please choose at least one answer, then press Done.")
    assert (await _toggle(sam, "English")).edited == 1
    await _press(sam, "Done ✓", "Question 9 of 12")
    await _toggle(sam, "Saturday, March 6, 2027")
    await _press(sam, "Done ✓", "Question 10 of 12")
    await _press(sam, "No", "Question 11 of 12")
    await _toggle(sam, "wheelchair access")
    await _press(sam, "Done ✓", "Is there anything else we should know")
    await _text(sam, "I come with my guide dog", "The button is below the typing field.")
    assert sam.keyboard[0][0].request_contact
    await _text(sam, "+32 470 12 34 56", "Please do not type your number")
    for someone_else in (4999, None):  # a friend's contact, a phone-book entry
        since = len(sam.messages)
        await sam.share_contact("+32470999999", of_user=someone_else)
        await _until(sam, lambda m: "That is someone else's contact" in (m.text or ""), since)
    await sam.share_contact("+32470123456")
    summary = await _until(sam, lambda m: "Please check your answers:" in (m.text or ""), 0)
    assert "→ Sam" in (summary.text or "")
    assert "→ wheelchair access (I come with my guide dog)" in (summary.text or "")
    assert "+32470999999" not in (summary.text or "")
    assert sam.keyboard == []
    await _press(sam, "✏️ 3", "Question 3 of 12")
    edited = await _press(sam, "a woman", "Please check your answers:")
    assert "→ a woman" in (edited.text or "")
    await _press(sam, "✅ Confirm", "Thank you, your registration is complete!")
    answers = await _answers(running_bot, 4001)
    assert answers["gender"] == "woman"
    assert answers["household"] == 3
    assert answers["phone"] == "+32470123456"
    assert answers["availability"] == ["2027-03-06"]
    await _text(sam, "/start register", "You are already registered.")


async def test_french_restart_mid_questionnaire_continues_where_it_was_to_the_end(
    running_bot: RunningBot, emulator: Emulator
) -> None:
    lea = emulator.user(4002, first_name="Léa", language_code="fr")
    await _text(lea, "/start register", "choisissez votre langue")
    await _press(lea, "Français", "version 2027-01")
    await _press(lea, "✅ J'accepte", "Question 1 sur 12")
    await _text(lea, "Léa", "Question 2 sur 12")
    await _press(lea, "16 à 24 ans", "Question 3 sur 12")
    await running_bot.restart()
    since = len(lea.messages)
    await _text(lea, "/start", "Reprenons là où vous vous étiez arrêté·e.")
    await _until(lea, lambda m: "Question 3 sur 12" in (m.text or ""), since)
    await _press(lea, "◀ Retour", "Question 2 sur 12")
    await _press(lea, "35 à 44 ans", "Question 3 sur 12")
    since, answered = len(lea.messages), len(lea.callback_answers)
    stale = next(m for m in lea.messages if "Question 1 sur 12" in (m.text or ""))
    await lea.press_data(stale.buttons[0][0].callback_data or "", stale.message_id)
    await _until(lea, lambda m: "Question 3 sur 12" in (m.text or ""), since)
    # The press's answer and the question sent again leave on separate lanes, in either order.
    await eventually(lambda: len(lea.callback_answers) > answered)
    assert "Ce bouton appartient à une étape précédente." in lea.callback_answers[-1]
    assert (await _answers(running_bot, 4002))["age_band"] == "a35_44"
    # ... and on to the end of the questionnaire, in French.
    for number, label in enumerate(("une femme", "Bruxelles-Ville", "secondaire", "beaucoup")):
        await _press(lea, label, f"Question {number + 4} sur 12")
    await _text(lea, "3", "Question 8 sur 12")
    await _toggle(lea, "français")
    await _press(lea, "Terminé ✓", "Question 9 sur 12")
    await _toggle(lea, "samedi 20 mars 2027")
    await _press(lea, "Terminé ✓", "Question 10 sur 12")
    await _text(lea, "non", "Question 11 sur 12")  # typed, for the yes/no question
    await _press(lea, "Terminé ✓", "Y a-t-il autre chose à savoir")
    await _text(lea, "Une place près de la sortie, merci", "Le bouton se trouve sous le champ de saisie.")
    await lea.share_contact("+32470112233")
    await _until(lea, lambda m: "Vérifiez vos réponses :" in (m.text or ""), 0)
    await _text(lea, "Oui", "Merci, votre inscription est complète !")  # typed, for ✅ Confirmer
    answers = await _answers(running_bot, 4002)
    assert answers["household"] == 3
    assert answers["gender"] == "woman"
    assert answers["languages"] == ["fr"]


async def test_dutch_cancel_and_arabic_decline(running_bot: RunningBot, emulator: Emulator) -> None:
    jan = emulator.user(4003, first_name="Jan", language_code="nl")
    await _text(jan, "/start register", "Kies eerst je taal")
    await _press(jan, "Nederlands", "versie 2027-01")
    await _press(jan, "✅ Ik ga akkoord", "Vraag 1 van 12")
    await _text(jan, "Jan", "Vraag 2 van 12")
    await _text(jan, "/cancel", "Inschrijving geannuleerd")
    assert await _answers(running_bot, 4003) == {}
    await _text(jan, "/start register", "Kies eerst je taal")

    nour = emulator.user(4004, first_name="Nour", language_code="ar")
    await _text(nour, "/start register", "اختر لغتك")
    await _press(nour, "العربية", "الإصدار 2027-01")
    await _text(nour, "لا", "لم أحتفظ بشيء عنك سوى أنك رفضت")  # a typed no declines the notice
    assert running_bot.app is not None
    async with running_bot.app.db.transaction() as session:
        statuses = (
            await session.execute(select(ParticipantRow.status, ParticipantRow.telegram_user_id))
        ).all()
    assert ("consent_declined", 4004) not in statuses
    assert "consent_declined" in [status for status, _ in statuses]


async def test_mydata_and_forget_leave_no_personal_value_in_any_table(
    running_bot: RunningBot, emulator: Emulator
) -> None:
    kim = emulator.user(4005, first_name="Kimberley", language_code="de")
    await _text(kim, "/start register", "Wählen Sie zuerst Ihre Sprache")
    await _press(kim, "Deutsch", "Version 2027-01")
    await _press(kim, "✅ Ich stimme zu", "Frage 1 von 12")
    await _text(kim, "Kimberley-Zora", "Frage 2 von 12")
    for number, label in enumerate(
        ("65 Jahre und älter", "eine Frau", "Stadt Brüssel", "Sekundarschule", "sehr")
    ):
        await _press(kim, label, f"Frage {number + 3} von 12")
    await _text(kim, "7", "Frage 8 von 12")
    await _toggle(kim, "Deutsch")
    await _press(kim, "Fertig ✓", "Frage 9 von 12")
    await _toggle(kim, "Samstag, 20. März 2027")
    await _press(kim, "Fertig ✓", "Frage 10 von 12")
    await _press(kim, "Ja", "Frage 11 von 12")
    await _press(kim, "Fertig ✓", "Gibt es noch etwas")
    await _text(kim, "Rampe am Seiteneingang bitte", "Die Schaltfläche befindet sich unter dem Eingabefeld.")
    await kim.share_contact("+32499887766")
    await _until(kim, lambda m: "Bitte prüfen Sie Ihre Antworten:" in (m.text or ""), 0)
    await _press(kim, "✅ Bestätigen", "Danke, Ihre Anmeldung ist vollständig!")

    since = len(kim.messages)
    await kim.send_text("/mydata")
    document = await _until(kim, lambda m: m.document is not None, since)
    data = json.loads(document.document or b"")
    assert data["answers"]["first_name"] == "Kimberley-Zora"
    assert data["status"] == "registered"
    assert "Status: für die Auslosung angemeldet" in (kim.messages[since].text or "")

    await _text(kim, "/forget", "Möchten Sie, dass ich alles lösche")
    await _text(kim, "nein", "Es wurde nichts gelöscht.")
    await _text(kim, "/forget", "Möchten Sie, dass ich alles lösche")
    await _text(kim, "Ja", "Erledigt: Ich habe Ihre Daten gelöscht.")
    assert running_bot.app is not None
    db = running_bot.app.db
    personal = ["Kimberley", "Zora", "+32499887766", "32499887766", "Rampe am Seiteneingang", "4005"]
    async with asyncio.timeout(10):
        while True:  # the goodbye message is purged from the outbox once it has been sent
            dump = await _dump(running_bot)
            if not [p for p in personal if p in dump]:
                break
            await asyncio.sleep(0.05)
    async with db.transaction() as session:
        row = (await session.execute(select(ParticipantRow))).scalar_one()
        assert row.status == "forgotten"
        assert await session.scalar(select(AnswerRow.question_id)) is None


async def _dump(bot: RunningBot) -> str:
    """Every value of every table, as text."""
    from bot.store.models import Base  # noqa: PLC0415 (only this helper walks the whole schema)

    assert bot.app is not None
    chunks = []
    async with bot.app.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(table.select())).all():
                chunks.append(repr(tuple(row)))
    return "\n".join(chunks)
