"""Exceptions raised by zz_core. Each carries one plain sentence a user can act on."""

from __future__ import annotations


class ZzError(Exception):
    """Base class for every error zz_core raises on purpose."""


class AudioDecodeError(ZzError):
    """The input could not be turned into audio we can analyse.

    The message says why (not audio, truncated, empty, too short, NaN samples,
    unsupported container, ffmpeg missing, ...) and never holds a traceback.
    """


class UnknownOptionError(ZzError):
    """A genre, subgenre, context or other named option was not recognised."""


class NotFoundError(ZzError):
    """The object does not exist, or it belongs to another user (the two look the same)."""


class InvalidValueError(ZzError, ValueError):
    """A name, role or kind that cannot be stored."""


class AlreadyExistsError(ZzError):
    """A unique value (a username) is already taken."""


class SignInError(ZzError):
    """A sign-in (or a password check) was refused: wrong credentials, or too many
    attempts (``SignInLockedError``)."""


class SignInLockedError(SignInError):
    """Too many failed sign-ins for this account or this client: refused without looking
    at the password until the lock ends (``retry_after_s`` seconds from now)."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
