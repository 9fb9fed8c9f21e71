"""The web console: front desk, supervisor audit and trainer replay (server-rendered)."""
