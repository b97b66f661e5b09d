"""The demo's residents: four per shipped language, with answers spread over every selection stratum."""

from __future__ import annotations

import random

from bot.demo.actors import Person
from flows.assembly import Assembly

COUNT = 20

NAMES = {
    "fr": ("Amélie", "Karim", "Sophie", "Thierry"),
    "nl": ("Jan", "Lotte", "Pieter", "Fien"),
    "en": ("Sam", "Grace", "Oliver", "Priya"),
    "de": ("Lena", "Jonas", "Miriam", "Lukas"),
    "ar": ("نور", "يوسف", "ليلى", "سمير"),
}
COMMENTS = {
    "fr": "Les échanges à notre table étaient riches et chacun a pu donner son avis librement.",
    "nl": "De gesprekken aan onze tafel waren boeiend en iedereen kon vrijuit zijn mening geven.",
    "en": "The discussion at our table was lively and everyone could speak their mind freely.",
    "de": "Die Gespräche an unserem Tisch waren lebendig und alle konnten frei ihre Meinung sagen.",
    "ar": "كان النقاش على طاولتنا غنيًا واستطاع الجميع التعبير عن رأيهم بحرية.",
}


def residents(assembly: Assembly) -> list[Person]:
    """Twenty people; each feature's values are dealt out evenly, then shuffled, so the quotas fit."""
    registration = assembly.registration
    if registration is None:
        raise ValueError("the assembly definition has no registration section")
    rng = random.Random(2027)
    columns = {}
    for question in registration.features:
        column = [question.values[i % len(question.values)] for i in range(COUNT)]
        rng.shuffle(column)
        columns[question.id] = column
    people = []
    for index in range(COUNT):
        language = assembly.languages[index % len(assembly.languages)]
        name = NAMES.get(language, NAMES["en"])[index // len(assembly.languages) % 4]
        profile = {key: column[index] for key, column in columns.items()}
        people.append(
            Person(7001 + index, name, language, profile, 1 + index % 5, COMMENTS.get(language, ""))
        )
    return people
