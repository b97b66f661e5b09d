"""The store as flows see it: participants, and each feature's port as a typed attribute."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from flows.ports.people import DashboardAccess, Participant, RoleStore
from flows.ports.polls import PollStore
from flows.ports.registrations import RegistrationStore
from flows.ports.reports import Reports
from flows.ports.sessions import FeedbackStore, SessionStore, TableStore


class Store(Protocol):
    """Participant data that flows read and change inside the caller's transaction."""

    @property
    def sessions(self) -> SessionStore: ...

    @property
    def roles(self) -> RoleStore: ...

    @property
    def tables(self) -> TableStore: ...

    @property
    def polls(self) -> PollStore: ...

    @property
    def feedback(self) -> FeedbackStore: ...

    @property
    def dashboard(self) -> DashboardAccess: ...

    @property
    def registrations(self) -> RegistrationStore: ...

    @property
    def reports(self) -> Reports: ...

    async def participants(self, participant_ids: Sequence[int]) -> list[Participant]: ...

    async def participant(self, user_id: int) -> Participant | None: ...

    async def add_participant(self, user_id: int, chat_id: int, language: str) -> Participant: ...

    async def set_language(self, participant_id: int, language: str) -> None: ...
