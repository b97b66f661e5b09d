"""Language detection of free text with langdetect, cautious by design: a wrong guess annoys."""

from __future__ import annotations

import functools
from pathlib import Path

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

NEIGHBOURS = {
    "ar": ("fa", "ur"),
    "de": ("nl", "da", "sv", "no"),
    "fr": ("it", "es", "pt", "ca", "ro"),
    "nl": ("af", "de"),
}
"""Languages close enough to an offered one (kin, or the same script) to be taken for it: the model
that says which language a text is in knows these besides the offered ones. All 55 of langdetect's
profiles would cost 65 MiB from the first long message on; these a few."""


@functools.cache
def _factory(codes: tuple[str, ...]) -> DetectorFactory:
    """A detector factory over some language profiles, seeded for repeatable answers (langdetect is
    random otherwise). Read once per process: loading the profiles takes most of a second, and a
    factory only hands out fresh detectors."""
    factory = DetectorFactory()
    directory = Path(PROFILES_DIRECTORY)
    factory.load_json_profile([(directory / name).read_text(encoding="utf-8") for name in codes])
    factory.set_seed(0)
    return factory


class LangDetect:
    """Implements `flows.ports.LanguageDetector`.

    A model of the offered languages and their neighbours says which language the text is in; a
    second model that knows only the offered languages says how sure that is, so Dutch is not lost
    to Afrikaans. Short texts (a greeting, a name) never trigger a guess.
    """

    def __init__(self, offered: list[str], min_letters: int = 25, min_probability: float = 0.95) -> None:
        self.min_letters, self.min_probability = min_letters, min_probability
        self._codes = tuple(offered)
        known = set(offered).union(*(NEIGHBOURS.get(code, ()) for code in offered))
        self._reference = tuple(sorted(known))

    def detect(self, text: str) -> str | None:
        if sum(ch.isalpha() for ch in text) < self.min_letters:
            return None
        try:
            # The profiles (tens of MiB) are read by the first text long enough to tell, not at start.
            top = self._probabilities(_factory(self._reference), text)[0]
            ranked = self._probabilities(_factory(self._codes), text)
        except LangDetectException:
            return None
        best = ranked[0]
        if best.lang != top.lang or best.prob < self.min_probability:
            return None
        return str(best.lang)

    @staticmethod
    def _probabilities(factory: DetectorFactory, text: str) -> list:  # type: ignore[type-arg]
        detector = factory.create()
        detector.append(text)
        return list(detector.get_probabilities())
