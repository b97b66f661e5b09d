"""The registration conversation: language, privacy consent, the questionnaire, a summary to confirm.

Every step is a `Step` kept in the conversation state (stored as "lang", "consent", "q.<id>",
"n.<id>", "sum"); buttons carry the step that sent them (`rg:<step>:<value>`), so a button from an
earlier step is refused instead of being applied to the current question. Answers are stored per
question as they come, so leaving, coming back or a restart continues exactly where it was.
"""

__all__ = ["checks", "steps"]
