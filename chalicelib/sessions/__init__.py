"""Hidden agent sessions: messages, tool calls and artifacts of a run."""
