"""Measured latency of a backend's networks: per-layer tables, whole-network timings, the
correction that joins them, and their cache (see :mod:`evogroup.core.latency`)."""
