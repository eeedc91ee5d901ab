"""The domain's ``Platform`` port on Discord: post, close, reveal, recap, DM.

Discord failures become :class:`PostFailed` with a reason an admin can act
on; whether a failure is permanent decides if the domain retries. Rate limits
are handled (waited out) inside discord.py and only show up here as delay.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import discord

from bot.adapters.discord import render
from bot.adapters.discord.components import answer_view
from bot.adapters.discord.limits import MESSAGE_CONTENT, clip
from bot.core.models import ChannelRef, Recap, RevealSummary, Round, UserRef
from bot.core.ports import PostFailed

log = logging.getLogger(__name__)

NEEDED = "View Channel, Send Messages, Embed Links and Read Message History"

NONCE_LIMIT = 25
"""Discord refuses a longer message nonce."""
QUESTION_POST = "q"
REVEAL_POST = "r"


def post_nonce(kind: str, round_: Round) -> str:
    """The nonce of one of a round's posts, the same in every process.

    Sent with ``enforce_nonce``, it makes the post idempotent: if the same
    nonce was used by the bot in the last few minutes, Discord returns that
    message instead of creating another. So a post retried after a crash, or
    made by a second process that took over the round, shows once. It derives
    from the round's id and channel, which every process reads from the shared
    database, and the kind of post, so the question and its reveal differ. A
    hash, not the bare id: two databases behind one bot token (a staging copy)
    number their rounds alike, and would silently swallow each other's posts.
    """
    where = round_.channel
    seed = f"studybot:{kind}:{round_.id}:{where.platform}:{where.space}:{where.channel}"
    digest = hashlib.blake2b(seed.encode("utf-8"), digest_size=12).hexdigest()
    return f"{kind}{digest}"[:NONCE_LIMIT]


@asynccontextmanager
async def delivering(what: str) -> AsyncIterator[None]:
    """Translate Discord's errors into the domain's PostFailed."""
    try:
        yield
    except discord.Forbidden as exc:
        reason = f"missing permission to {what} (the bot needs {NEEDED})"
        raise PostFailed(reason, permanent=True, code="forbidden") from exc
    except discord.NotFound as exc:
        raise PostFailed(
            f"could not {what}: the channel or message is gone", permanent=True, code="not_found"
        ) from exc
    except discord.HTTPException as exc:
        raise PostFailed(
            f"Discord error {exc.status} while trying to {what}",
            permanent=False,
            code="rate_limited" if exc.status == 429 else "http_error",
        ) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise PostFailed(
            f"could not reach Discord to {what}", permanent=False, code="network"
        ) from exc


class DiscordPlatform:
    def __init__(self, client: discord.Client) -> None:
        self.client = client

    def _channel(self, ref: ChannelRef) -> discord.PartialMessageable:
        return self.client.get_partial_messageable(int(ref.channel), guild_id=int(ref.space))

    async def post_question(self, round_: Round) -> str | None:
        channel = self._channel(round_.channel)
        async with delivering("post the daily question"):
            # discord.py sends enforce_nonce=true with every nonce it is given
            # (2.x's send() has no switch for it); the payload test checks both.
            message = await channel.send(
                embed=render.question_embed(round_),
                view=answer_view(round_),
                allowed_mentions=render.NO_MENTIONS,
                nonce=post_nonce(QUESTION_POST, round_),
            )
        return str(message.id)

    async def close_answering(self, round_: Round) -> None:
        if round_.message_id is None:
            return
        message = self._channel(round_.channel).get_partial_message(int(round_.message_id))
        async with delivering("close the answer buttons"):
            await message.edit(view=answer_view(round_, disabled=True))

    async def post_reveal(self, summary: RevealSummary) -> None:
        round_ = summary.round
        channel = self._channel(round_.channel)
        reference = None
        if round_.message_id is not None:
            reference = discord.MessageReference(
                message_id=int(round_.message_id),
                channel_id=int(round_.channel.channel),
                fail_if_not_exists=False,
            )
        async with delivering("post the answer"):
            await channel.send(
                embed=render.reveal_embed(summary),
                reference=reference,  # type: ignore[arg-type]
                allowed_mentions=render.NO_MENTIONS,
                nonce=post_nonce(REVEAL_POST, round_),
            )

    async def post_recap(self, recap: Recap) -> None:
        channel = self._channel(recap.channel)
        async with delivering("post the weekly recap"):
            await channel.send(embed=render.recap_embed(recap), allowed_mentions=render.NO_MENTIONS)

    async def send_private(self, user: UserRef, text: str) -> None:
        """A direct message. Many people close their DMs to server members'
        bots, or block the bot: Discord answers 403 (or 404 for a deleted
        account), which is permanent for that person, so the caller can stop
        trying. Anything else is transient."""
        try:
            target = await self.client.fetch_user(int(user.external_id))
            await target.send(clip(text, MESSAGE_CONTENT), allowed_mentions=render.NO_MENTIONS)
        except (discord.Forbidden, discord.NotFound) as exc:
            raise PostFailed(
                f"Discord user {user.external_id} does not accept direct messages from the bot",
                permanent=True,
                code="dm_refused",
            ) from exc
        except discord.HTTPException as exc:
            raise PostFailed(
                f"Discord error {exc.status} while sending a direct message",
                permanent=False,
                code="rate_limited" if exc.status == 429 else "http_error",
            ) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise PostFailed(
                "could not reach Discord to send a direct message", permanent=False, code="network"
            ) from exc
