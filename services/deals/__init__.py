"""Deals: opportunities opened from converted leads, moved through a sales pipeline, closed."""
