"""Every number the bot reads from outside goes through one parser: digits of any script, but never
`²`, never thousands of digits, never beyond what the store holds; junk gets the usual answer."""

from __future__ import annotations

import argparse

import pytest
from conftest import FlowHarness
from hypothesis import example, given, settings
from hypothesis import strategies as st
from polls_room import join

from bot.cli.options import whole
from flows.actions import AnswerButton, SendMessage
from flows.events import Command
from flows.numbers import INT64_MAX, MAX_DIGITS, ROW_ID_MAX, parse_id, parse_int

JUNK = ["²", "①", "١²", "1_000", "0x10", "1e3", " ", "", "-", "٫", "1" * 4301, str(2**63), "+5"]


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.text(), st.integers(-(2**70), 2**70), st.integers(-(2**70), 2**70))
@example("²", 0, 10)
@example("1" * 5000, 0, 2**80)
def test_any_string_is_a_number_in_bounds_or_none(text: str, a: int, b: int) -> None:
    low, high = min(a, b), max(a, b)
    value = parse_int(text, low, high)
    if value is None:
        return
    assert low <= value <= high
    digits = text.strip().lstrip("-\u2212")
    assert digits.isdecimal()
    assert len(digits) <= MAX_DIGITS
    assert value == int(digits) * (-1 if text.strip() != digits else 1)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.integers(0, INT64_MAX), st.sampled_from(["0123456789", "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", "०१२३४५६७८९"]))
def test_every_64_bit_number_reads_in_every_script(number: int, digits: str) -> None:
    written = "".join(digits[int(d)] for d in str(number))
    assert parse_int(written) == number
    assert parse_int(f" {written}\n") == number


def test_junk_and_out_of_range_are_refused() -> None:
    for text in JUNK:
        assert parse_int(text) is None, text
    assert parse_int("-5") is None  # no negative where the bounds allow none
    assert parse_int("−5", -10, 10) == -5
    assert parse_id("0") is None
    assert parse_id(str(ROW_ID_MAX)) == ROW_ID_MAX
    assert parse_id(str(ROW_ID_MAX + 1)) is None
    assert parse_id("٤٢") == 42


def test_command_line_numbers_use_the_same_reader() -> None:
    reader = whole(1, ROW_ID_MAX)
    assert reader("٣") == 3
    for text in ("²", "0", str(2**40), "1" * 5000):
        with pytest.raises(argparse.ArgumentTypeError):
            reader(text)


@pytest.mark.parametrize("argument", ["² 1", "1 ²", "1" * 5000 + " 1", f"{2**63} 1", f"{2**40} 2", "١ ٢٠٠"])
async def test_pin_with_junk_numbers_gets_the_usage(flow: FlowHarness, argument: str) -> None:
    organiser = await join(flow, "organiser", 901, "en")
    (reply,) = await flow.send(Command(organiser, "pin", argument))
    assert isinstance(reply, SendMessage)
    assert reply.text.startswith("Write /pin followed by the participant number"), reply.text


async def test_pin_reads_arabic_indic_digits(flow: FlowHarness) -> None:
    organiser = await join(flow, "organiser", 901, "ar")
    (reply,) = await flow.send(Command(organiser, "pin", "٤٢ ٣"))
    assert isinstance(reply, SendMessage)
    assert "42" in reply.text or "٤٢" in reply.text  # not a confirmed participant: named, not refused


FORGED = [*JUNK, "0", "99", str(ROW_ID_MAX + 1), "-1", "٣"]


@pytest.mark.both_backends
async def test_forged_numbers_in_button_data_get_a_short_answer(flow: FlowHarness) -> None:
    voter = flow.sender(801, "en")
    for number in FORGED:
        for kind in (
            f"pv:{number}:c:0",
            f"pf:{number}:close",
            f"fb:{number}:3",
            f"cf:{number}:yes",
            f"pv:1:c:{number}",
        ):
            data = kind.encode()[:64].decode(errors="ignore")
            (answer,) = await flow.send(flow.press(voter, data))
            assert isinstance(answer, AnswerButton), data
            assert answer.text, data
