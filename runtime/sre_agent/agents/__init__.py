"""Agent backends that work a run's session, behind one small interface."""
