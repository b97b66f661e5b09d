"""Button data codecs: each kind of inline button declares a prefix and typed fields, packed and parsed here.

A kind is a frozen dataclass deriving from `ButtonData` with its prefix as a class argument (as
aiogram's `CallbackData`): `RsvpButton("s1", "yes").pack()` gives `rsvp:s1:yes`. The wire format is
`prefix:field:field...`, exactly what buttons already sent carry, so they keep working.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Self

from flows.numbers import ROW_ID_MAX, parse_int

SEPARATOR = ":"
MAX_BYTES = 64
"""Telegram's limit for a button's callback data."""


@dataclass(frozen=True)
class _Field:
    """How one field travels: its name, the type it decodes to, whether it may be left out at the end."""

    name: str
    kind: type[str] | type[int] | tuple[str, ...]
    """`str`, `int`, or the fixed words a `Literal[...]` field allows."""
    optional: bool


def _field(name: str, hint: Any) -> _Field:
    args = typing.get_args(hint)
    if typing.get_origin(hint) is typing.Literal:
        return _Field(name, tuple(str(arg) for arg in args), optional=False)
    if hint in (str, int):
        return _Field(name, hint, optional=False)
    if set(args) == {str, type(None)}:
        return _Field(name, str, optional=True)
    raise TypeError(f"button field {name!r}: use str, int, a Literal of words, or a last `str | None`")


def _decode(spec: _Field, text: str) -> str | int | None:
    """The field's value, or None when `text` is not one (the button was forged or is from elsewhere)."""
    if spec.kind is int:
        return parse_int(text, 0, ROW_ID_MAX)
    if isinstance(spec.kind, tuple):
        return text if text in spec.kind else None
    return text


class ButtonData:
    """The base of every button kind: a frozen dataclass of str, int and `Literal` fields, the last
    one possibly `str | None`, left out when None (`pv:12:t` has no draft, `pv:12:r:` an empty one)."""

    prefix: ClassVar[str]
    _fields: ClassVar[tuple[_Field, ...]]

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix or SEPARATOR in prefix:
            raise ValueError(f"a button prefix is a word without {SEPARATOR!r}: {prefix!r}")
        cls.prefix = prefix

    @classmethod
    def _specs(cls) -> tuple[_Field, ...]:
        # Read on first use, once the dataclass exists (it does not yet in __init_subclass__).
        if "_fields" not in cls.__dict__:
            hints = typing.get_type_hints(cls)
            specs = tuple(_field(f.name, hints[f.name]) for f in fields(cls))  # type: ignore[arg-type]
            if not specs or any(spec.optional for spec in specs[:-1]):
                raise TypeError(f"{cls.__name__}: give it fields, only the last one optional")
            cls._fields = specs
        return cls._fields

    def pack(self) -> str:
        """The button's data; ValueError when it would not come back intact or exceeds Telegram's limit."""
        specs = self._specs()
        values = [getattr(self, spec.name) for spec in specs]
        if values[-1] is None:
            values.pop()
        texts = [str(value) for value in values]
        if any(SEPARATOR in text for text in texts[: len(specs) - 1]):
            raise ValueError(f"{SEPARATOR!r} inside a field of {self!r}")
        data = SEPARATOR.join((self.prefix, *texts))
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"button data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def unpack(cls, data: str) -> Self | None:
        """The button `data` packs, or None when it is not of this kind (another prefix, a field
        missing or not of its type)."""
        specs = cls._specs()
        prefix, separated, rest = data.partition(SEPARATOR)
        if prefix != cls.prefix or not separated:
            return None
        texts: list[str | None] = [*rest.split(SEPARATOR, len(specs) - 1)]
        if len(texts) == len(specs) - 1 and specs[-1].optional:
            texts.append(None)
        if len(texts) != len(specs):
            return None
        values = [
            None if text is None else _decode(spec, text) for spec, text in zip(specs, texts, strict=True)
        ]
        if any(value is None and text is not None for value, text in zip(values, texts, strict=True)):
            return None
        return cls(*values)
