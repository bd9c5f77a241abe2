"""Runs: their records, the runs queue, the trigger URL, run history."""
