"""SQLAlchemy's aiosqlite adapter, with each statement run in one trip to the driver's thread.

aiosqlite runs SQLite on a thread of its own, and SQLAlchemy's adapter makes four trips to it for
every query (open a cursor, execute, fetch, close), each a hand-off between the event loop and that
thread. A bot update runs about ten short statements, so the trips, not SQLite, were most of its
time (more so on a busy machine, where each hand-off waits for the thread to be scheduled). Here the
four steps run together in the thread, in one trip; what SQLAlchemy sees is unchanged.

A trip still costs more than the statement it carries: on a 2-core virtual machine, about 0.2 ms of
CPU time and as much again of waiting for the two threads to wake each other, against a few
microseconds for one of the update loop's statements. Inside `short_statements()` the statements
run on the event loop's own thread instead, except `BEGIN`, which may wait for another writer's lock
(an organiser command in another process), and the commit, which syncs to disk: those keep the
trip, so the event loop never waits for a lock.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

Outcome = tuple[Any, list[Any], int | None, int]
"""A statement's description, rows, last row id and row count."""

_short: ContextVar[bool] = ContextVar("assembly_bot_short_statements", default=False)


@contextmanager
def short_statements() -> Iterator[None]:
    """Statements from here run on the calling thread (see the module's docstring): only for units
    of work whose every statement is short, as a long one would hold up the event loop."""
    token = _short.set(True)
    try:
        yield
    finally:
        _short.reset(token)


def _here(operation: str) -> bool:
    return _short.get() and not operation.startswith("BEGIN")


def _run(connection: sqlite3.Connection, operation: str, parameters: Any) -> Outcome:
    """In the driver's thread: the statement executed, its rows fetched, its cursor closed."""
    cursor = connection.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        if cursor.description:
            return cursor.description, cursor.fetchall(), -1, -1
        return None, [], cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        outcome: Any
        try:
            if _here(operation):
                outcome = _run(connection._conn, operation, parameters)
            else:
                outcome = self.await_(
                    connection._execute(_run, connection._conn, operation, parameters)  # type: ignore[no-untyped-call]
                )
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self.description, rows, self.lastrowid, self.rowcount = outcome
        self._rows = deque(rows)


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    def commit(self) -> None:
        if self._in_transaction():  # else nothing to commit: no trip (a read, a pool's reset)
            super().commit()

    def rollback(self) -> None:
        if self._in_transaction():
            super().rollback()

    def _in_transaction(self) -> bool:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        return connection._conn.in_transaction

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        return super().cursor(server_side) if server_side else _Cursor(self)


class OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module to give `create_async_engine(..., module=...)` for an aiosqlite URL."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *args: Any, **kwargs: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*args, **kwargs)
        return _Connection(self, adapted._connection)
