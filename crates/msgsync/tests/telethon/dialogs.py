"""Reads a Telegram account with Telethon, as a stock client would, and prints it as JSON.

Usage: dialogs.py < SESSION, where SESSION is a Telethon string session (for the test, one that
`msgsync sandbox telegram-session` printed for a running msgsync's Telegram simulator).

It connects without receiving updates, asks who the account is, lists every dialog and reads
every message of each; tests/telethon.rs compares the output with what msgsync synced.
"""

import asyncio
import json
import sys

from telethon import TelegramClient, __version__
from telethon.sessions import StringSession
from telethon.tl import types

# The simulator takes any app: real accounts need an app's id and hash, the sandbox none.
API_ID = 1
API_HASH = "0" * 32
# Every step is bounded, so that a simulator that does not answer fails the test quickly.
REQUEST_TIMEOUT_S = 10
OVERALL_TIMEOUT_S = 120


def kind(entity):
    if isinstance(entity, types.User):
        return "user"
    if isinstance(entity, types.Chat):
        return "group"
    if isinstance(entity, types.Channel):
        return "channel" if entity.broadcast else "supergroup"
    return type(entity).__name__


def message(m):
    event = isinstance(m, types.MessageService)
    return {
        "id": m.id,
        "date": int(m.date.timestamp()),
        "out": bool(m.out),
        "event": event,
        "action": type(m.action).__name__ if event else None,
        # The raw text, without Telethon's markdown rendering of entities.
        "text": None if event else (m.message or None),
    }


async def read(session):
    client = TelegramClient(
        StringSession(session),
        API_ID,
        API_HASH,
        receive_updates=False,
        timeout=REQUEST_TIMEOUT_S,
        request_retries=1,
        connection_retries=1,
        retry_delay=0,
    )
    await client.connect()
    try:
        if not await client.is_user_authorized():
            raise SystemExit("the session is not authorized")
        me = await client.get_me()
        dialogs = []
        for d in await client.get_dialogs():
            # Every message; Telethon pauses a second between pages of an unbounded walk unless
            # told otherwise (a courtesy to Telegram's flood limits the simulator has no use for).
            messages = [
                message(m) async for m in client.iter_messages(d.entity, wait_time=0)
            ]
            dialogs.append(
                {
                    "id": d.id,
                    "name": d.name,
                    "kind": kind(d.entity),
                    "date": int(d.date.timestamp()) if d.date else None,
                    "unread_count": d.unread_count,
                    "messages": messages,
                }
            )
        return {
            "telethon": __version__,
            "me": {
                "id": me.id,
                "is_self": bool(me.is_self),
                "first_name": me.first_name,
                "last_name": me.last_name,
            },
            "dialogs": dialogs,
        }
    finally:
        await client.disconnect()


def main():
    session = sys.stdin.read().strip()
    out = asyncio.run(asyncio.wait_for(read(session), OVERALL_TIMEOUT_S))
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
