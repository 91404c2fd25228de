"""Run directories: the layout of a run's files, creating and resuming one, its lock."""
