"""Spaced repetition through the real store, services and FSRS, with the clock
under the test's control: the queue's order, review sessions, drills feeding
cards, restarts, double clicks and idle expiry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from bot.bank import QuestionBank
from bot.core.errors import Forbidden, UserError
from bot.core.models import UserRef
from bot.core.questions import Kind, Question
from bot.core.reviews import Grade, ReviewExpired, ReviewSession
from bot.srs import FsrsScheduler
from bot.storage.reviews import (
    DUE_CARDS_AFTER_SQL,
    DUE_CARDS_SQL,
    MASTERED_IN_TOPIC_SQL,
    ReviewWrite,
    load_cards,
    save_reviews,
)
from tests.helpers import Harness, make_question, user

ANN = user("Ann")
BOB = user("Bob")


def flashcard(qid: str, topic: str) -> Any:
    return make_question(
        qid, topic, f"The model answer to {qid}.", kind=Kind.OPEN, choices=(), explanation=""
    )


def study_bank() -> QuestionBank:
    """Four topics: alpha (3 choice), beta and gamma (4 choice each) and delta
    (2 choice, 2 flashcards)."""
    questions = [make_question(f"alpha-{i}", "alpha", "a") for i in range(3)]
    questions += [make_question(f"beta-{i}", "beta", "b") for i in range(4)]
    questions += [make_question(f"gamma-{i}", "gamma", "c") for i in range(4)]
    questions += [make_question(f"delta-{i}", "delta", "d") for i in range(2)]
    questions += [flashcard(f"delta-open-{i}", "delta") for i in range(2)]
    return QuestionBank(questions)


@pytest.fixture
async def study(tmp_path: Path, traveller: time_machine.Traveller) -> AsyncIterator[Harness]:
    harness = Harness(tmp_path / "bot.sqlite3", traveller)
    harness.bank = study_bank()
    await harness.start()
    yield harness
    await harness.stop()


def wrong(question: Question) -> str:
    return next(x for x in question.letters() if x != question.answer)


async def drill(
    bot: Harness,
    who: UserRef,
    topic: str,
    rights: list[bool],
    pace: timedelta = timedelta(minutes=1),
) -> list[str]:
    """Drill ``topic`` answering right or wrong as told, ``pace`` per answer
    (a minute is too slow for Easy, so a right answer is Good)."""
    drills = bot.services.drills
    session = await drills.start(who, None, topic=topic, count=len(rights))
    for position, right in enumerate(rights):
        question = session.questions[position]
        await bot.advance(pace)
        await drills.answer(
            session.id, who, position, question.answer if right else wrong(question)
        )
    return [q.id for q in session.questions]


async def knows_every_choice_question(bot: Harness, who: UserRef) -> None:
    """Cards for all choice questions, due in a month: only flashcards are new."""
    assert bot.runtime is not None
    srs, now = FsrsScheduler(fuzz=False), bot.now
    async with bot.runtime.db.write() as conn:
        key = await bot.runtime.store.ids.user_id(conn, who)
        writes = []
        for question in bot.bank.filter(kind=Kind.CHOICE):
            card = replace(srs.review(None, Grade.EASY, now), due=now + timedelta(days=30))
            writes.append(
                ReviewWrite(key, question.id, question.topic, card, Grade.EASY, "daily", now)
            )
        await save_reviews(conn, writes)


async def rows(bot: Harness, sql: str, *params: object) -> list[tuple[Any, ...]]:
    assert bot.runtime is not None
    async with bot.runtime.db.reader.execute(sql, params) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]


async def play_through(bot: Harness, who: UserRef, session: ReviewSession) -> list[str]:
    """Answer every item right (choice) or Good (flashcards); the ids in order."""
    reviews = bot.services.reviews
    done = []
    while session.current is not None:
        item = session.current
        if item.flashcard:
            await reviews.show_answer(session.id, who, session.position)
            step = await reviews.grade(session.id, who, session.position, "good")
        else:
            step = await reviews.answer(session.id, who, session.position, item.question.answer)
        done.append(step.question.id)
        session = step.session
    return done


async def test_the_queue_is_due_cards_most_overdue_first_then_weak_topics(study: Harness) -> None:
    await drill(study, ANN, "alpha", [True, True, True])  # accuracy 100 %
    await drill(study, ANN, "beta", [False, False])  # 0 %
    await drill(study, ANN, "gamma", [True, False])  # 50 %
    await study.advance(timedelta(days=60))  # every card is due, some longer than others
    overdue = [
        qid
        for (qid,) in await rows(study, "SELECT question_id FROM cards ORDER BY due, question_id")
    ]
    assert len(overdue) == 7

    items = await study.services.reviews.queue.build(ANN, study.now, 15)
    assert [i.question.id for i in items[:7]] == overdue
    assert all(i.due is not None for i in items[:7])
    new = items[7:]
    assert all(i.due is None for i in new)
    # Never tried first, then by accuracy: delta, beta, gamma, taken in turn.
    assert [i.question.topic for i in new] == [
        "delta",
        "beta",
        "gamma",
        "delta",
        "beta",
        "gamma",
        "delta",
        "delta",
    ]
    delta = [i.question.kind for i in new if i.question.topic == "delta"]
    assert delta == [Kind.CHOICE, Kind.OPEN, Kind.CHOICE, Kind.OPEN]  # mixed

    start = await study.services.reviews.start(ANN, None, 3)
    assert start.session is not None and start.due_in_session == 3
    assert start.status.due_now == 7
    assert [i.question.id for i in start.session.items] == overdue[:3]


async def test_equal_accuracy_is_broken_by_mastery(study: Harness) -> None:
    # Both all right; alpha's quick answers are Easy (mastered at once), beta's
    # slow ones Good (still being learnt), so beta is the weaker of the two.
    await drill(study, ANN, "alpha", [True, True], pace=timedelta(seconds=3))
    await drill(study, ANN, "beta", [True, True])
    items = await study.services.reviews.queue.build(ANN, study.now, 6)
    assert all(i.due is None for i in items)
    assert [i.question.topic for i in items] == ["delta", "gamma", "beta"] * 2


async def test_a_review_session_feeds_every_card(study: Harness) -> None:
    reviews = study.services.reviews
    start = await reviews.start(ANN, ("test", "space-1"), 6)
    session = start.session
    assert session is not None and start.status.due_now == 0 and start.status.next_due is None
    # A new user: every topic untried, so by name, in turn; delta mixes in a flashcard.
    assert [i.question.topic for i in session.items] == [
        "alpha",
        "beta",
        "delta",
        "alpha",
        "beta",
        "delta",
    ]
    assert [i.flashcard for i in session.items] == [False] * 5 + [True]
    done = await play_through(study, ANN, session)
    assert len(done) == 6
    logged = await rows(study, "SELECT question_id, grade, source FROM review_log ORDER BY id")
    assert [q for q, _, _ in logged] == done
    assert {source for _, _, source in logged} == {"review"}
    # Frozen clock: every right choice came at once (Easy); flashcards were Good.
    flash = {i.question.id for i in session.items if i.flashcard}
    assert all(g == (Grade.GOOD if q in flash else Grade.EASY) for q, g, _ in logged)
    finished = await reviews.session(session.id, ANN)
    assert finished.finished and finished.correct == session.choice_items
    status = await reviews.status(ANN)
    assert status.due_now == 0 and status.next_due is not None
    assert status.next_due == study.now + timedelta(minutes=10)  # the Good flashcard


async def test_the_last_step_reports_the_queue(study: Harness) -> None:
    reviews = study.services.reviews
    start = await reviews.start(ANN, None, 1)
    assert start.session is not None
    question = start.session.items[0].question
    step = await reviews.answer(start.session.id, ANN, 0, wrong(question))
    assert step.correct is False and step.grade is Grade.AGAIN and step.chosen == wrong(question)
    assert step.next_due == study.now + timedelta(minutes=1)
    assert step.session.finished and step.status is not None
    assert step.status.next_due == step.next_due


async def test_flashcards_are_shown_before_they_are_graded(study: Harness) -> None:
    reviews = study.services.reviews
    await knows_every_choice_question(study, ANN)
    start = await reviews.start(ANN, None, 2)
    session = start.session
    assert session is not None and all(i.flashcard for i in session.items)
    with pytest.raises(UserError, match="show the answer first"):
        await reviews.grade(session.id, ANN, 0, "good")
    with pytest.raises(UserError, match="this one is a flashcard"):
        await reviews.answer(session.id, ANN, 0, "a")
    shown = await reviews.show_answer(session.id, ANN, 0)
    assert shown.model_answer.startswith("The model answer to delta-open")
    again = await reviews.show_answer(session.id, ANN, 0)  # pressing twice is harmless
    assert again.question == shown.question
    with pytest.raises(UserError, match="not a grade"):
        await reviews.grade(session.id, ANN, 0, "perfect")
    step = await reviews.grade(session.id, ANN, 0, "1")
    assert step.grade is Grade.AGAIN and step.flashcard and step.correct is None
    assert step.next_due == study.now + timedelta(minutes=1)
    with pytest.raises(Forbidden, match="belongs to someone else"):
        await reviews.show_answer(session.id, BOB, 1)


async def test_a_double_click_on_a_grade_counts_once(study: Harness) -> None:
    reviews = study.services.reviews
    await knows_every_choice_question(study, ANN)
    start = await reviews.start(ANN, None, 2)
    assert start.session is not None
    await reviews.show_answer(start.session.id, ANN, 0)
    results = await asyncio.gather(
        reviews.grade(start.session.id, ANN, 0, Grade.GOOD),
        reviews.grade(start.session.id, ANN, 0, Grade.EASY),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, UserError)]
    assert len(refused) == 1 and "already answered" in str(refused[0])
    qid = start.session.items[0].question.id
    assert await rows(study, "SELECT COUNT(*) FROM review_log WHERE question_id = ?", qid) == [(1,)]
    assert await rows(study, "SELECT reps FROM cards WHERE question_id = ?", qid) == [(1,)]
    # A late click on the old card, after the session moved on, is refused too.
    with pytest.raises(UserError, match="already answered"):
        await reviews.grade(start.session.id, ANN, 0, Grade.GOOD)


async def test_a_restart_mid_session_loses_nothing(study: Harness) -> None:
    start = await study.services.reviews.start(ANN, None, 3)
    session = start.session
    assert session is not None
    first = session.items[0]
    if first.flashcard:
        await study.services.reviews.show_answer(session.id, ANN, 0)
        await study.services.reviews.grade(session.id, ANN, 0, "good")
    else:
        await study.services.reviews.answer(session.id, ANN, 0, first.question.answer)
    await study.restart()

    reviews = study.services.reviews  # a new process on the same file
    again = await reviews.session(session.id, ANN)
    assert again.position == 1 and again.items == session.items
    assert len(again.grades) == 1
    rest = await play_through(study, ANN, again)
    assert len(rest) == 2
    logged = await rows(study, "SELECT COUNT(*) FROM review_log WHERE source = 'review'")
    assert logged == [(3,)]


async def test_a_flashcard_turned_over_before_a_restart_can_be_graded_after(
    study: Harness,
) -> None:
    await knows_every_choice_question(study, ANN)
    start = await study.services.reviews.start(ANN, None, 1)
    assert start.session is not None and start.session.items[0].flashcard
    await study.services.reviews.show_answer(start.session.id, ANN, 0)
    await study.restart()
    step = await study.services.reviews.grade(start.session.id, ANN, 0, "easy")
    assert step.session.finished and step.grade is Grade.EASY


async def test_an_idle_session_expires_and_keeps_its_grades(study: Harness) -> None:
    reviews = study.services.reviews
    start = await reviews.start(ANN, None, 3)
    session = start.session
    assert session is not None
    first = session.items[0]
    assert not first.flashcard
    await study.advance(timedelta(minutes=29))  # still within the 30 idle minutes
    await reviews.answer(session.id, ANN, 0, first.question.answer)
    await study.advance(timedelta(minutes=30))
    with pytest.raises(ReviewExpired, match="this review expired; run /review"):
        await reviews.answer(session.id, ANN, 1, "a")
    with pytest.raises(ReviewExpired):  # and it stays expired
        await reviews.show_answer(session.id, ANN, 1)
    assert (await reviews.session(session.id, ANN)).expired
    assert await rows(study, "SELECT question_id FROM review_log") == [(first.question.id,)]
    fresh = await reviews.start(ANN, None, 3)  # a new session works at once
    assert fresh.session is not None and fresh.session.id != session.id


async def test_a_step_refused_in_the_transaction_after_going_idle(study: Harness) -> None:
    """The checks are repeated inside the write: a session read while live but
    expired before the step is written is not advanced."""
    reviews = study.services.reviews
    start = await reviews.start(ANN, None, 2)
    assert start.session is not None
    store = study.runtime.store if study.runtime else None
    assert store is not None
    read = store.get_review_session

    async def stale_read(session_id: int) -> ReviewSession | None:
        found = await read(session_id)
        # Another click, arriving later, finds it idle and expires it meanwhile.
        await store.expire_review_session(session_id, study.now + timedelta(minutes=31))
        return found

    store.get_review_session = stale_read  # type: ignore[method-assign]
    item = start.session.items[0]
    with pytest.raises(ReviewExpired):
        await reviews.answer(start.session.id, ANN, 0, item.question.answer)
    store.get_review_session = read  # type: ignore[method-assign]
    assert await rows(study, "SELECT COUNT(*) FROM review_log") == [(0,)]


async def test_drill_answers_move_cards_in_the_same_transaction(
    study: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert study.runtime is not None
    writes: list[float] = []
    study.runtime.db.on_hold(writes.append)
    drills = study.services.drills
    session = await drills.start(ANN, None, topic="alpha", count=2)
    writes.clear()
    question = session.questions[0]
    await study.advance(timedelta(seconds=5))
    await drills.answer(session.id, ANN, 0, question.answer)
    assert len(writes) == 1  # the answer, its card and its log: one transaction
    assert await rows(study, "SELECT question_id, grade, source FROM review_log") == [
        (question.id, int(Grade.EASY), "drill")
    ]  # right within 10 s
    card = await rows(study, "SELECT reps, state FROM cards WHERE question_id = ?", question.id)
    assert card == [(1, 2)]  # Easy graduates a new card straight to review

    def broken(*args: object) -> None:
        raise RuntimeError("the scheduler failed")

    monkeypatch.setattr(study.services.reviews.scheduler, "review", broken)
    with pytest.raises(RuntimeError):
        await drills.answer(session.id, ANN, 1, "a")
    # Nothing of the failed answer stayed: not the drill's step, not a card.
    assert (await drills.store.get_drill(session.id)).position == 1
    assert await rows(study, "SELECT COUNT(*) FROM drill_answers") == [(1,)]
    assert await rows(study, "SELECT COUNT(*) FROM cards") == [(1,)]


async def test_slow_right_answers_are_good_and_wrong_ones_again(study: Harness) -> None:
    await drill(study, ANN, "beta", [True, False])  # a minute per answer: too slow for Easy
    logged = await rows(study, "SELECT grade FROM review_log ORDER BY id")
    assert logged == [(int(Grade.GOOD),), (int(Grade.AGAIN),)]


async def test_a_drill_without_a_topic_draws_from_the_queue(study: Harness) -> None:
    ids = await drill(study, ANN, "gamma", [False])  # due again a minute later
    await study.advance(timedelta(minutes=5))
    session = await study.services.drills.start(ANN, None, count=4)
    assert session.questions[0].id == ids[0]  # the due card first
    assert all(q.kind is Kind.CHOICE for q in session.questions)  # no flashcards in drills
    assert session.questions[1].topic == "alpha"  # never tried, first by name
    with pytest.raises(UserError, match="no questions match"):
        await study.services.drills.start(ANN, None, difficulty="hard")


async def test_nothing_to_review(study: Harness) -> None:
    reviews = study.services.reviews
    start = await reviews.start(ANN, None, 50)
    assert start.session is not None and start.session.total == len(study.bank)
    await play_through(study, ANN, start.session)
    await study.advance(timedelta(minutes=1))
    # A minute later nothing is due yet (the flashcards come back after ten).
    empty = await reviews.start(ANN, None)
    assert empty.session is None and empty.status.due_now == 0
    assert empty.status.next_due is not None
    assert await study.runtime.store.due_card_count(ANN, study.now) == 0  # type: ignore[union-attr]
    await study.advance(timedelta(minutes=10))
    assert await study.runtime.store.due_card_count(ANN, study.now) == 2  # type: ignore[union-attr]
    assert await study.runtime.store.due_card_count(BOB, study.now) == 0  # type: ignore[union-attr]


async def test_progress_per_topic_and_per_day(study: Harness) -> None:
    reviews = study.services.reviews
    empty = await reviews.progress(ANN)
    assert empty.cards == 0 and empty.due_now == 0
    assert [t.topic for t in empty.topics] == ["alpha", "beta", "delta", "gamma"]
    assert len(empty.reviews_per_day) == 30 and all(n == 0 for _, n in empty.reviews_per_day)

    await drill(study, ANN, "alpha", [True, True, False], pace=timedelta(seconds=5))
    await study.advance(timedelta(days=1))
    await drill(study, ANN, "gamma", [True])
    progress = await reviews.progress(ANN, study.now)
    topics = {t.topic: t for t in progress.topics}
    assert (topics["alpha"].answered, topics["alpha"].correct) == (3, 2)
    assert topics["alpha"].questions == 3 and topics["delta"].accuracy is None
    # Quick right answers (Easy) graduate at once: mastered. The wrong one and
    # gamma's slow right one (Good) are still being learnt.
    assert topics["alpha"].mastered == 2 and topics["gamma"].mastered == 0
    assert progress.cards == 4
    days = dict(progress.reviews_per_day)
    today = study.now.date()
    assert days[today] == 1 and days[today - timedelta(days=1)] == 3
    assert progress.reviews_per_day[-1][0] == today
    # The queue's indexed count of mastered cards agrees with the scan.
    assert study.runtime is not None
    counts = await study.runtime.store.mastered_counts(ANN, study.now, ["alpha", "gamma"])
    assert counts == {"alpha": 2, "gamma": 0}


async def test_the_queue_reads_through_its_indexes(study: Harness) -> None:
    def plan(found: list[tuple[Any, ...]]) -> str:
        return " ".join(str(row[-1]) for row in found)

    now = "2026-11-23T08:00:00.000000+00:00"
    first = await rows(study, "EXPLAIN QUERY PLAN " + DUE_CARDS_SQL, 1, now, 10)
    assert "USING COVERING INDEX cards_by_due (user_id=? AND due<?)" in plan(first)
    assert "TEMP B-TREE" not in plan(first)  # already in due order, no sort
    after = await rows(
        study, "EXPLAIN QUERY PLAN " + DUE_CARDS_AFTER_SQL, 1, now, now, now, "q", 10
    )
    assert "cards_by_due" in plan(after) and "TEMP B-TREE" not in plan(after)
    mastered = await rows(study, "EXPLAIN QUERY PLAN " + MASTERED_IN_TOPIC_SQL, 1, "alpha", now)
    assert "COVERING INDEX cards_by_mastery (user_id=? AND topic=? AND mastered_until>?)" in plan(
        mastered
    )


async def test_the_reveal_helpers_work_inside_a_callers_transaction(study: Harness) -> None:
    """``load_cards`` and ``save_reviews`` as the daily reveal uses them: on a
    connection inside its own write, committed (or not) with it."""
    assert study.runtime is not None
    db, store = study.runtime.db, study.runtime.store
    srs = FsrsScheduler(fuzz=False)
    now = study.now
    async with db.write() as conn:
        ann, bob = await store.ids.user_id(conn, ANN), await store.ids.user_id(conn, BOB)
        assert await load_cards(conn, [(ann, "alpha-0"), (bob, "alpha-0")]) == {}
        card = srs.review(None, Grade.GOOD, now)
        await save_reviews(
            conn,
            [
                ReviewWrite(ann, "alpha-0", "alpha", card, Grade.GOOD, "daily", now),
                ReviewWrite(bob, "alpha-0", "alpha", card, Grade.GOOD, "daily", now),
                ReviewWrite(bob, "beta-1", "beta", card, Grade.GOOD, "daily", now),
            ],
        )
    async with db.write() as conn:
        found = await load_cards(conn, [(ann, "alpha-0"), (bob, "alpha-0"), (ann, "beta-1")])
        assert found == {(ann, "alpha-0"): card, (bob, "alpha-0"): card}
        many = await load_cards(conn, [(bob, "alpha-0"), (bob, "beta-1")])  # one user
        assert set(many) == {(bob, "alpha-0"), (bob, "beta-1")}
    with pytest.raises(RuntimeError):
        async with db.write() as conn:
            later = srs.review(card, Grade.AGAIN, now + timedelta(minutes=10))
            write = ReviewWrite(ann, "alpha-0", "alpha", later, Grade.AGAIN, "daily", now)
            await save_reviews(conn, [write])
            raise RuntimeError("the reveal failed after scoring")
    assert await rows(study, "SELECT COUNT(*) FROM review_log") == [(3,)]
    totals = await store.topic_totals(ANN)
    assert totals["alpha"].reviews == 1 and totals["alpha"].correct == 1
    assert await rows(study, "SELECT reps FROM cards WHERE user_id = ?", ann) == [(1,)]
