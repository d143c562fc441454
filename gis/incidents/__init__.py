"""Incidents (事件) and disputes (矛盾纠纷): their classification and the closed loop.

:mod:`gis.incidents.classes` holds the default two-level classification with handling
deadlines; :mod:`gis.incidents.loop` the statuses of the closed loop, the transitions allowed
between them and the overdue rule. The statistics live in :mod:`gis.hotspots`.
"""

from gis.incidents.classes import DEFAULT_CLASSES, SOURCES, IncidentClass
from gis.incidents.loop import STATUSES, TransitionError, check_transition, is_overdue

__all__ = [
    "DEFAULT_CLASSES", "SOURCES", "STATUSES", "IncidentClass", "TransitionError",
    "check_transition", "is_overdue",
]  # fmt: skip
