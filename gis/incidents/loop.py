"""The closed loop of grid management (闭环): statuses, allowed transitions, overdue.

reported (上报) → accepted (立案) → dispatched (派遣: the deadline clock starts) → handled
(处置) → checked (核查) → closed (结案). A report may be rejected (不予立案) instead of
accepted; a check that fails sends the case back to dispatched (返工), which is how re-opened
cases are counted. Closed and rejected are final.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from gis.errors import ConflictError

#: Status → Chinese name, in loop order.
STATUSES = {
    "reported": "上报", "accepted": "立案", "dispatched": "派遣", "handled": "处置",
    "checked": "核查", "closed": "结案", "rejected": "不予立案",
}  # fmt: skip

#: Status → the statuses it may move to.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "reported": ("accepted", "rejected"),
    "accepted": ("dispatched",),
    "dispatched": ("handled",),
    "handled": ("checked", "dispatched"),
    "checked": ("closed",),
    "closed": (),
    "rejected": (),
}

#: Statuses after which the deadline no longer runs.
DONE = ("handled", "checked", "closed", "rejected")


class TransitionError(ConflictError):
    """A move the closed loop does not allow from the incident's present status."""


def check_transition(current: str, target: str) -> str:
    """Return ``target`` if the loop allows moving from ``current`` to it.

    Raises
    ------
    TransitionError
        Naming both statuses and the moves that are allowed.
    """
    if target not in STATUSES:
        raise TransitionError(
            f"unknown status {target!r}", fix=f"use one of: {', '.join(STATUSES)}"
        )
    allowed = TRANSITIONS[current]
    if target not in allowed:
        where = ", ".join(f"{s} ({STATUSES[s]})" for s in allowed) or "none: the case is final"
        raise TransitionError(
            f"an incident that is {current} ({STATUSES[current]}) cannot become {target} "
            f"({STATUSES[target]})",
            fix=f"allowed next: {where}",
        )
    return target


def due_at(dispatched_at: datetime, deadline_hours: float | None) -> datetime | None:
    """When handling is due: dispatch time plus the class deadline (``None`` if none)."""
    if deadline_hours is None:
        return None
    return dispatched_at + timedelta(hours=deadline_hours)


def is_overdue(due: datetime | None, handled_at: datetime | None, now: datetime) -> bool:
    """Whether a case missed its deadline: handled after it, or still open past it.

    Parameters
    ----------
    due : datetime or None
        The deadline (timezone-aware); no deadline is never overdue.
    handled_at : datetime or None
        When it was first handled; ``None`` while it is not.
    now : datetime
        The time to judge open cases at.
    """
    if due is None:
        return False
    return (handled_at or now) > due
