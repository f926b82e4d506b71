"""Message analysis: text in, typed signals out (pure core, no web/CLI/DB imports)."""
