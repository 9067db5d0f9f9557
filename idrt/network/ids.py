"""Finding network nodes by their source ids (OSM ids, CSV node indices)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["IdIndex"]


class IdIndex:
    """Where each of a set of distinct integer ids sits in the array that holds them.

    Built once per id array (an argsort), then answers by binary search.

    Parameters
    ----------
    ids : ndarray of int64, shape (n,)
        Distinct ids in array order, e.g. :attr:`idrt.network.RoadNetwork.node_ids`.

    Examples
    --------
    >>> index = IdIndex(np.array([40, 10, 30]))
    >>> rows, found = index.find(np.array([30, 40, 20]))
    >>> rows[found].tolist(), found.tolist()
    ([2, 0], [True, True, False])
    """

    def __init__(self, ids: NDArray[np.int64]) -> None:
        self._order = np.argsort(ids, kind="stable")
        self._sorted = ids[self._order]

    def find(self, ids: NDArray[np.integer]) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
        """Positions of ``ids`` in the indexed array, and which ids were found.

        Parameters
        ----------
        ids : ndarray of int, shape (k,)
            Ids to look up.

        Returns
        -------
        positions : ndarray of int64, shape (k,)
            Position of each id; meaningless where ``found`` is false.
        found : ndarray of bool, shape (k,)
            Whether the id is in the indexed array.
        """
        if self._sorted.size == 0:
            return np.zeros(ids.shape, dtype=np.int64), np.zeros(ids.shape, dtype=bool)
        pos = np.minimum(np.searchsorted(self._sorted, ids), self._sorted.size - 1)
        return self._order[pos], self._sorted[pos] == ids
