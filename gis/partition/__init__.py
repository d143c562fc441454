"""Grid partition: split communities into grids of about 300 households.

See :class:`GridPartitioner`; quality measures are in :mod:`gis.metrics`.
"""

from gis.partition.params import PartitionParams
from gis.partition.solver import GridPartitioner, PartitionResult

__all__ = ["GridPartitioner", "PartitionParams", "PartitionResult"]
