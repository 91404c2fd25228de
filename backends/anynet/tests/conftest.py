"""Shared fixtures of the anynet tests: an isolated FLOP-table cache, one torch thread."""

from __future__ import annotations

from evogroup.testing.fixtures import flop_cache, one_thread, random_genome  # noqa: F401
