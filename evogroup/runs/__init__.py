"""Orchestration of a command's run over any backend: pipeline, rank check, baselines, plots."""
