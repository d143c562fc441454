"""Domain errors of wangge.

These carry no HTTP status: ``api.errors`` maps each class to a status in one table.
Every error names the problem and, where one exists, the fix, so that a street-office
user can act on the message alone.
"""

from __future__ import annotations


class WanggeError(Exception):
    """Base class of every error wangge raises on purpose.

    Parameters
    ----------
    problem : str
        What is wrong, in one sentence.
    fix : str, optional
        What the user can do about it.
    feature : int or str, optional
        The feature (row number or id) the problem was found in, when there is one.
    """

    def __init__(self, problem: str, *, fix: str | None = None, feature: int | str | None = None):
        self.problem = problem
        self.fix = fix
        self.feature = feature
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The full message: problem, feature and fix."""
        text = self.problem
        if self.feature is not None:
            text = f"{text} (feature {self.feature})"
        if self.fix:
            text = f"{text}. Fix: {self.fix}"
        return text


class InputError(WanggeError):
    """Input data that cannot be used as it is (a user's file or request)."""


class FormatError(InputError):
    """A file that cannot be read: unknown format, truncated, empty or without geometry."""


class CRSError(InputError):
    """A missing, unknown or inconsistent coordinate reference system."""


class SchemaError(InputError):
    """Required fields missing, or values of the wrong type."""


class GeometryError(InputError):
    """Geometry that cannot be repaired or is of the wrong kind for the layer."""


class NotFoundError(WanggeError):
    """A named object (community, grid, layer…) does not exist."""


class ConflictError(WanggeError):
    """The request conflicts with what is stored (a duplicate, a stale version)."""


class DatabaseUnavailable(WanggeError):
    """The database cannot be reached."""
