"""Black-box contract tests: point them at any Novu-compatible base URL."""
