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
