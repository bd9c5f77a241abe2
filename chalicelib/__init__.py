"""Core of the AI SRE automations service: everything app.py routes into."""

__version__ = "0.2.0"
