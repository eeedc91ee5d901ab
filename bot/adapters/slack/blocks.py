"""Block Kit for everything the Slack adapter shows.

Every block is built with slack_sdk's own model classes, whose ``to_dict()``
checks Slack's per-field limits, after each text was cut to fit with
:func:`clip`; :func:`message` then keeps a message within 50 blocks. User text
(names, group names, report reasons) always goes through :func:`escape`, and
every mrkdwn object is ``verbatim`` so Slack never turns a typed ``@here`` or
``#channel`` into a ping or a link.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.adapters.slack.text import (
    ACTION_ELEMENTS,
    BLOCKS_PER_MESSAGE,
    BLOCKS_PER_VIEW,
    BUTTON_TEXT,
    CONTEXT_ELEMENTS,
    CONTEXT_TEXT,
    FIELD_TEXT,
    HEADER_TEXT,
    MARKER,
    MESSAGE_TEXT,
    SECTION_FIELDS,
    SECTION_TEXT,
    clip,
    date,
    escape,
    plain,
)
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
from bot.core.reminders import Reminder
from bot.core.reviews import (
    FlashcardAnswer,
    Grade,
    QueueStatus,
    ReviewSession,
    ReviewStart,
    ReviewStep,
    wait_text,
)
from bot.core.stats import NO_CHART_YET, PRIVATE_NOTE, mastery_lines
from bot.core.timeutil import format_duration, format_weekdays

Blocks = list[dict[str, Any]]

ANSWER_ACTION = "studybot:answer:{round_id}:{letter}"
DRILL_ACTION = "studybot:drill:{session_id}:{position}:{letter}"
HOME_DRILL_ACTION = "studybot:home-drill:{difficulty}"
PRIVACY_DELETE_ACTION = "studybot:privacy-delete:{user_id}"
REVIEW_ACTION = "studybot:review:{session_id}:{position}:{action}"
HOME_DIFFICULTIES = ("any", "easy", "medium", "hard")


# ---- building blocks -----------------------------------------------------


def mrkdwn(text: str, limit: int = SECTION_TEXT) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(text, limit), verbatim=True)


def header(text: str) -> HeaderBlock:
    return HeaderBlock(
        text=PlainTextObject(text=clip(plain(text), HEADER_TEXT, markup=False), emoji=True)
    )


def section(text: str) -> SectionBlock:
    return SectionBlock(text=mrkdwn(text))


def fields(pairs: Iterable[tuple[str, str]]) -> SectionBlock:
    return SectionBlock(
        fields=[mrkdwn(f"*{name}*\n{value}", FIELD_TEXT) for name, value in pairs][:SECTION_FIELDS]
    )


def context(*texts: str) -> ContextBlock:
    return ContextBlock(elements=[mrkdwn(t, CONTEXT_TEXT) for t in texts][:CONTEXT_ELEMENTS])


def button(label: str, action_id: str, value: str, *, primary: bool = False) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=clip(plain(label), BUTTON_TEXT, markup=False)),
        action_id=action_id,
        value=value,
        style="primary" if primary else None,
    )


def render(blocks: Sequence[Block], *, limit: int = BLOCKS_PER_MESSAGE) -> Blocks:
    """Blocks as JSON, validated by slack_sdk, at most ``limit`` of them (the
    last kept block says that the rest was cut)."""
    kept = list(blocks)
    if len(kept) > limit:
        kept = [*kept[: limit - 1], context(f"{MARKER} (shortened to fit in one message)")]
    return [b.to_dict() for b in kept]


def message(text: str, blocks: Sequence[Block]) -> dict[str, Any]:
    """Keyword arguments for chat.postMessage / respond: blocks plus the plain
    fallback Slack shows in notifications."""
    return {"text": clip(text, MESSAGE_TEXT), "blocks": render(blocks)}


# ---- questions and rounds -----------------------------------------------


def options_text(question: Question) -> str:
    return "\n".join(
        f"*{letter.upper()}* — {escape(text)}"
        for letter, text in zip(question.letters(), question.choices, strict=True)
    )


def question_blocks(question: Question) -> list[Block]:
    return [section(escape(question.prompt)), section(options_text(question))]


def answer_buttons(round_: Round) -> ActionsBlock:
    letters = round_.question.letters()
    return ActionsBlock(
        block_id=f"answer:{round_.id}",
        elements=[
            button(
                letter.upper(),
                ANSWER_ACTION.format(round_id=round_.id, letter=letter),
                f"{round_.id}:{letter}",
            )
            for letter in letters
        ][:ACTION_ELEMENTS],
    )


def round_blocks(round_: Round, *, closed: bool = False) -> list[Block]:
    q = round_.question
    blocks: list[Block] = [
        header(f"Daily question #{round_.id}"),
        context(
            f"*{escape(q.topic)}* · {q.difficulty.value} · answer revealed "
            f"{date(round_.reveals_at, round_.timezone)}"
        ),
        *question_blocks(q),
    ]
    if closed:
        blocks.append(context("Answers are closed; the answer is in the thread."))
    else:
        blocks.append(answer_buttons(round_))
    blocks.append(
        context(
            f"Question `{escape(q.id)}` · your answer stays private until the reveal · "
            f"flag it with `/studybot report {escape(q.id)} REASON`"
        )
    )
    return blocks


def round_message(round_: Round, *, closed: bool = False) -> dict[str, Any]:
    fallback = f"Daily question #{round_.id}: {escape(round_.question.prompt)}"
    return message(fallback, round_blocks(round_, closed=closed))


def reveal_message(summary: RevealSummary) -> dict[str, Any]:
    q = summary.round.question
    votes = "\n".join(
        f"{'✅' if letter == q.answer else '▫️'} *{letter.upper()}* {count}"
        for letter, count in summary.counts.items()
    )
    share = f"{summary.share_correct:.0%}" if summary.total else "—"
    plural = "" if summary.total == 1 else "s"
    blocks: list[Block] = [
        header(f"Answer to question #{summary.round.id}: {q.answer.upper()}"),
        section(f"*{q.answer.upper()} — {escape(q.correct_text)}*\n\n{escape(q.explanation)}"),
        fields(
            [
                ("Votes", votes or "no answers"),
                ("Correct", f"{share} of {summary.total} answer{plural}"),
            ]
        ),
    ]
    notes = []
    if summary.first_correct:
        notes.append("First correct: " + ", ".join(escape(n) for n in summary.first_correct))
    if summary.streaks:
        notes.append(
            "On a streak: " + ", ".join(f"{escape(n)} ({d} days)" for n, d in summary.streaks)
        )
    if notes:
        blocks.append(context(*notes))
    fallback = f"The answer to question #{summary.round.id} is {q.answer.upper()}"
    return message(fallback, blocks)


def answer_text(result: AnswerResult) -> str:
    reveal = date(result.reveals_at) if result.reveals_at else "soon"
    choice = (result.choice or "?").upper()
    match result.outcome:
        case AnswerOutcome.ACCEPTED:
            return f"Locked in: *{choice}* — the answer is revealed {reveal}."
        case AnswerOutcome.ALREADY_ANSWERED:
            return f"You already chose *{choice}*; your first answer is the one that counts."
        case AnswerOutcome.CLOSED:
            return "Answering has closed for this question; the answer is in its thread."
        case AnswerOutcome.INVALID_CHOICE:
            return f"That is not an option; choose one of {', '.join(result.allowed).upper()}."
        case AnswerOutcome.UNKNOWN_ROUND:
            return "This question is no longer in play."


# ---- drills --------------------------------------------------------------


def drill_question_blocks(session: DrillSession) -> list[Block]:
    question = session.current
    assert question is not None
    return [
        header(f"Drill — question {session.position + 1} of {session.total}"),
        *question_blocks(question),
        ActionsBlock(
            block_id=f"drill:{session.id}:{session.position}",
            elements=[
                button(
                    letter.upper(),
                    DRILL_ACTION.format(
                        session_id=session.id, position=session.position, letter=letter
                    ),
                    f"{session.id}:{session.position}:{letter}",
                )
                for letter in question.letters()
            ],
        ),
        context(
            f"{escape(question.topic)} · {question.difficulty.value} · score "
            f"{session.correct}/{session.position} · question `{escape(question.id)}`"
        ),
    ]


def drill_feedback_blocks(feedback: DrillFeedback) -> list[Block]:
    q = feedback.question
    verdict = (
        "✅ *Correct*"
        if feedback.correct
        else f"❌ *Not quite* — you chose {feedback.chosen.upper()}"
    )
    return [
        section(
            f"{verdict}\n*{q.answer.upper()} — {escape(q.correct_text)}*\n\n{escape(q.explanation)}"
        ),
        context(f"Score {feedback.session.correct}/{feedback.session.position}"),
        DividerBlock(),
    ]


def drill_summary_blocks(session: DrillSession) -> list[Block]:
    share = session.correct / session.total if session.total else 0.0
    return [
        header("Drill finished"),
        section(
            f"You got *{session.correct} of {session.total}* right ({share:.0%}).\n"
            "Start another with `/studybot drill`; your results count towards "
            "`/studybot stats`."
        ),
    ]


def drill_start_message(session: DrillSession) -> dict[str, Any]:
    return message(f"Drill: question 1 of {session.total}", drill_question_blocks(session))


def drill_step_message(feedback: DrillFeedback) -> dict[str, Any]:
    session = feedback.session
    after = drill_summary_blocks(session) if session.finished else drill_question_blocks(session)
    verdict = "Correct" if feedback.correct else "Not quite"
    return message(
        f"{verdict}: the answer was {feedback.question.answer.upper()}",
        [
            *drill_feedback_blocks(feedback),
            *after,
        ],
    )


# ---- reviews -------------------------------------------------------------


def _cards(count: int) -> str:
    return f"{count} card{'' if count == 1 else 's'}"


def queue_text(status: QueueStatus) -> str:
    """How many cards are due now and when the next one is."""
    due = f"*{_cards(status.due_now)}* due now"
    if status.next_due is None:
        return f"{due}; none scheduled after that."
    return f"{due}; the next is due {date(status.next_due)}."


def _review_button(session: ReviewSession, action: str, label: str) -> ButtonElement:
    return button(
        label,
        REVIEW_ACTION.format(session_id=session.id, position=session.position, action=action),
        f"{session.id}:{session.position}:{action}",
        primary=action in {"show", f"grade:{Grade.GOOD.value}"},
    )


def review_item_blocks(session: ReviewSession) -> list[Block]:
    """The current card and its buttons: letters for a choice item; "Show
    answer" for a flashcard, then (once ``session.revealed``) the model
    answer and the four grades."""
    item = session.current
    assert item is not None
    q = item.question
    blocks: list[Block] = [header(f"Review — card {session.position + 1} of {session.total}")]
    if not item.flashcard:
        blocks += question_blocks(q)
        buttons = [_review_button(session, x, x.upper()) for x in q.letters()]
        kind = "multiple choice"
    elif not session.revealed:
        blocks += [
            section(escape(q.prompt)),
            context("Think of your answer, then press *Show answer*."),
        ]
        buttons = [_review_button(session, "show", "Show answer")]
        kind = "flashcard"
    else:
        blocks += [section(escape(q.prompt)), section(f"*Model answer*\n{escape(q.answer)}")]
        if q.explanation:
            blocks.append(section(escape(q.explanation)))
        blocks.append(context("How well did you know it? Your grade sets when it comes back."))
        buttons = [
            _review_button(session, f"grade:{grade.value}", grade.label.title()) for grade in Grade
        ]
        kind = "flashcard"
    blocks.append(
        ActionsBlock(
            block_id=f"review:{session.id}:{session.position}:{int(session.revealed)}",
            elements=buttons,
        )
    )
    origin = "due card" if item.due is not None else "new"
    blocks.append(
        context(
            f"{escape(q.topic)} · {q.difficulty.value} · {kind} · {origin} · "
            f"question `{escape(q.id)}`"
        )
    )
    return blocks


def review_start_message(start: ReviewStart) -> dict[str, Any]:
    if start.session is None:
        return text_message(
            "Nothing to review: no card is due and every question already has a card.\n"
            + queue_text(start.status)
        )
    session = start.session
    fresh = session.total - start.due_in_session
    return message(
        f"Review: card 1 of {session.total}",
        [
            section(
                f"*Review of {_cards(session.total)}*: {start.due_in_session} due, {fresh} new. "
                + queue_text(start.status)
            ),
            *review_item_blocks(session),
        ],
    )


def review_shown_message(shown: FlashcardAnswer) -> dict[str, Any]:
    session = shown.session
    return message(
        f"Review: the model answer to card {session.position + 1}", review_item_blocks(session)
    )


def review_summary_blocks(session: ReviewSession, status: QueueStatus | None) -> list[Block]:
    lines = [f"You reviewed *{_cards(session.total)}*."]
    if session.choice_items:
        lines.append(f"Multiple choice: *{session.correct} of {session.choice_items}* right.")
    grades = session.flashcard_grades()
    if grades:
        lines.append(
            "Flashcards: " + ", ".join(f"{grade.label} {n}" for grade, n in grades.items()) + "."
        )
    if status is not None:
        lines.append(queue_text(status))
    lines.append("Start another with `/studybot review`; `/studybot stats` shows your progress.")
    return [header("Review finished"), section("\n".join(lines))]


def review_step_message(step: ReviewStep) -> dict[str, Any]:
    """The card just done (the verdict, or the grade given), then the next
    card or the summary, in place of the session's message."""
    session = step.session
    back = wait_text(session.active_at, step.next_due)
    q = step.question
    if step.flashcard:
        done: list[Block] = [section(f"Graded *{step.grade.label}*; this card comes back {back}.")]
        fallback = f"Graded {step.grade.label}"
    else:
        verdict = (
            "✅ *Correct*"
            if step.correct
            else f"❌ *Not quite* — you chose {(step.chosen or '?').upper()}"
        )
        done = [
            section(
                f"{verdict}\n*{q.answer.upper()} — {escape(q.correct_text)}*\n\n"
                f"{escape(q.explanation)}"
            ),
            context(f"Counted as {step.grade.label}; this card comes back {back}."),
        ]
        fallback = (
            f"{'Correct' if step.correct else 'Not quite'}: the answer was {q.answer.upper()}"
        )
    after = (
        review_summary_blocks(session, step.status)
        if session.finished
        else review_item_blocks(session)
    )
    return message(fallback, [*done, DividerBlock(), *after])


def review_stop_message(idle_minutes: int) -> dict[str, Any]:
    return text_message(
        "There is nothing to stop: every card is saved as you go. Leave the review as it is "
        f"and it expires after {idle_minutes} idle minutes; `/studybot review` starts a new "
        "one whenever you like."
    )


# ---- scores --------------------------------------------------------------


def _row(row: ScoreRow, *, me: bool = False) -> str:
    line = (
        f"`{row.rank:>3}.` {escape(row.name)} — *{row.points}* pts "
        f"({row.correct}/{row.answered} correct)"
    )
    return f"{line} ← you" if me else line


def leaderboard_message(board: Leaderboard, streak: StreakView | None = None) -> dict[str, Any]:
    caller_id = board.caller.user_id if board.caller else None
    lines = [_row(r, me=r.user_id == caller_id) for r in board.rows]
    if not lines:
        lines.append("Nobody has scored in this period yet.")
    own = board.caller
    if own is not None and all(r.user_id != own.user_id for r in board.rows):
        lines += ["…", _row(own, me=True)]
    elif own is None:
        lines.append("\nYou have no points in this period yet.")
    blocks: list[Block] = [header(board.title or "Leaderboard"), section("\n".join(lines))]
    if streak is not None:
        blocks.append(context(f"Your streak: {streak.current} days (best {streak.best})"))
    return message(escape(board.title or "Leaderboard"), blocks)


def groups_message(rows: Sequence[GroupRow], title: str) -> dict[str, Any]:
    if not rows:
        text = "No study groups yet; create one with `/studybot group create NAME`."
    else:
        text = "\n".join(
            f"`{r.rank:>3}.` {escape(r.group.name)} — *{r.per_active_member:.1f}* per active "
            f"member ({r.total} pts, {r.active_members}/{r.group.members} active)"
            for r in rows
        )
    return message(title, [header(title), section(text)])


def _streak_fields(view: StreakView) -> list[tuple[str, str]]:
    return [
        ("Current streak", f"{view.current} days"),
        ("Best", f"{view.best} days"),
        ("Freezes", str(view.freezes)),
        ("Daily accuracy", f"{view.accuracy:.0%} ({view.correct}/{view.answered})"),
    ]


def streak_message(view: StreakView) -> dict[str, Any]:
    blocks: list[Block] = [header(f"Streak — {view.user_name}"), fields(_streak_fields(view))]
    if view.frozen_days:
        blocks.append(context(f"{view.frozen_days} missed day(s) covered by freezes"))
    return message(f"Streak of {escape(view.user_name)}: {view.current} days", blocks)


def stats_message(
    view: StreakView,
    boards: Sequence[Leaderboard],
    drills: DrillTotals | None,
    progress: ReviewProgress | None = None,
    *,
    chart_sent: bool = False,
) -> dict[str, Any]:
    """Stats as the caller may see them: ``drills`` and ``progress`` are None
    in someone else's stats (private practice)."""
    pairs = _streak_fields(view)
    for board in boards:
        row = board.caller
        pairs.append(
            (
                board.period.value.title(),
                f"{row.points} pts · rank {row.rank}" if row else "no points",
            )
        )
    if drills is not None:
        accuracy = f"{drills.accuracy:.0%}" if drills.accuracy is not None else "—"
        pairs.append(("Drills", f"{drills.correct}/{drills.answered} correct ({accuracy})"))
    if progress is not None:
        due = f"{progress.due_now} due now · {progress.cards} cards"
        if progress.next_due is not None:
            due += f"\nnext due {date(progress.next_due)}"
        pairs.append(("Reviews", due))
    blocks: list[Block] = [header(f"Stats — {view.user_name}"), fields(pairs)]
    if progress is not None:
        lines = [escape(line) for line in mastery_lines(progress)]
        if lines:
            blocks.append(section("*Mastery per topic*\n" + "\n".join(lines)))
    if drills is None:
        blocks.append(context(PRIVATE_NOTE))
    if chart_sent:
        blocks.append(context("Your progress chart is in your messages with me."))
    elif progress is not None:
        blocks.append(context(NO_CHART_YET))
    return message(f"Stats of {escape(view.user_name)}", blocks)


def recap_message(recap: Recap) -> dict[str, Any]:
    lines = [_row(r) for r in recap.leaderboard.rows] or ["Nobody scored this week."]
    blocks: list[Block] = [
        header(f"Weekly recap — {recap.week_key.removeprefix('w')}"),
        section("\n".join(lines)),
        context(f"Rounds this week: {recap.rounds}"),
    ]
    if recap.top_streaks:
        blocks.append(
            context(
                "Longest streaks: " + ", ".join(f"{escape(n)} ({d})" for n, d in recap.top_streaks)
            )
        )
    return message(f"Weekly recap for {recap.week_key.removeprefix('w')}", blocks)


# ---- admin ---------------------------------------------------------------


def schedule_message(
    schedule: Schedule, next_post: datetime | None, lead: str = ""
) -> dict[str, Any]:
    status = (
        "paused"
        if schedule.paused
        else (date(next_post, schedule.timezone) if next_post else "active")
    )
    blocks: list[Block] = []
    if lead:
        blocks.append(section(lead))
    blocks.append(
        fields(
            [
                (
                    "When",
                    f"{schedule.post_time:%H:%M} {schedule.timezone}, {format_weekdays(schedule.weekdays)}",
                ),
                ("Reveal after", format_duration(schedule.reveal_after)),
                ("Topics", ", ".join(schedule.topics) or "all"),
                ("Difficulty", schedule.difficulty or "any"),
                ("Weekly recap", "on" if schedule.recap else "off"),
                ("Next post", status),
            ]
        )
    )
    if schedule.failing:
        blocks.append(section(f"⚠️ *Problem:* {escape(schedule.failing)}"))
    return message(lead or "Daily question schedule", blocks)


def schedules_list_message(schedules: Sequence[Schedule]) -> dict[str, Any]:
    lines = [
        f"<#{s.channel.channel}> — {s.post_time:%H:%M} {s.timezone}"
        + (" (paused)" if s.paused else "")
        + (" ⚠️ failing" if s.failing else "")
        for s in schedules
    ]
    text = "This channel has no daily question. Schedules in this workspace:\n" + "\n".join(lines)
    return message("Daily question schedules", [section(text)])


def reports_message(reports: Sequence[Report]) -> dict[str, Any]:
    lines = [
        f"`#{r.id}` *{escape(r.question_id)}* — {escape(r.reason)} (by {escape(r.reporter)}, "
        f"{r.created_at:%Y-%m-%d})"
        for r in reports
    ] or ["No open question reports."]
    return message("Question reports", [header("Question reports"), section("\n".join(lines))])


def topics_message(counts: Sequence[tuple[str, int]], total: int) -> dict[str, Any]:
    lines = [f"*{escape(topic)}* — {count}" for topic, count in counts]
    title = f"{total} questions in {len(counts)} topics"
    return message(title, [header(title), section("\n".join(lines))])


HELP = (
    (
        "Daily question",
        "Workspace admins set it up: `/studybot daily setup 09:30 Europe/Berlin "
        "[reveal=30m] [days=weekdays] [topics=a,b] [difficulty=easy] [#channel]`. Everyone "
        "answers with the buttons; your choice stays private until the reveal. "
        "`/studybot daily show|pause|resume|remove|now|reveal|recap on|off|reports` manage it.",
    ),
    (
        "Practice",
        "`/studybot drill [topic] [easy|medium|hard] [count]` runs a private drill "
        "with instant feedback; `/studybot topics` lists the topics. "
        "`/studybot review [count]` brings back the cards you are due for, then new questions "
        "from your weakest topics; flashcards: think, press Show answer, grade yourself. "
        "The *Home* tab shows your progress and starts a drill in one click.",
    ),
    (
        "Scores",
        "`/studybot leaderboard [week|month|all] [server|channel|group|groups] [group]`, "
        "`/studybot streak [@user]`, `/studybot stats [@user]`.",
    ),
    (
        "Groups",
        "`/studybot group create|join|leave NAME`, `/studybot group list|mine`, "
        "`/studybot group leaderboard [week|month|all]`.",
    ),
    ("Feedback", "`/studybot report QUESTION-ID REASON` flags a wrong or unclear question."),
    (
        "Reminders",
        "`/studybot remind on [HH:MM] [time zone]` sends you a message on days you have cards "
        "due, at most one a day; `remind off` stops it, `remind` shows it.",
    ),
    (
        "Your data",
        "`/studybot privacy` says what is stored about you; `privacy export` "
        "sends you a JSON copy; `privacy delete` erases it.",
    ),
)


def help_message() -> dict[str, Any]:
    blocks: list[Block] = [header("studybot — ML interview practice")]
    blocks += [section(f"*{name}*\n{text}") for name, text in HELP]
    return message("studybot help", blocks)


def privacy_delete_message(user_id: str) -> dict[str, Any]:
    warning = (
        "This erases your answers, scores, streaks, drills, group memberships and reports in "
        "this workspace and every other, for good, and you drop off every leaderboard. Press "
        "the button to go ahead; otherwise dismiss this message."
    )
    confirm = ButtonElement(
        text=PlainTextObject(text="Delete my data"),
        action_id=PRIVACY_DELETE_ACTION.format(user_id=user_id),
        value=user_id,
        style="danger",
    )
    return message(
        "Delete your studybot data?", [section(warning), ActionsBlock(elements=[confirm])]
    )


def reminder_message(
    reminder: Reminder | None, next_at: datetime | None, default_zone: str
) -> dict[str, Any]:
    if reminder is None or not reminder.enabled:
        return text_message(
            "Your daily reminder is off. `/studybot remind on [HH:MM] [time zone]` turns it on "
            f"(09:00 {escape(default_zone)} unless you say otherwise)."
        )
    line = f"Daily reminder *on* at {reminder.at:%H:%M} {escape(reminder.timezone)}"
    if next_at is not None:
        line += f"; next {date(next_at, reminder.timezone)}"
    return text_message(
        line + ".\nI message you only on days you have cards due for review, at most once a "
        "day. `/studybot remind off` stops it."
    )


def text_message(text: str) -> dict[str, Any]:
    """A short reply; ``text`` is already mrkdwn (escape user parts first)."""
    return message(text, [section(text)])


# ---- App Home ------------------------------------------------------------


def home_view(
    view: StreakView, week: Leaderboard, drills: DrillTotals, *, workspace_has_rounds: bool
) -> dict[str, Any]:
    row = week.caller
    blocks: list[Block] = [
        header("Your interview practice"),
        fields(
            [
                *_streak_fields(view),
                ("This week", f"{row.points} pts · rank {row.rank}" if row else "no points yet"),
                (
                    "Drills",
                    f"{drills.correct}/{drills.answered} correct"
                    + (f" ({drills.accuracy:.0%})" if drills.accuracy is not None else ""),
                ),
            ]
        ),
        section(
            "*Start a drill* — private questions with instant feedback, in your messages with me:"
        ),
        ActionsBlock(
            block_id="home-drill",
            elements=[
                button(
                    "Any difficulty" if level == "any" else level.title(),
                    HOME_DRILL_ACTION.format(difficulty=level),
                    level,
                    primary=level == "any",
                )
                for level in HOME_DIFFICULTIES
            ],
        ),
    ]
    if not workspace_has_rounds:
        blocks.append(
            context(
                "No daily question here yet: an admin can start one with "
                "`/studybot daily setup 09:30 Europe/Berlin` in a channel I am in."
            )
        )
    blocks.append(context("`/studybot help` lists every command."))
    return {"type": "home", "blocks": render(blocks, limit=BLOCKS_PER_VIEW)}
