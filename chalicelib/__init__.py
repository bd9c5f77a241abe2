"""Core of the AI SRE automations service: everything app.py routes into."""
