"""Local engines for `make run` and the tests: a real Kafka broker and a PostgreSQL cluster."""
