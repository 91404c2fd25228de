"""Executors: where fitness calls run (this process, a process pool, Ray actors)."""
