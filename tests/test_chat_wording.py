"""Small things participants and staff read: Arabic dates and commas, lengths in Arabic, the role
welcome naming "the" assembly."""

from __future__ import annotations

from conftest import FlowHarness
from polls_room import invite

from bot.store.participants import SqlStore
from flows.actions import SendMessage
from flows.events import Command


async def test_arabic_summary_writes_dates_in_arabic_with_the_arabic_comma(flow: FlowHarness) -> None:
    await flow.send(Command(flow.sender(960, "ar"), "start"))
    async with flow.db.transaction() as session:
        store = SqlStore(session, flow.kit.assembly.id)
        person = await store.participant(960)
        assert person is not None
        await store.registrations.save_answer(
            person.id, "availability", ["2027-03-06", "2027-03-20"], flow.clock.now()
        )
    shown = await flow.send(Command(flow.sender(960, "ar"), "mydata"))
    text = next(a.text for a in shown if isinstance(a, SendMessage))
    assert "→ 6 مارس 2027، 20 مارس 2027" in text
    assert "/2027" not in text


async def test_arabic_length_limits_read_right_for_any_number(flow: FlowHarness) -> None:
    tr = flow.kit.translations.for_language("ar")
    hint = tr.gettext("Type your answer (at most {limit} characters).").format(limit=tr.number(300))
    assert "300" in hint
    assert "حرفاً" not in hint


async def test_role_welcome_names_the_assembly_with_its_article(flow: FlowHarness) -> None:
    welcomes = {}
    for user_id, language in ((961, "en"), (962, "fr")):
        code = await invite(flow.db, flow.kit.assembly, "facilitator", flow.clock.now())
        actions = await flow.send(Command(flow.sender(user_id, language), "start", f"role-{code}"))
        welcomes[language] = next(a.text for a in actions if isinstance(a, SendMessage))
    assert welcomes["en"].startswith(
        "Welcome! You are now a facilitator of the Brussels Citizens' Assembly on Climate."
    )
    assert welcomes["fr"].startswith(
        "Bienvenue ! Vous êtes maintenant facilitateur ou facilitatrice de l'Assemblée citoyenne"
    )
