"""The platform kernel: everything the services share, written once.

settings   — one settings model, read from L2C_* environment variables
domain     — base aggregate (version 0, event metadata), command context, typed errors, Money
store      — the event-sourced application base: persistence selection, idempotency keys,
             optimistic concurrency mapped to a typed conflict
topics     — the topic registry (name, key, value type) and dead-letter naming
contracts  — the protobuf envelope: domain event -> envelope, bytes -> envelope + payload
kafka      — producer/consumer/admin factories with the delivery settings in one place
relay      — ordered, resumable publication of a service's stored events to its topic
consumer   — policy consumers: decode, deduplicate, dead-letter, commit
telemetry  — OpenTelemetry set-up and W3C trace context through HTTP and Kafka headers
http       — FastAPI app factory: error mapping, idempotency/correlation headers, probes
service    — a service process: API, relay and policies under one supervisor
"""
