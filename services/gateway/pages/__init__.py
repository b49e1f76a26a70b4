"""Pages for the people who run the business: funnel, pipeline and forecast, health,
cash, and one deal's timeline; server-rendered by the gateway (see ``routes``)."""
