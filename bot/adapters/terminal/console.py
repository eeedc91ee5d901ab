"""The terminal front end: one line in, one reply out.

Reads commands shaped like the Discord ones (``/daily setup 09:00 Europe/Berlin``)
and single letters as answers. Everyone at the terminal counts as a server
admin. Input may be piped, so every reply is plain text and end of input
means a clean exit.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import AsyncIterable, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot import charts
from bot.adapters import grammar
from bot.adapters.terminal import render
from bot.adapters.terminal.platform import PLATFORM
from bot.app import Services
from bot.core.errors import NotFound, UserError
from bot.core.models import ChannelRef, DrillSession, UserRef
from bot.core.questions import LETTERS
from bot.core.reviews import ReviewExpired, ReviewSession, ReviewStep

log = logging.getLogger(__name__)

HELP = """\
Commands (everyone at the terminal is an admin):
  /daily setup TIME [TIMEZONE] [reveal=30m] [days=weekdays] [topics=a,b] [difficulty=easy]
                         schedule the daily question, e.g. /daily setup 09:30 Europe/Berlin
  /daily show            this channel's schedule        /daily pause | resume | remove
  /daily now             post a question now            /daily reveal   end the open round now
  /daily recap on|off    weekly recap                   /daily reports  open question reports
  a, b, c, d, e          answer the open question (or the current drill question)
  /drill [TOPIC] [easy|medium|hard] [COUNT]   private practice with instant feedback;
                         with no topic: your due cards first, then your weakest topics
  /drill stop            leave the drill; letters answer the channel's question again
  /review [COUNT]        spaced repetition: due cards first, then new questions from your
                         weakest topics; a-e answers, flashcards: show (or Enter) turns one
                         over, then again|hard|good|easy (or 1-4) grades it
  /review stop           leave the review; it is saved card by card
  /leaderboard [week|month|all] [server|channel|group|groups] [GROUP]
  /streak [NAME]         streak and accuracy            /stats [NAME]   points and streak;
                         your own: reviews due, mastery per topic and a chart (a PNG file)
  /topics                topics in the question bank
  /group create|join|leave NAME, /group list, /group mine, /group leaderboard [PERIOD]
  /report QUESTION-ID REASON   flag a wrong or unclear question
  /privacy [export|delete]     what studybot stores about you; a JSON copy; erase it
  /remind on [HH:MM] [TIMEZONE]   a private daily message on days you have cards due
                         (default 09:00 in the bot's zone); /remind off stops it
  /as NAME               act as another user            /whoami
  /help                  this text                      /quit           leave (or end of input)"""

Handler = Callable[[list[str]], Awaitable[str | None]]


@dataclass
class Console:
    services: Services
    write: Callable[[str], None]
    user_name: str = "you"
    space: str = "terminal"
    channel_name: str = "console"
    drill: DrillSession | None = None
    review: ReviewSession | None = None
    export_dir: Path = field(default_factory=Path.cwd)
    """Where ``/privacy export`` writes its file."""
    chart_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))
    """Where ``/stats`` writes its chart (a PNG replaced on every /stats)."""

    @property
    def channel(self) -> ChannelRef:
        return ChannelRef(PLATFORM, self.space, self.channel_name)

    @property
    def user(self) -> UserRef:
        return UserRef(PLATFORM, self.user_name.casefold(), self.user_name)

    async def run(self, lines: AsyncIterable[str], *, echo: bool = False) -> None:
        async for raw in lines:
            line = raw.strip()
            if not line and not self.awaiting_show:
                continue
            if echo:
                self.write(f"[{self.user_name}] > {line}")
            if not await self.handle(line):
                break

    async def handle(self, line: str) -> bool:
        """Run one line; False means the user asked to quit."""
        try:
            words = grammar.split_words(line)
        except UserError as exc:
            self.write(str(exc))
            return True
        if not words and self.awaiting_show:
            words = ["show"]  # Enter turns the flashcard over
        if not words:
            return True
        head = words[0].lower()
        if head in {"/quit", "/exit"}:
            return False
        try:
            reply = await self._dispatch(head, words[1:], line)
        except UserError as exc:
            reply = f"error: {exc}"
        except Exception:
            log.exception("command failed: %s", line)
            reply = "something went wrong; the details are in the log"
        if reply:
            self.write(reply)
        return True

    @property
    def awaiting_show(self) -> bool:
        """A flashcard is on screen with its answer still hidden."""
        session = self.review
        item = session.current if session is not None else None
        return session is not None and item is not None and item.flashcard and not session.revealed

    async def _dispatch(self, head: str, args: list[str], line: str) -> str | None:
        if self.review is not None and not args:
            try:
                if head in grammar.REVIEW_SHOW_WORDS:
                    return await self._review_show()
                if head in grammar.REVIEW_GRADE_WORDS:
                    return await self._review_grade(head)
                if len(head) == 1 and head in LETTERS:
                    return await self._review_answer(head)
            except (ReviewExpired, NotFound):
                self.review = None  # letters answer the channel's question again
                raise
        if len(head) == 1 and head in LETTERS:
            if self.drill is not None:
                return await self._drill_answer(head)
            return await self._answer(head)
        handlers: dict[str, Handler] = {
            "/help": self._help,
            "/drill": self._drill,
            "/review": self._review,
            "/daily": self._daily,
            "/leaderboard": self._leaderboard,
            "/streak": self._streak,
            "/stats": self._stats,
            "/topics": self._topics,
            "/group": self._group,
            "/report": self._report,
            "/privacy": self._privacy,
            "/remind": self._remind,
            "/as": self._as,
            "/whoami": self._whoami,
        }
        handler = handlers.get(head)
        if handler is None:
            if head.startswith("/"):
                return f"unknown command {head}; type /help for the list"
            return "answer with a single letter (a-e) or type /help"
        return await handler(args)

    async def _help(self, args: list[str]) -> str:
        return HELP

    async def _drill(self, args: list[str]) -> str:
        if args and args[0].lower() == "stop":
            if self.drill is None:
                return "you are not in a drill"
            self.drill = None
            return "drill stopped; letters answer the channel's question again"
        wanted = grammar.parse_drill(args)
        session = await self.services.drills.start(
            self.user,
            self.channel.space_key,
            topic=wanted.topic,
            difficulty=wanted.difficulty,
            count=wanted.count,
        )
        self.drill = session
        self.review = None
        return render.drill_question(session)

    async def _drill_answer(self, letter: str) -> str:
        assert self.drill is not None
        feedback = await self.services.drills.answer(
            self.drill.id, self.user, self.drill.position, letter
        )
        session = feedback.session
        self.drill = None if session.finished else session
        return render.drill_feedback(feedback)

    @property
    def _zone(self) -> str:
        return self.services.settings.default_timezone

    async def _review(self, args: list[str]) -> str:
        wanted = grammar.parse_review(args)
        if wanted.stop:
            if self.review is None:
                return "you are not in a review"
            self.review = None
            return "review stopped; every grade you gave is saved"
        start = await self.services.reviews.start(self.user, self.channel.space_key, wanted.count)
        self.review = start.session
        if start.session is not None:
            self.drill = None
        return render.review_start(start, self._zone)

    async def _review_show(self) -> str:
        assert self.review is not None
        shown = await self.services.reviews.show_answer(
            self.review.id, self.user, self.review.position
        )
        self.review = shown.session
        return render.flashcard_answer(shown)

    async def _review_grade(self, word: str) -> str:
        assert self.review is not None
        step = await self.services.reviews.grade(
            self.review.id, self.user, self.review.position, word
        )
        return self._review_moved(step)

    async def _review_answer(self, letter: str) -> str:
        assert self.review is not None
        step = await self.services.reviews.answer(
            self.review.id, self.user, self.review.position, letter
        )
        return self._review_moved(step)

    def _review_moved(self, step: ReviewStep) -> str:
        self.review = None if step.session.finished else step.session
        return render.review_step(step, self._zone)

    async def _answer(self, letter: str) -> str:
        round_ = await self.services.rounds.open_round(self.channel)
        if round_ is None:
            return "there is no open question; start one with /daily now"
        result = await self.services.rounds.answer(round_.id, self.user, letter)
        return render.answer(result, round_.timezone)

    async def _daily(self, args: list[str]) -> str | None:
        sub, rest = grammar.parse_daily(args)
        schedules, rounds = self.services.schedules, self.services.rounds
        if sub == "setup":
            return await self._setup(rest)
        if sub == "show":
            s = await schedules.get(self.channel)
            return render.schedule(s, schedules.next_post(s))
        if sub in {"pause", "resume"}:
            await schedules.set_paused(self.channel, sub == "pause")
            return f"daily question {'paused' if sub == 'pause' else 'resumed'}"
        if sub == "remove":
            await schedules.remove(self.channel)
            return "daily question removed from this channel (scores and streaks are kept)"
        if sub == "now":
            await rounds.post_now(self.channel)
            return None  # the platform already printed the question
        if sub == "reveal":
            await rounds.reveal_now(self.channel)
            return None
        if sub == "recap":
            enabled = grammar.parse_switch(rest, grammar.USAGE["recap"])
            await schedules.set_recap(self.channel, enabled)
            return f"weekly recap turned {'on' if enabled else 'off'}"
        reports = await self.services.reports.open_reports(self.channel.space_key)
        if not reports:
            return "no open question reports"
        return "\n".join(f"#{r.id} {r.question_id} — {r.reason} (by {r.reporter})" for r in reports)

    async def _setup(self, args: list[str]) -> str:
        wanted = grammar.parse_setup(args)
        saved = await self.services.schedules.setup(
            self.channel,
            at=wanted.at,
            timezone=wanted.timezone,
            reveal_after=wanted.reveal_after,
            days=wanted.days,
            topics=wanted.topics,
            difficulty=wanted.difficulty,
        )
        return "scheduled.\n" + render.schedule(saved, self.services.schedules.next_post(saved))

    async def _leaderboard(self, args: list[str]) -> str:
        wanted = grammar.parse_leaderboard(args)
        boards = self.services.boards
        if wanted.groups:
            return render.groups_board(await boards.group_ranking(self.channel, wanted.period))
        board = await boards.leaderboard(
            self.channel, self.user, wanted.period, wanted.scope, wanted.group
        )
        return render.leaderboard(board, self.user_name)

    def _someone(self, args: list[str]) -> UserRef:
        if not args:
            return self.user
        name = " ".join(args)
        return UserRef(PLATFORM, name.casefold(), name)

    async def _streak(self, args: list[str]) -> str:
        return render.streak(await self.services.boards.streak(self.channel, self._someone(args)))

    async def _stats(self, args: list[str]) -> str:
        found = await self.services.stats.stats(self.channel, self.user, self._someone(args))
        text = render.stats(found, self._zone)
        if found.progress is None or not found.has_chart:
            return text
        png = await charts.render_progress_async(found.progress, title=found.chart_title)
        self.chart_dir.mkdir(parents=True, exist_ok=True)
        target = self.chart_dir / f"studybot-stats-{found.subject.external_id}.png"
        await asyncio.to_thread(target.write_bytes, png)
        return f"{text}\n  chart: {target}"

    async def _topics(self, args: list[str]) -> str:
        bank = self.services.bank
        lines = [f"{len(bank)} questions:"]
        for topic in bank.topics():
            lines.append(f"  {topic:<28} {len(bank.filter(topics=[topic]))}")
        return "\n".join(lines)

    async def _group(self, args: list[str]) -> str:
        wanted = grammar.parse_group(args)
        groups, space, name = self.services.groups, self.channel.space_key, wanted.name
        if wanted.action == "list":
            found = await groups.in_space(space)
            if not found:
                return "no study groups yet; create one with /group create NAME"
            return "\n".join(f"  {g.name} ({g.members} members)" for g in found)
        if wanted.action == "mine":
            mine = await groups.mine(space, self.user)
            return ", ".join(g.name for g in mine) if mine else "you are in no group"
        if wanted.action == "leaderboard":
            rows = await self.services.boards.group_ranking(self.channel, wanted.period)
            return render.groups_board(rows)
        if wanted.action == "create":
            group = await groups.create(space, name, self.user)
            return f"created group {group.name}; you are its first member"
        if wanted.action == "join":
            group = await groups.join(space, name, self.user)
            return f"you joined {group.name}"
        group = await groups.leave(space, name, self.user)
        return f"you left {group.name}"

    async def _report(self, args: list[str]) -> str:
        question_id, reason = grammar.parse_report(args)
        report = await self.services.reports.report(self.channel, self.user, question_id, reason)
        return f"thanks — report #{report.id} on {report.question_id} is filed for the maintainers"

    async def _privacy(self, args: list[str]) -> str:
        privacy = self.services.privacy
        action = args[0].lower() if args else ""
        if action == "":
            return privacy.describe()
        if action == "export":
            target = self.export_dir / f"studybot-export-{self.user.external_id}.json"
            target.write_text(await privacy.export_json(self.user), encoding="utf-8")
            return f"your data is in {target}"
        if action == "delete":
            if args[1:] != ["confirm"]:
                return (
                    "this erases your answers, scores, streaks, drills, review cards, groups and "
                    "reports for good; type /privacy delete confirm to go ahead"
                )
            erased = await privacy.delete(self.user)
            self.drill = None
            self.review = None
            return f"erased: {erased.summary()}"
        return "usage: /privacy [export|delete]"

    async def _remind(self, args: list[str]) -> str:
        wanted = grammar.parse_remind(args)
        reminders = self.services.reminders
        if wanted.action == "off":
            await reminders.disable(self.user)
            return "daily reminder off; /remind on turns it back on"
        if wanted.action == "on":
            saved = await reminders.enable(self.user, wanted.at, wanted.timezone)
            return render.reminder(saved, reminders.next_reminder(saved), self._zone)
        current = await reminders.get(self.user)
        next_at = reminders.next_reminder(current) if current else None
        return render.reminder(current, next_at, self._zone)

    async def _as(self, args: list[str]) -> str:
        name = " ".join(args).strip()
        if (
            not 1 <= len(name) <= 32
            or not name.replace(" ", "").replace("_", "").replace("-", "").isalnum()
        ):
            return "usage: /as NAME (1-32 letters, digits, spaces, - or _)"
        self.user_name = name
        self.drill = None  # a drill belongs to the one who started it
        self.review = None
        return f"you are now {name}"

    async def _whoami(self, args: list[str]) -> str:
        return f"you are {self.user_name}"
