"""Everything about automation rules: validation, cron, time zones, tokens,
templates, storage."""
