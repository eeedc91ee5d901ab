"""The discord.py client: wiring cogs, buttons and server events to the services."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.adapters.discord.cogs.daily import DailyCog
from bot.adapters.discord.cogs.drill import DrillCog
from bot.adapters.discord.cogs.groups import GroupsCog
from bot.adapters.discord.cogs.play import PlayCog
from bot.adapters.discord.cogs.privacy import DeleteButton, PrivacyCog
from bot.adapters.discord.cogs.remind import RemindCog
from bot.adapters.discord.cogs.review import ReviewCog
from bot.adapters.discord.components import AnswerButton, DrillButton, ReviewButton
from bot.adapters.discord.ids import channel_ref, space_key
from bot.adapters.discord.render import NO_MENTIONS
from bot.adapters.discord.replies import StudyTree
from bot.adapters.discord.shards import ShardPlan

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)

COGS = (DailyCog, PlayCog, GroupsCog, DrillCog, PrivacyCog, RemindCog, ReviewCog)
# The least the bot needs: read the channel, post, embed, and reply to its own posts.
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, embed_links=True, read_message_history=True
)


def intents() -> discord.Intents:
    """Guild events only: answers arrive as interactions, so no privileged intent."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    return wanted


class StudyBot(commands.Bot):
    """One gateway connection for every server: what a single process runs."""

    def __init__(
        self,
        services: Services,
        *,
        sync: bool = False,
        dev_guild: int | None = None,
        **options: Any,
    ) -> None:
        # ``options`` carries shard_ids/shard_count up to AutoShardedClient when
        # ShardedStudyBot puts it in the hierarchy; plain Client takes neither.
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            tree_cls=StudyTree,
            allowed_mentions=NO_MENTIONS,
            help_command=None,
            **options,
        )
        self.services = services
        self.sync_on_start = sync
        self.dev_guild = dev_guild

    async def setup_hook(self) -> None:
        self.add_dynamic_items(AnswerButton, DrillButton, DeleteButton, ReviewButton)
        for cog in COGS:
            try:
                await self.add_cog(cog(self.services))
            except Exception:
                # One broken area must not take the others down with it.
                log.exception("could not load %s", cog.__name__)
        if self.sync_on_start:
            await sync_commands(self)

    async def on_ready(self) -> None:
        log.info("connected as %s to %d servers", self.user, len(self.guilds))
        if self.user is not None:
            link = discord.utils.oauth_url(
                self.user.id,
                permissions=INVITE_PERMISSIONS,
                scopes=("bot", "applications.commands"),
            )
            log.info("invite link: %s", link)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        disabled = await self.services.schedules.disable_space(
            space_key(guild.id), "the bot was removed from this server"
        )
        log.info("left server %s; disabled %d schedule(s)", guild.id, len(disabled))

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        disabled = await self.services.schedules.disable(
            channel_ref(channel.guild.id, channel.id), "the channel was deleted"
        )
        if disabled is not None:
            log.info("channel %s deleted; its daily question is disabled", channel.id)


class ShardedStudyBot(StudyBot, commands.AutoShardedBot):
    """The same bot on some of Discord's gateway shards, for several processes.

    Discord sends each server's events down one shard, so a process running
    shards 4-7 of 8 never hears of servers on 0-3. Nothing here depends on
    which process hears what: rounds, drills and reviews live in the shared
    database, and every button's custom_id names its row, so any process can
    answer any click, including DMs, which only ever arrive on shard 0.
    """

    def __init__(
        self,
        services: Services,
        *,
        shards: ShardPlan,
        sync: bool = False,
        dev_guild: int | None = None,
    ) -> None:
        super().__init__(
            services,
            sync=sync,
            dev_guild=dev_guild,
            shard_ids=list(shards.ids),
            shard_count=shards.count,
        )
        self.plan = shards

    async def on_shard_ready(self, shard_id: int) -> None:
        log.info("gateway shard %d of %d is ready", shard_id, self.plan.count)


def build_client(
    services: Services,
    *,
    sync: bool = False,
    dev_guild: int | None = None,
    shards: ShardPlan | None = None,
) -> StudyBot:
    """A plain single-connection bot unless ``shards`` says otherwise.

    Unsharded stays a plain ``commands.Bot``: discord.py recommends its
    AutoShardedClient only past about 1,000 servers, and without a count it
    would ask Discord for one and open that many connections, a change to a
    single process's behaviour nobody asked for."""
    if shards is None:
        return StudyBot(services, sync=sync, dev_guild=dev_guild)
    return ShardedStudyBot(services, shards=shards, sync=sync, dev_guild=dev_guild)


async def sync_commands(bot: commands.Bot, dev_guild: int | None = None) -> int:
    """Push the command list to Discord: to the test server only when one is set
    (instant), else globally (can take up to an hour to show everywhere)."""
    guild_id = dev_guild if dev_guild is not None else getattr(bot, "dev_guild", None)
    if guild_id is not None:
        guild = discord.Object(id=guild_id)
        bot.tree.copy_global_to(guild=guild)
        synced = await bot.tree.sync(guild=guild)
        log.info("synced %d commands to test server %s", len(synced), guild_id)
    else:
        synced = await bot.tree.sync()
        log.info("synced %d commands globally", len(synced))
    return len(synced)
