"""Embeds and short texts for everything the Discord adapter shows.

Every user-supplied name passes through :func:`safe` so nobody can ping
@everyone or break formatting through the bot, even where mentions are also
switched off when sending.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

import discord

from bot.adapters.discord.limits import EMBED_DESCRIPTION, FIELD_VALUE, clip, fit
from bot.core.models import (
    AnswerOutcome,
    AnswerResult,
    DrillFeedback,
    DrillSession,
    DrillTotals,
    GroupRow,
    Leaderboard,
    Recap,
    Report,
    RevealSummary,
    Round,
    Schedule,
    ScoreRow,
    StreakView,
)
from bot.core.progress import ReviewProgress
from bot.core.questions import Question
from bot.core.reviews import QueueStatus, ReviewSession, ReviewStart, ReviewStep, wait_text
from bot.core.stats import NO_CHART_YET, PRIVATE_NOTE, mastery_lines
from bot.core.timeutil import format_duration, format_weekdays

QUESTION_COLOUR = discord.Colour.blurple()
REVEAL_COLOUR = discord.Colour.green()
INFO_COLOUR = discord.Colour.dark_teal()
WRONG_COLOUR = discord.Colour.red()
NO_MENTIONS = discord.AllowedMentions.none()


# A user, role or channel mention of any length. escape_mentions only breaks
# real-length ids, so "<@123>" would still render as a mention pill.
_MENTION_TAG = re.compile(r"<(?:@[!&]?|#)\d+>")


def safe(text: str) -> str:
    """User text made inert: no markdown, no mentions.

    escape_markdown also doubles typed backslashes, so the one added before a
    mention's ``<`` cannot be cancelled by the user's own.
    """
    text = discord.utils.escape_mentions(discord.utils.escape_markdown(text))
    return _MENTION_TAG.sub(r"\\\g<0>", text)


def stamp(instant: datetime) -> str:
    """A Discord timestamp shown in each reader's own zone, relative and absolute."""
    ts = int(instant.timestamp())
    return f"<t:{ts}:R> (<t:{ts}:f>)"


def options_text(question: Question) -> str:
    return "\n".join(
        f"**{letter.upper()}** — {text}"
        for letter, text in zip(question.letters(), question.choices, strict=True)
    )


def question_body(question: Question) -> str:
    body = f"{question.prompt}\n\n{options_text(question)}"
    return clip(body, EMBED_DESCRIPTION)


def question_embed(round_: Round) -> discord.Embed:
    q = round_.question
    embed = discord.Embed(
        title=f"Daily question #{round_.id}", description=question_body(q), colour=QUESTION_COLOUR
    )
    embed.add_field(name="Topic", value=q.topic)
    embed.add_field(name="Difficulty", value=q.difficulty.value)
    embed.add_field(name="Answer revealed", value=stamp(round_.reveals_at), inline=False)
    embed.set_footer(text=f"Question {q.id} · your answer stays private · /report to flag it")
    return fit(embed)


def reveal_embed(summary: RevealSummary) -> discord.Embed:
    q = summary.round.question
    embed = discord.Embed(
        title=f"Answer to question #{summary.round.id}: {q.answer.upper()}",
        description=clip(f"**{q.answer.upper()} — {q.correct_text}**\n\n{q.explanation}", 4000),
        colour=REVEAL_COLOUR,
    )
    votes = "\n".join(
        f"{'✅' if letter == q.answer else '▫️'} **{letter.upper()}** {count}"
        for letter, count in summary.counts.items()
    )
    embed.add_field(name="Votes", value=votes or "no answers")
    share = f"{summary.share_correct:.0%}" if summary.total else "—"
    plural = "" if summary.total == 1 else "s"
    embed.add_field(name="Correct", value=f"{share} of {summary.total} answer{plural}")
    if summary.first_correct:
        embed.add_field(
            name="First correct",
            value=clip(", ".join(safe(n) for n in summary.first_correct), FIELD_VALUE),
            inline=False,
        )
    if summary.streaks:
        streaks = ", ".join(f"{safe(n)} ({d} days)" for n, d in summary.streaks)
        embed.add_field(name="On a streak", value=clip(streaks, FIELD_VALUE), inline=False)
    embed.set_footer(text=f"Question {q.id}")
    return fit(embed)


def answer_text(result: AnswerResult) -> str:
    reveal = stamp(result.reveals_at) if result.reveals_at else "soon"
    choice = (result.choice or "?").upper()
    match result.outcome:
        case AnswerOutcome.ACCEPTED:
            return f"Locked in: **{choice}** — the answer is revealed {reveal}."
        case AnswerOutcome.ALREADY_ANSWERED:
            return f"You already chose **{choice}**; your first answer is the one that counts."
        case AnswerOutcome.CLOSED:
            return "Answering has closed for this question; the answer is posted in the channel."
        case AnswerOutcome.INVALID_CHOICE:
            return f"That is not an option; choose one of {', '.join(result.allowed).upper()}."
        case AnswerOutcome.UNKNOWN_ROUND:
            return "This question is no longer in play."


def _row(row: ScoreRow, *, me: bool = False) -> str:
    line = (
        f"`{row.rank:>3}.` {safe(row.name)} — **{row.points}** pts "
        f"({row.correct}/{row.answered} correct)"
    )
    return f"{line} ← you" if me else line


def leaderboard_embed(board: Leaderboard, streak: StreakView | None = None) -> discord.Embed:
    """The top rows, and the caller's own row marked (added below when outside the top)."""
    caller_id = board.caller.user_id if board.caller else None
    lines = [_row(r, me=r.user_id == caller_id) for r in board.rows]
    if not lines:
        lines.append("Nobody has scored in this period yet.")
    own = board.caller
    if own is not None and all(r.user_id != own.user_id for r in board.rows):
        lines += ["…", _row(own, me=True)]
    elif own is None:
        lines.append("\nYou have no points in this period yet.")
    # The title names a study group, which is user text.
    embed = discord.Embed(
        title=safe(board.title) if board.title else "Leaderboard",
        description="\n".join(lines),
        colour=INFO_COLOUR,
    )
    if streak is not None:
        embed.set_footer(text=f"Your streak: {streak.current} days (best {streak.best})")
    return fit(embed)


def groups_embed(rows: Sequence[GroupRow], title: str) -> discord.Embed:
    if not rows:
        text = "No study groups yet; create one with `/group create`."
    else:
        text = "\n".join(
            f"`{r.rank:>3}.` {safe(r.group.name)} — **{r.per_active_member:.1f}** per active "
            f"member ({r.total} pts, {r.active_members}/{r.group.members} active)"
            for r in rows
        )
    return fit(discord.Embed(title=title, description=text, colour=INFO_COLOUR))


def streak_embed(view: StreakView) -> discord.Embed:
    embed = discord.Embed(title=f"Streak — {safe(view.user_name)}", colour=INFO_COLOUR)
    embed.add_field(name="Current", value=f"{view.current} days")
    embed.add_field(name="Best", value=f"{view.best} days")
    embed.add_field(name="Freezes", value=str(view.freezes))
    embed.add_field(
        name="Daily accuracy", value=f"{view.accuracy:.0%} ({view.correct}/{view.answered})"
    )
    if view.frozen_days:
        embed.set_footer(text=f"{view.frozen_days} missed day(s) covered by freezes")
    return fit(embed)


CHART_FILE = "studybot-progress.png"


def stats_embed(
    view: StreakView,
    boards: Sequence[Leaderboard],
    drills: DrillTotals | None,
    progress: ReviewProgress | None = None,
    *,
    chart: bool = False,
) -> discord.Embed:
    """Stats as the caller may see them: ``drills`` and ``progress`` are None
    in someone else's stats (private practice); ``chart`` shows the attached
    progress chart inside the embed."""
    embed = streak_embed(view)
    embed.title = f"Stats — {safe(view.user_name)}"
    for board in boards:
        row = board.caller
        value = f"{row.points} pts · rank {row.rank}" if row else "no points"
        embed.add_field(name=board.period.value.title(), value=value)
    if drills is None:
        embed.set_footer(text=PRIVATE_NOTE)
        return fit(embed)
    accuracy = f"{drills.accuracy:.0%}" if drills.accuracy is not None else "—"
    embed.add_field(name="Drills", value=f"{drills.correct}/{drills.answered} correct ({accuracy})")
    if progress is not None:
        due = f"{progress.due_now} due now · {progress.cards} cards"
        if progress.next_due is not None:
            due += f"\nnext due {stamp(progress.next_due)}"
        embed.add_field(name="Reviews", value=due)
        lines = mastery_lines(progress)
        if lines:
            embed.add_field(
                name="Mastery per topic", value=clip("\n".join(lines), FIELD_VALUE), inline=False
            )
    if chart:
        embed.set_image(url=f"attachment://{CHART_FILE}")
    else:
        embed.set_footer(text=NO_CHART_YET)
    return fit(embed)


def schedule_embed(schedule: Schedule, next_post: datetime | None) -> discord.Embed:
    embed = discord.Embed(title="Daily question", colour=INFO_COLOUR)
    embed.add_field(
        name="When",
        value=f"{schedule.post_time:%H:%M} {schedule.timezone}, "
        f"{format_weekdays(schedule.weekdays)}",
    )
    embed.add_field(name="Reveal after", value=format_duration(schedule.reveal_after))
    embed.add_field(name="Topics", value=", ".join(schedule.topics) or "all")
    embed.add_field(name="Difficulty", value=schedule.difficulty or "any")
    embed.add_field(name="Weekly recap", value="on" if schedule.recap else "off")
    status = "paused" if schedule.paused else (stamp(next_post) if next_post else "active")
    embed.add_field(name="Next post", value=status, inline=False)
    if schedule.failing:
        embed.colour = WRONG_COLOUR
        embed.add_field(name="⚠️ Problem", value=clip(schedule.failing, FIELD_VALUE), inline=False)
    return fit(embed)


def recap_embed(recap: Recap) -> discord.Embed:
    lines = [_row(r) for r in recap.leaderboard.rows] or ["Nobody scored this week."]
    embed = discord.Embed(
        title=f"Weekly recap — {recap.week_key.removeprefix('w')}",
        description="\n".join(lines),
        colour=INFO_COLOUR,
    )
    embed.add_field(name="Rounds", value=str(recap.rounds))
    if recap.top_streaks:
        text = ", ".join(f"{safe(n)} ({d})" for n, d in recap.top_streaks)
        embed.add_field(name="Longest streaks", value=clip(text, FIELD_VALUE), inline=False)
    return fit(embed)


def reports_embed(reports: Sequence[Report]) -> discord.Embed:
    lines = [
        f"`#{r.id}` **{r.question_id}** — {safe(r.reason)} (by {safe(r.reporter)}, "
        f"{r.created_at:%Y-%m-%d})"
        for r in reports
    ] or ["No open question reports."]
    return fit(discord.Embed(title="Question reports", description="\n".join(lines)))


def drill_question_embed(session: DrillSession) -> discord.Embed:
    question = session.current
    assert question is not None
    embed = discord.Embed(
        title=f"Drill — question {session.position + 1} of {session.total}",
        description=question_body(question),
        colour=QUESTION_COLOUR,
    )
    embed.set_footer(
        text=f"{question.topic} · {question.difficulty.value} · score {session.correct}/"
        f"{session.position} · question {question.id}"
    )
    return fit(embed)


def drill_feedback_embed(feedback: DrillFeedback) -> discord.Embed:
    q = feedback.question
    verdict = (
        "✅ Correct" if feedback.correct else f"❌ Not quite — you chose {feedback.chosen.upper()}"
    )
    embed = discord.Embed(
        title=verdict,
        description=clip(f"**{q.answer.upper()} — {q.correct_text}**\n\n{q.explanation}", 4000),
        colour=REVEAL_COLOUR if feedback.correct else WRONG_COLOUR,
    )
    embed.set_footer(text=f"Score {feedback.session.correct}/{feedback.session.position}")
    return fit(embed)


def drill_summary_embed(session: DrillSession) -> discord.Embed:
    share = session.correct / session.total if session.total else 0.0
    embed = discord.Embed(
        title="Drill finished",
        description=f"You got **{session.correct} of {session.total}** right ({share:.0%}).\n"
        "Start another with `/drill`; your results count towards `/stats`.",
        colour=INFO_COLOUR,
    )
    return fit(embed)


# ---- reviews -------------------------------------------------------------------------------


def _cards(count: int) -> str:
    return f"{count} card{'' if count == 1 else 's'}"


def queue_text(status: QueueStatus) -> str:
    """How many cards are due now and when the next one is: every review
    message that starts or ends a session says it."""
    due = f"**{_cards(status.due_now)}** due now"
    if status.next_due is None:
        return f"{due}; none scheduled after that."
    return f"{due}; the next is due {stamp(status.next_due)}."


def review_start_embed(start: ReviewStart) -> discord.Embed:
    """What the session holds, above its first card (or why there is none)."""
    if start.session is None:
        return fit(
            discord.Embed(
                title="Nothing to review",
                description="No card is due and every question already has a card.\n"
                + queue_text(start.status),
                colour=INFO_COLOUR,
            )
        )
    session = start.session
    fresh = session.total - start.due_in_session
    return fit(
        discord.Embed(
            title=f"Review of {_cards(session.total)}",
            description=f"{start.due_in_session} due, {fresh} new. " + queue_text(start.status),
            colour=INFO_COLOUR,
        )
    )


def review_item_embed(session: ReviewSession) -> discord.Embed:
    """The current card. A flashcard shows its prompt until the answer is
    turned over (``session.revealed``), then the model answer as well, so a
    redraw after a restart shows the same thing."""
    item = session.current
    assert item is not None
    q = item.question
    if not item.flashcard:
        body = question_body(q)
        hint = f"answer with {'/'.join(q.letters()).upper()}"
    elif not session.revealed:
        body = f"{q.prompt}\n\nThink of your answer, then press **Show answer**."
        hint = "flashcard"
    else:
        body = f"{q.prompt}\n\n**Model answer**\n{q.answer}"
        if q.explanation:
            body += f"\n\n{q.explanation}"
        hint = "flashcard · how well did you know it? Your grade sets when it comes back"
    embed = discord.Embed(
        title=f"Review — card {session.position + 1} of {session.total}",
        description=clip(body, EMBED_DESCRIPTION),
        colour=QUESTION_COLOUR,
    )
    origin = "due card" if item.due is not None else "new"
    embed.set_footer(text=f"{q.topic} · {q.difficulty.value} · {origin} · {hint} · question {q.id}")
    return fit(embed)


def review_step_embed(step: ReviewStep) -> discord.Embed:
    """The card just done: the verdict for a choice item, the grade for a flashcard."""
    back = wait_text(step.session.active_at, step.next_due)
    if step.flashcard:
        return fit(
            discord.Embed(
                title=f"Graded {step.grade.label}",
                description=f"This card comes back {back}.",
                colour=INFO_COLOUR,
            )
        )
    q = step.question
    verdict = (
        "✅ Correct" if step.correct else f"❌ Not quite — you chose {(step.chosen or '?').upper()}"
    )
    embed = discord.Embed(
        title=verdict,
        description=clip(f"**{q.answer.upper()} — {q.correct_text}**\n\n{q.explanation}", 4000),
        colour=REVEAL_COLOUR if step.correct else WRONG_COLOUR,
    )
    embed.set_footer(text=f"Counted as {step.grade.label}; this card comes back {back}.")
    return fit(embed)


def review_summary_embed(session: ReviewSession, status: QueueStatus | None) -> discord.Embed:
    lines = [f"You reviewed **{_cards(session.total)}**."]
    if session.choice_items:
        lines.append(f"Multiple choice: **{session.correct} of {session.choice_items}** right.")
    grades = session.flashcard_grades()
    if grades:
        lines.append(
            "Flashcards: " + ", ".join(f"{grade.label} {n}" for grade, n in grades.items()) + "."
        )
    if status is not None:
        lines.append(queue_text(status))
    lines.append("Start another with `/review`; `/stats` shows your progress.")
    return fit(
        discord.Embed(title="Review finished", description="\n".join(lines), colour=INFO_COLOUR)
    )


def review_step_embeds(step: ReviewStep) -> list[discord.Embed]:
    """The message after a step: the verdict, then the next card or the summary."""
    session = step.session
    after = (
        review_summary_embed(session, step.status)
        if session.finished
        else review_item_embed(session)
    )
    return [review_step_embed(step), after]


def topics_embed(counts: Sequence[tuple[str, int]], total: int) -> discord.Embed:
    lines = [f"**{topic}** — {count}" for topic, count in counts]
    embed = discord.Embed(
        title=f"{total} questions in {len(counts)} topics",
        description="\n".join(lines),
        colour=INFO_COLOUR,
    )
    return fit(embed)


HELP_TEXT = {
    "Daily question": (
        "Admins (Manage Server) set it up with `/daily setup`: a channel, a time and an IANA "
        "time zone. Everyone answers with the buttons; your choice stays private until the "
        "reveal. `/daily show | pause | resume | remove | now | reveal | reports` manage it."
    ),
    "Practice": (
        "`/drill [topic] [difficulty] [count]` runs a private drill with instant feedback. "
        "`/review [count]` brings back the cards you are due for, then new questions from your "
        "weakest topics; flashcards: think, press Show answer, grade yourself. "
        "`/topics` lists what you can drill."
    ),
    "Scores": (
        "`/leaderboard [period] [scope] [group]`, `/streak [user]`, `/stats [user]`. "
        "Streaks count days with a round; a freeze covers a missed day."
    ),
    "Groups": "`/group create | join | leave | list | leaderboard` for study groups.",
    "Feedback": "`/report question reason` flags a wrong or unclear question.",
    "Reminders": (
        "`/remind on [time] [timezone]`: a direct message on days you have cards due, at most "
        "one a day. `/remind off` stops it; `/remind status` shows it."
    ),
    "Your data": "`/privacy about | export | delete`: what is stored, a JSON copy, erase it.",
}


def help_embed() -> discord.Embed:
    embed = discord.Embed(title="studybot — ML interview practice", colour=INFO_COLOUR)
    for name, value in HELP_TEXT.items():
        embed.add_field(name=name, value=value, inline=False)
    return fit(embed)
