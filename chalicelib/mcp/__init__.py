"""MCP servers: registered per account with the automations' personal/team
scope (servers.py), tested from the service through the outbound guard
(probe.py), and handed to a run's environment with their secrets resolved
(servers.for_run)."""
