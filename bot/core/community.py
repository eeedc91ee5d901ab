"""Study groups and question reports: things members do for each other."""

from __future__ import annotations

import re
import unicodedata

from bot.core.errors import NotFound, UserError
from bot.core.models import ChannelRef, Group, Report, SpaceKey, UserRef
from bot.core.ports import Clock, QuestionSource, Store

GROUP_NAME_MAX = 32
REASON_MIN, REASON_MAX = 3, 300
_GROUP_NAME = re.compile(r"^[\w][\w .'-]*$")
# Format (zero-width, bidi) and control characters: nothing a reader can see.
_INVISIBLE = frozenset({"Cf", "Cc"})


def clean_group_name(text: str) -> str:
    """Letters, digits, spaces and ``. ' -`` only: a name is shown in many
    messages, so nothing in it may ping people or break formatting (``_`` is
    out too: ``__x__`` underlines on Discord)."""
    name = " ".join(unicodedata.normalize("NFKC", text).split())
    if not 2 <= len(name) <= GROUP_NAME_MAX:
        raise UserError(f"a group name needs 2 to {GROUP_NAME_MAX} characters")
    if (
        not _GROUP_NAME.match(name)
        or "_" in name
        or any(unicodedata.category(c) == "Cf" for c in name)
    ):
        raise UserError("a group name may use letters, digits, spaces and . ' - only")
    return name


def group_lookup_name(text: str) -> str:
    """The group a typed name refers to, compared casefolded by the store.

    Creation refuses invisible characters outright (the stored name must be
    what people see), so no two groups can differ only by them. A lookup
    drops them instead: a name pasted with a zero-width space, a stray BOM or
    a control character, or typed in fullwidth letters, still finds the group
    it looks like. Whitespace controls count as spaces; the rest vanish.
    """
    visible = "".join(
        c
        for c in unicodedata.normalize("NFKC", text)
        if c.isspace() or unicodedata.category(c) not in _INVISIBLE
    )
    return " ".join(visible.split())


def clean_reason(text: str) -> str:
    visible = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    reason = " ".join(visible.split())
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise UserError(f"say in {REASON_MIN} to {REASON_MAX} characters what is wrong")
    return reason


class GroupService:
    def __init__(self, *, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def create(self, space: SpaceKey, name: str, creator: UserRef) -> Group:
        return await self.store.create_group(
            space, clean_group_name(name), creator, self.clock.now()
        )

    async def join(self, space: SpaceKey, name: str, user: UserRef) -> Group:
        group = await self._find(space, name)
        if not await self.store.join_group(group.id, user, self.clock.now()):
            raise UserError(f"you are already in {group.name}")
        return group

    async def leave(self, space: SpaceKey, name: str, user: UserRef) -> Group:
        group = await self._find(space, name)
        if not await self.store.leave_group(group.id, user):
            raise UserError(f"you are not in {group.name}")
        return group

    async def in_space(self, space: SpaceKey) -> list[Group]:
        return await self.store.list_groups(space)

    async def mine(self, space: SpaceKey, user: UserRef) -> list[Group]:
        return await self.store.groups_of(space, user)

    async def _find(self, space: SpaceKey, name: str) -> Group:
        group = await self.store.find_group(space, group_lookup_name(name))
        if group is None:
            raise NotFound(f"there is no group called '{name.strip()}' here; see /group list")
        return group


class ReportService:
    def __init__(self, *, store: Store, bank: QuestionSource, clock: Clock) -> None:
        self.store = store
        self.bank = bank
        self.clock = clock

    async def report(
        self, channel: ChannelRef | None, user: UserRef, question_id: str, reason: str
    ) -> Report:
        qid = question_id.strip().lower()
        if self.bank.get(qid) is None:
            raise NotFound(
                f"there is no question '{question_id.strip()}'; the id is shown under each question"
            )
        space = channel.space_key if channel else None
        return await self.store.add_report(qid, space, user, clean_reason(reason), self.clock.now())

    async def open_reports(self, space: SpaceKey | None = None) -> list[Report]:
        return await self.store.open_reports(space)
