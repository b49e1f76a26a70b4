"""Gateway: the read side over HTTP (funnel, reconciliation, deal histories)."""
