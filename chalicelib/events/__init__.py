"""Events: ingestion, our own run events, event triggers (reactive and proactive)."""
