"""DynamoDB tables, through pynamodb."""
