"""Users, teams, memberships, API keys, runners and who may do what."""
