"""One place for the options every Numba kernel of idrt is compiled with.

Kernels import :data:`JIT` and :data:`PJIT` instead of spelling options out,
so that caching and fast-math are switched for the whole package at once.
``fastmath`` stays off: bit-for-bit reproducibility matters more than the
few per cent it would buy.
"""

from __future__ import annotations

from numba import njit

JIT = njit(cache=True, nogil=True)
"""Decorator for serial kernels: cached on disk, releases the GIL."""

PJIT = njit(cache=True, nogil=True, parallel=True)
"""Decorator for kernels that use ``numba.prange``."""
