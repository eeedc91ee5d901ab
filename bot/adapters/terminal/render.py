"""Plain-text rendering of domain results for the terminal."""

from __future__ import annotations

from datetime import datetime

from bot.core.models import (
    AnswerOutcome,
    AnswerResult,
    DrillFeedback,
    DrillSession,
    GroupRow,
    Leaderboard,
    Recap,
    RevealSummary,
    Round,
    Schedule,
    ScoreRow,
    StreakView,
)
from bot.core.reminders import Reminder
from bot.core.reviews import (
    FlashcardAnswer,
    QueueStatus,
    ReviewSession,
    ReviewStart,
    ReviewStep,
    wait_text,
)
from bot.core.stats import NO_CHART_YET, PRIVATE_NOTE, UserStats, mastery_lines
from bot.core.timeutil import format_duration, format_weekdays, zone


def when(instant: datetime, tz_name: str) -> str:
    return instant.astimezone(zone(tz_name)).strftime("%Y-%m-%d %H:%M %Z")


def question(round_: Round) -> str:
    q = round_.question
    lines = [
        f"── Daily question #{round_.id} · {q.topic} · {q.difficulty.value} ──",
        q.prompt,
        *(f"  {letter}) {text}" for letter, text in zip(q.letters(), q.choices, strict=True)),
        f"Answer with {'/'.join(q.letters())} — revealed at {when(round_.reveals_at, round_.timezone)}"
        f"  (question id: {q.id})",
    ]
    return "\n".join(lines)


def reveal(summary: RevealSummary) -> str:
    q = summary.round.question
    share = f"{summary.share_correct:.0%}" if summary.total else "n/a"
    votes = "  ".join(f"{letter}: {n}" for letter, n in summary.counts.items())
    lines = [
        f"── Reveal #{summary.round.id} ──",
        f"Correct answer: {q.answer}) {q.correct_text}",
        q.explanation,
        f"Votes: {votes}   ({summary.total} answer{'' if summary.total == 1 else 's'}, {share} correct)",
    ]
    if summary.first_correct:
        lines.append("First correct: " + ", ".join(summary.first_correct))
    if summary.streaks:
        lines.append("On a streak: " + ", ".join(f"{n} ({d} days)" for n, d in summary.streaks))
    return "\n".join(lines)


def answer(result: AnswerResult, tz_name: str) -> str:
    reveal_at = when(result.reveals_at, tz_name) if result.reveals_at else "soon"
    match result.outcome:
        case AnswerOutcome.ACCEPTED:
            return f"Locked in: {result.choice} — the answer is revealed at {reveal_at}"
        case AnswerOutcome.ALREADY_ANSWERED:
            return f"You already answered {result.choice}; the first answer counts."
        case AnswerOutcome.CLOSED:
            return "Answering is closed for this round."
        case AnswerOutcome.INVALID_CHOICE:
            return f"That is not an option; answer with one of {', '.join(result.allowed)}."
        case AnswerOutcome.UNKNOWN_ROUND:
            return "There is no such round."


def _row(row: ScoreRow) -> str:
    return (
        f"{row.rank:>3}. {row.name:<20} {row.points:>5} pts  {row.correct}/{row.answered} correct"
    )


def leaderboard(board: Leaderboard, caller: str) -> str:
    lines = [board.title or "Leaderboard"]
    if not board.rows:
        lines.append("  nobody has scored yet in this period")
    lines.extend(_row(r) for r in board.rows)
    if board.caller is not None and all(r.user_id != board.caller.user_id for r in board.rows):
        lines.append("  ...")
        lines.append(_row(board.caller) + "  (you)")
    elif board.caller is None:
        lines.append(f"  {caller}: no points yet in this period")
    return "\n".join(lines)


def groups_board(rows: list[GroupRow]) -> str:
    if not rows:
        return "No study groups yet; create one with /group create NAME"
    lines = ["Groups — points per active member (total)"]
    lines.extend(
        f"{r.rank:>3}. {r.group.name:<20} {r.per_active_member:>7.1f}  ({r.total} pts, "
        f"{r.active_members}/{r.group.members} active)"
        for r in rows
    )
    return "\n".join(lines)


def streak(v: StreakView) -> str:
    text = (
        f"{v.user_name}: current streak {v.current}, best {v.best}, "
        f"freezes {v.freezes}, accuracy {v.accuracy:.0%} ({v.correct}/{v.answered})"
    )
    if v.frozen_days:
        text += f" — {v.frozen_days} missed day(s) covered by freezes"
    return text


def schedule(s: Schedule, next_post: datetime | None) -> str:
    lines = [
        f"Daily question at {s.post_time:%H:%M} {s.timezone} on {format_weekdays(s.weekdays)}, "
        f"revealed after {format_duration(s.reveal_after)}",
        f"Topics: {', '.join(s.topics) or 'all'} · difficulty: {s.difficulty or 'any'} · "
        f"weekly recap: {'on' if s.recap else 'off'}",
        "Status: "
        + (
            "paused"
            if s.paused
            else f"next post {when(next_post, s.timezone)}"
            if next_post
            else "active"
        ),
    ]
    if s.failing:
        lines.append(f"Last post FAILED: {s.failing}")
    return "\n".join(lines)


def recap(r: Recap) -> str:
    lines = [f"── Weekly recap ({r.week_key.removeprefix('w')}, {r.rounds} rounds) ──"]
    lines.extend(_row(row) for row in r.leaderboard.rows)
    if not r.leaderboard.rows:
        lines.append("  nobody scored this week")
    if r.top_streaks:
        lines.append("Streaks: " + ", ".join(f"{n} ({d})" for n, d in r.top_streaks))
    return "\n".join(lines)


def drill_question(session: DrillSession) -> str:
    q = session.current
    assert q is not None
    lines = [
        f"── Drill {session.position + 1}/{session.total} · {q.topic} · {q.difficulty.value} ──",
        q.prompt,
        *(f"  {letter}) {text}" for letter, text in zip(q.letters(), q.choices, strict=True)),
        f"Answer with {'/'.join(q.letters())}; /drill stop leaves the drill",
    ]
    return "\n".join(lines)


def drill_feedback(feedback: DrillFeedback) -> str:
    q = feedback.question
    session = feedback.session
    verdict = "Correct!" if feedback.correct else f"Not quite (you chose {feedback.chosen})."
    lines = [
        f"{verdict} The answer is {q.answer}) {q.correct_text}",
        q.explanation,
        f"Score: {session.correct}/{session.position}",
    ]
    if session.finished:
        lines.append(f"Drill finished: {session.correct} of {session.total} right.")
    else:
        lines += ["", drill_question(session)]
    return "\n".join(lines)


def _queue_line(status: QueueStatus, tz_name: str) -> str:
    due = f"{status.due_now} card{'' if status.due_now == 1 else 's'} due now"
    if status.next_due is None:
        return f"{due}; none scheduled after that"
    return f"{due}; the next is due {when(status.next_due, tz_name)}"


def review_start(start: ReviewStart, tz_name: str) -> str:
    if start.session is None:
        return (
            "Nothing to review: no card is due and every question already has one. "
            + _queue_line(start.status, tz_name)
        )
    session = start.session
    fresh = session.total - start.due_in_session
    lines = [
        f"Review of {session.total}: {start.due_in_session} due, {fresh} new. "
        + _queue_line(start.status, tz_name),
        "",
        review_item(session),
    ]
    return "\n".join(lines)


def review_item(session: ReviewSession) -> str:
    item = session.current
    assert item is not None
    q = item.question
    origin = "due card" if item.due is not None else "new"
    if item.flashcard:
        return "\n".join(
            [
                f"── Review {session.position + 1}/{session.total} · flashcard · {q.topic} · "
                f"{q.difficulty.value} · {origin} ──",
                q.prompt,
                "Think of your answer, then type show (or press Enter) to see the model answer; "
                "/review stop leaves",
            ]
        )
    return "\n".join(
        [
            f"── Review {session.position + 1}/{session.total} · {q.topic} · "
            f"{q.difficulty.value} · {origin} ──",
            q.prompt,
            *(f"  {letter}) {text}" for letter, text in zip(q.letters(), q.choices, strict=True)),
            f"Answer with {'/'.join(q.letters())}; /review stop leaves",
        ]
    )


def flashcard_answer(shown: FlashcardAnswer) -> str:
    lines = [f"Model answer: {shown.model_answer}"]
    if shown.question.explanation:
        lines.append(shown.question.explanation)
    lines.append("How well did you know it? again, hard, good or easy (or 1-4)")
    return "\n".join(lines)


def review_step(step: ReviewStep, tz_name: str) -> str:
    q = step.question
    session = step.session
    back = wait_text(session.active_at, step.next_due)
    lines: list[str] = []
    if step.flashcard:
        lines.append(f"Graded {step.grade.label}; this card comes back {back}.")
    else:
        verdict = "Correct!" if step.correct else f"Not quite (you chose {step.chosen})."
        lines += [
            f"{verdict} The answer is {q.answer}) {q.correct_text}",
            q.explanation,
            f"Counted as {step.grade.label}; this card comes back {back}.",
        ]
    if session.finished:
        lines.append(review_summary(session))
        if step.status is not None:
            lines.append(_queue_line(step.status, tz_name))
    else:
        lines += ["", review_item(session)]
    return "\n".join(lines)


def review_summary(session: ReviewSession) -> str:
    text = f"Review finished: {session.total} card{'' if session.total == 1 else 's'}"
    if session.choice_items:
        text += f", {session.correct} of {session.choice_items} multiple-choice right"
    flashcards = session.total - session.choice_items
    if flashcards:
        graded = ", ".join(f"{grade.label} {n}" for grade, n in session.flashcard_grades().items())
        text += f"; flashcards: {graded}"
    return text + "."


def reminder(r: Reminder | None, next_at: datetime | None, default_zone: str) -> str:
    if r is None or not r.enabled:
        return (
            "your daily reminder is off; /remind on [HH:MM] [TIMEZONE] turns it on "
            f"(09:00 {default_zone} unless you say otherwise)"
        )
    text = f"daily reminder on: {r.at:%H:%M} {r.timezone}"
    if next_at is not None:
        text += f" (next: {when(next_at, r.timezone)})"
    return (
        text + ". A private message comes only on days with cards due, at most one a day; "
        "/remind off stops it."
    )


def stats(found: UserStats, tz_name: str) -> str:
    lines = [streak(found.streak)]
    for board in found.boards:
        row = board.caller
        lines.append(
            f"  {board.period.value:<5}: "
            + (f"{row.points} pts, rank {row.rank}" if row else "no points")
        )
    if not found.own:
        lines.append(f"  ({PRIVATE_NOTE})")
        return "\n".join(lines)
    if found.drills is not None:
        lines.append(f"  drills: {found.drills.correct}/{found.drills.answered} correct")
    progress = found.progress
    if progress is not None:
        due = f"  reviews: {progress.due_now} card{'' if progress.due_now == 1 else 's'} due now"
        if progress.next_due is not None:
            due += f", next {when(progress.next_due, tz_name)}"
        lines.append(due + f" ({progress.cards} cards in all)")
        lines += [f"    {line}" for line in mastery_lines(progress)]
        if not found.has_chart:
            lines.append(f"  {NO_CHART_YET}")
    return "\n".join(lines)
