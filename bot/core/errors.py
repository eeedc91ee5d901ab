"""Errors the domain raises for people, not for programmers.

Adapters catch :class:`UserError` and show its message as it is (privately
on chat platforms); anything else is a bug and is logged with its traceback.
"""


class UserError(Exception):
    """A request that cannot be done as asked; the message says what is allowed."""


class NotFound(UserError):
    """The thing named does not exist (no schedule here, unknown group...)."""


class Forbidden(UserError):
    """The caller may not do this (admin-only command, acting for someone else)."""


class StoreBusy(UserError):
    """The database stayed locked by another writer for longer than the busy timeout.

    Raised by the storage layer instead of the driver's error, so a user who
    clicks while, say, a backup holds the lock is told that nothing was saved
    and to try again, rather than getting the generic "something went wrong".
    """

    MESSAGE = "the database is busy, so this was not saved; please try again in a moment"

    def __init__(self, message: str = MESSAGE) -> None:
        super().__init__(message)
