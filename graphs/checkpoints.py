"""Checkpointers: SQLite by default (one thread per incident), PostgreSQL for `graph serve`
with a database URL; a strict msgpack allowlist for both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from core.state import STATE_TYPES


def serializer() -> JsonPlusSerializer:
    """Deserialize only the state's own types (and LangGraph's safe built-ins)."""
    return JsonPlusSerializer(allowed_msgpack_modules=None).with_msgpack_allowlist(STATE_TYPES)


@asynccontextmanager
async def sqlite_checkpointer(path: Path) -> AsyncIterator[AsyncSqliteSaver]:
    path.parent.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(str(path)) as conn:
        await conn.execute("PRAGMA journal_mode=WAL")
        saver = AsyncSqliteSaver(conn, serde=serializer())
        await saver.setup()
        yield saver


@asynccontextmanager
async def postgres_checkpointer(
    url: str, setup: bool = False
) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """Shared checkpoints on PostgreSQL (`graph serve` with a database URL); `setup` creates
    or migrates the tables (once, at start-up)."""
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver  # only the service needs it

    async with AsyncPostgresSaver.from_conn_string(url, serde=serializer()) as saver:
        if setup:
            await saver.setup()
        yield saver
