"""Outbound network access, guarded."""
