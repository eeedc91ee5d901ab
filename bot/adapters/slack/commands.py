"""``/studybot``: one slash command whose first word picks the subcommand.

The words are read with the grammar the terminal uses (bot/adapters/grammar);
Slack adds two things of its own: a ``#channel`` link to act on another
channel, and an ``@user`` mention for someone else's streak or stats. Each
subcommand calls one service and returns the message to show, privately.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot import charts
from bot.adapters import grammar
from bot.adapters.slack import blocks
from bot.adapters.slack.admin import AdminCheck
from bot.adapters.slack.ids import (
    channel_ref,
    mentioned_channel,
    mentioned_user,
    space_key,
    user_ref,
)
from bot.adapters.slack.platform import SlackPlatform
from bot.adapters.slack.text import date, escape, slash, unescape
from bot.core.errors import NotFound, UserError
from bot.core.models import ChannelRef, SpaceKey, UserRef

if TYPE_CHECKING:
    from bot.app import Services

Reply = dict[str, Any]


class SlackMarkup(UserError):
    """A refusal written by this adapter in mrkdwn (it links a channel, say);
    any user text in it is escaped already, so it is shown as it is."""


ADMIN_DAILY = frozenset({"setup", "pause", "resume", "remove", "now", "reveal", "recap", "reports"})
SUBCOMMANDS = (
    "daily",
    "drill",
    "leaderboard",
    "streak",
    "stats",
    "topics",
    "group",
    "report",
    "privacy",
    "remind",
    "review",
    "help",
)


@dataclass(frozen=True, slots=True)
class Invocation:
    """One use of ``/studybot``, as Slack sent it."""

    team_id: str
    channel_id: str
    user_id: str
    user_name: str
    text: str

    @property
    def user(self) -> UserRef:
        return user_ref(self.user_id, self.user_name)

    @property
    def channel(self) -> ChannelRef:
        return channel_ref(self.team_id, self.channel_id)

    @property
    def space(self) -> SpaceKey:
        return space_key(self.team_id)


class CommandRouter:
    def __init__(self, services: Services, platform: SlackPlatform, admins: AdminCheck) -> None:
        self.services = services
        self.platform = platform
        self.admins = admins

    async def run(self, call: Invocation) -> Reply:
        words = [unescape(w) for w in grammar.split_words(call.text)]
        if not words:
            return blocks.help_message()
        head, args = words[0].lower(), words[1:]
        handlers: dict[str, Callable[[Invocation, list[str]], Awaitable[Reply]]] = {
            "daily": self._daily,
            "drill": self._drill,
            "review": self._review,
            "leaderboard": self._leaderboard,
            "streak": self._streak,
            "stats": self._stats,
            "topics": self._topics,
            "group": self._group,
            "report": self._report,
            "privacy": self._privacy,
            "remind": self._remind,
            "help": self._help,
        }
        handler = handlers.get(head)
        if handler is None:
            raise UserError(
                f"unknown subcommand '{words[0]}'; use one of {', '.join(SUBCOMMANDS)} "
                "(/studybot help explains each)"
            )
        return await handler(call, args)

    async def _help(self, call: Invocation, args: list[str]) -> Reply:
        return blocks.help_message()

    # ---- daily (admins) ---------------------------------------------------

    async def _daily(self, call: Invocation, args: list[str]) -> Reply:
        target, rest = self._target(call, args)
        sub, rest = grammar.parse_daily(rest)
        if sub in ADMIN_DAILY:
            await self.admins.require(call.user_id)
        schedules, rounds, here = (
            self.services.schedules,
            self.services.rounds,
            f"<#{target.channel}>",
        )
        if sub == "setup":
            wanted = grammar.parse_setup(rest)
            problem = await self.platform.channel_problem(target)
            if problem is not None:
                raise SlackMarkup(f"I cannot post in {here}: {problem}")
            saved = await schedules.setup(
                target,
                at=wanted.at,
                timezone=wanted.timezone,
                reveal_after=wanted.reveal_after,
                days=wanted.days,
                topics=wanted.topics,
                difficulty=wanted.difficulty,
            )
            return blocks.schedule_message(
                saved, schedules.next_post(saved), f"Daily question scheduled in {here}."
            )
        self._no_arguments(sub, rest)
        if sub == "recap":
            return await self._recap(target, rest)
        if sub == "show":
            return await self._show(call, target, explicit=target.channel != call.channel_id)
        if sub in {"pause", "resume"}:
            saved = await schedules.set_paused(target, sub == "pause")
            if sub == "pause":
                return blocks.text_message(
                    f"The daily question in {here} is paused. Resume it with `/studybot daily resume`."
                )
            return blocks.schedule_message(
                saved, schedules.next_post(saved), f"The daily question in {here} is running again."
            )
        if sub == "remove":
            await schedules.remove(target)
            return blocks.text_message(
                f"The daily question in {here} is removed; scores and streaks are kept."
            )
        if sub == "now":
            round_ = await rounds.post_now(target)
            return blocks.text_message(
                f"Posted question #{round_.id} in {here}; answers close "
                f"{date(round_.reveals_at, round_.timezone)}."
            )
        if sub == "reveal":
            summary = await rounds.reveal_now(target)
            return blocks.text_message(f"Revealed question #{summary.round.id} in {here}.")
        if sub == "reports":
            return blocks.reports_message(await self.services.reports.open_reports(call.space))
        raise AssertionError(sub)  # pragma: no cover - parse_daily knows every subcommand

    @staticmethod
    def _no_arguments(sub: str, rest: list[str]) -> None:
        if sub != "recap" and rest:
            raise UserError(f"usage: /daily {sub} [#channel]")

    async def _recap(self, target: ChannelRef, rest: list[str]) -> Reply:
        enabled = grammar.parse_switch(rest, grammar.USAGE["recap"])
        await self.services.schedules.set_recap(target, enabled)
        return blocks.text_message(
            f"Weekly recap in <#{target.channel}> turned {'on' if enabled else 'off'}."
        )

    async def _show(self, call: Invocation, target: ChannelRef, *, explicit: bool) -> Reply:
        schedules = self.services.schedules
        try:
            found = await schedules.get(target)
        except NotFound:
            pass
        else:
            return blocks.schedule_message(
                found, schedules.next_post(found), f"<#{target.channel}>"
            )
        everywhere = await schedules.in_space(call.space)
        if explicit or not everywhere:
            raise SlackMarkup(
                f"<#{target.channel}> has no daily question; an admin can set one up with "
                "`/studybot daily setup`"
            )
        return blocks.schedules_list_message(everywhere)

    def _target(self, call: Invocation, args: list[str]) -> tuple[ChannelRef, list[str]]:
        """The channel named by a ``#channel`` link among ``args`` (default: here)."""
        channels = [c for c in (mentioned_channel(a) for a in args) if c]
        if len(channels) > 1:
            raise UserError("name at most one #channel")
        rest = [a for a in args if mentioned_channel(a) is None]
        return channel_ref(call.team_id, channels[0] if channels else call.channel_id), rest

    # ---- everyone -------------------------------------------------------------

    async def _drill(self, call: Invocation, args: list[str]) -> Reply:
        wanted = grammar.parse_drill(args)
        session = await self.services.drills.start(
            call.user,
            call.space,
            topic=wanted.topic,
            difficulty=wanted.difficulty,
            count=wanted.count,
        )
        return blocks.drill_start_message(session)

    async def _review(self, call: Invocation, args: list[str]) -> Reply:
        wanted = grammar.parse_review(args)
        reviews = self.services.reviews
        if wanted.stop:
            # Nothing is held between clicks here (unlike the terminal): the
            # session is in the database and simply expires when left idle.
            minutes = int(reviews.settings.idle.total_seconds() // 60)
            return blocks.review_stop_message(minutes)
        start = await reviews.start(call.user, call.space, wanted.count)
        return blocks.review_start_message(start)

    async def _leaderboard(self, call: Invocation, args: list[str]) -> Reply:
        wanted = grammar.parse_leaderboard(args)
        boards = self.services.boards
        if wanted.groups:
            rows = await boards.group_ranking(call.channel, wanted.period)
            return blocks.groups_message(rows, f"Study groups — {wanted.period.value}")
        board = await boards.leaderboard(
            call.channel, call.user, wanted.period, wanted.scope, wanted.group
        )
        return blocks.leaderboard_message(board, await boards.streak(call.channel, call.user))

    def _someone(self, call: Invocation, args: list[str], usage: str) -> UserRef:
        if not args:
            return call.user
        user_id = mentioned_user(args[0]) if len(args) == 1 else None
        if user_id is None:
            raise UserError(f"{usage}: name a person as an @mention")
        name = args[0].partition("|")[2].removesuffix(">")
        return user_ref(user_id, name)

    async def _streak(self, call: Invocation, args: list[str]) -> Reply:
        who = self._someone(call, args, "usage: /streak [@user]")
        return blocks.streak_message(await self.services.boards.streak(call.channel, who))

    async def _stats(self, call: Invocation, args: list[str]) -> Reply:
        who = self._someone(call, args, "usage: /stats [@user]")
        found = await self.services.stats.stats(call.channel, call.user, who)
        if found.progress is None or not found.has_chart:
            return blocks.stats_message(found.streak, found.boards, found.drills, found.progress)
        png = await charts.render_progress_async(found.progress, title=found.chart_title)
        await self.platform.send_file(
            call.user_id,
            png,
            filename="studybot-progress.png",
            comment="Your progress: accuracy and mastery per topic, and reviews per day.",
        )
        return blocks.stats_message(
            found.streak, found.boards, found.drills, found.progress, chart_sent=True
        )

    async def _topics(self, call: Invocation, args: list[str]) -> Reply:
        bank = self.services.bank
        counts = [(t, len(bank.filter(topics=[t]))) for t in bank.topics()]
        return blocks.topics_message(counts, len(bank))

    async def _group(self, call: Invocation, args: list[str]) -> Reply:
        wanted = grammar.parse_group(args)
        groups, name = self.services.groups, wanted.name
        if wanted.action == "list":
            found = await groups.in_space(call.space)
            if not found:
                return blocks.text_message(
                    "No study groups yet; create one with `/studybot group create NAME`."
                )
            return blocks.text_message(
                "\n".join(
                    f"*{escape(g.name)}* — {g.members} member{'s' * (g.members != 1)}"
                    for g in found
                )
            )
        if wanted.action == "mine":
            mine = await groups.mine(call.space, call.user)
            text = (
                ", ".join(f"*{escape(g.name)}*" for g in mine) if mine else "You are in no group."
            )
            return blocks.text_message(text)
        if wanted.action == "leaderboard":
            rows = await self.services.boards.group_ranking(call.channel, wanted.period)
            return blocks.groups_message(rows, f"Study groups — {wanted.period.value}")
        if wanted.action == "create":
            made = await groups.create(call.space, name, call.user)
            return blocks.text_message(f"Created *{escape(made.name)}*; you are its first member.")
        if wanted.action == "join":
            joined = await groups.join(call.space, name, call.user)
            return blocks.text_message(f"You joined *{escape(joined.name)}*.")
        left = await groups.leave(call.space, name, call.user)
        return blocks.text_message(f"You left *{escape(left.name)}*.")

    async def _report(self, call: Invocation, args: list[str]) -> Reply:
        question_id, reason = grammar.parse_report(args)
        filed = await self.services.reports.report(call.channel, call.user, question_id, reason)
        return blocks.text_message(
            f"Thanks — report #{filed.id} on `{escape(filed.question_id)}` is filed."
        )

    async def _remind(self, call: Invocation, args: list[str]) -> Reply:
        wanted = grammar.parse_remind(args)
        reminders = self.services.reminders
        if wanted.action == "off":
            await reminders.disable(call.user)
            return blocks.text_message(
                "Daily reminder off. `/studybot remind on` turns it back on."
            )
        if wanted.action == "on":
            saved = await reminders.enable(call.user, wanted.at, wanted.timezone)
            return blocks.reminder_message(
                saved, reminders.next_reminder(saved), self.services.settings.default_timezone
            )
        current = await reminders.get(call.user)
        return blocks.reminder_message(
            current,
            reminders.next_reminder(current) if current is not None else None,
            self.services.settings.default_timezone,
        )

    async def _privacy(self, call: Invocation, args: list[str]) -> Reply:
        privacy = self.services.privacy
        action = args[0].lower() if args else ""
        if len(args) > 1 or action not in {"", "export", "delete"}:
            raise UserError("usage: /privacy [export|delete]")
        if action == "":
            return blocks.text_message(escape(slash(privacy.describe())))
        if action == "export":
            await self.platform.send_file(
                call.user_id,
                await privacy.export_json(call.user),
                filename="studybot-data.json",
                comment="Everything studybot stores about you.",
            )
            return blocks.text_message("Sent: your data is a JSON file in your messages with me.")
        return blocks.privacy_delete_message(call.user_id)
