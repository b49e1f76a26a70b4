"""Settings come only from environment variables (prefix ``L2C_``), read in one place."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="L2C_", extra="ignore")

    data_dir: Path = Field(Path(".data"), description="SQLite stores, faust state, logs")
    deployment: str = Field(
        "",
        pattern=r"^[a-z0-9][a-z0-9-]{0,39}$|^$",
        description="prefix of every consumer group id: deployments sharing a cluster stay apart",
    )
    kafka_bootstrap: str = Field("127.0.0.1:9092", description="host:port[,host:port]")
    kafka_max_poll_interval_seconds: float = Field(
        300,
        ge=1,
        description="longest a consumer may spend on one batch before the group hands its "
        "partitions to another member (its next commit then fails and it re-reads)",
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT",
        description="PLAINTEXT only on a private network (make run's loopback broker); "
        "SASL_SSL with SCRAM in production; ACLs: kernel/kafka_acls.py",
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_username: str | None = Field(None, description="this process's Kafka principal")
    kafka_password: SecretStr | None = None
    topic_partitions: int = Field(3, ge=1)
    topic_replication_factor: int = Field(1, ge=1)

    store: Literal["sqlite", "postgres", "kurrentdb"] = "sqlite"
    postgres_host: str = "127.0.0.1"
    postgres_port: int = 5432
    postgres_dbname: str = "l2c"
    postgres_user: str = "l2c"
    postgres_password: str | None = None
    postgres_schema: str = ""
    kurrentdb_uri: str | None = None
    sqlite_synchronous: Literal["full", "normal"] = Field(
        "full",
        description="full: every answered command is on disk; normal: survives a process "
        "crash, a power cut may lose the last commits (see kernel/sqlite_store.py)",
    )
    personal_hash_key_file: str = Field(
        "",
        description="a file of 32 random bytes keying the hashes duplicate matching uses "
        "instead of personal values (default: made once and kept with the person keys)",
    )
    aggregate_cache_size: int = Field(
        2_000,
        ge=0,
        description="aggregates each process keeps in memory and brings up to date from "
        "the store on each load (0: replay every load)",
    )

    leads_url: str = "http://127.0.0.1:8001"
    deals_url: str = "http://127.0.0.1:8002"
    billing_url: str = "http://127.0.0.1:8003"
    insights_url: str = "http://127.0.0.1:8004"

    insights_tick_seconds: float = Field(
        60, ge=0, description="how often insights publishes a clock tick (0: never)"
    )
    insights_batch_seconds: float = Field(
        0.05,
        gt=0,
        le=5,
        description="longest the insights worker gathers records before folding and "
        "committing them (up to 2000 at a time): freshness against commits per second",
    )

    insights_cached_records: int = Field(
        5000,
        ge=0,
        description="records of the kinds that grow with the business (leads, deals, "
        "orders, invoices) the insights worker keeps in memory; the rest are read from its "
        "store",
    )
    insights_ready_lag: int = Field(
        10_000,
        ge=0,
        description="records the insights worker may have left to read and still report "
        "ready on /readyz (a worker further behind is catching up: 503)",
    )

    request_threads: int = Field(
        8,
        ge=1,
        le=256,
        description="worker threads per process for requests that read or write the store; "
        "more wait their turn (on two cores 6 threads cost about 3% less CPU per flow than "
        "40: fewer threads contend for the GIL; raise it for a store far away)",
    )
    relay_batch_size: int = Field(500, ge=1)
    relay_poll_seconds: float = Field(
        0.1,
        gt=0,
        description="how often the relay looks for events other processes stored "
        "(this process's commits wake it at once)",
    )
    relay_stall_seconds: float = Field(
        60, gt=0, description="backlog without progress this long makes /readyz not ready"
    )
    schema_registry_url: str | None = Field(
        None,
        description="a Confluent-compatible schema registry: when set, the relays register "
        "their topics' value schemas and frame records the registry way (off by default)",
        pattern=r"^https?://",
    )
    schema_registry_username: str | None = None
    schema_registry_password: SecretStr | None = None
    audit_key_file: Path | None = Field(
        None,
        description="the Ed25519 key (PEM) that signs the event stores' audit checkpoints "
        "(default: <data_dir>/audit/signing-key.pem, made when missing; its public key is "
        "written beside it as signing-key.pub.pem)",
    )
    audit_checkpoint_every: int = Field(
        1000, ge=1, description="a signed checkpoint after this many stored events"
    )
    max_event_bytes: int = Field(
        512 * 1024,
        ge=1024,
        le=900 * 1024,
        description="largest encoded event a command may store (below the topic's 1 MiB)",
    )

    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="largest HTTP request body (413 above it)"
    )
    max_import_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, description="largest CSV import body (413 above it)"
    )

    bind_host: str = Field(
        "127.0.0.1",
        description="address every HTTP server listens on: loopback unless a container or "
        "cluster puts the process behind its own network policy (then 0.0.0.0)",
    )

    auth_issuer: str = Field("l2c-dev", description="the 'iss' every bearer token must name")
    auth_audience: str = Field("l2c", description="the 'aud' every bearer token must name")
    auth_jwks_url: str | None = Field(
        None, description="the issuer's JWKS (https://.../.well-known/jwks.json)"
    )
    auth_jwks_file: Path | None = Field(
        None,
        description="a local JWKS instead of a URL (default: the development issuer's, "
        "<data_dir>/auth/jwks.json, made by `l2c run`)",
    )
    auth_algorithms: list[Literal["RS256", "ES256"]] = Field(["RS256", "ES256"])
    auth_leeway_seconds: float = Field(
        30, ge=0, le=300, description="clock skew allowed on exp and nbf"
    )
    webhook_secrets: dict[str, str] = Field(
        {},
        description='JSON {"erp": "<secret>", "telephony": "<secret>"}: integrations that '
        "sign their webhook calls (HMAC-SHA256, see kernel/signatures.py) instead of sending "
        "a bearer token",
    )
    webhook_tolerance_seconds: float = Field(
        300, ge=10, le=3600, description="how far a signed webhook's time may be from ours"
    )
    rate_limit: str = Field(
        "6000/minute",
        description="requests each identity may make to one process, as '<n>/<second|minute|"
        "hour>' (several joined with ';'; empty: no limit); over it: 429 with Retry-After",
    )

    otel_exporter: Literal["none", "otlp", "console", "jsonl"] = Field(
        "none",
        description="otlp: to a collector, configured by the standard OTEL_EXPORTER_OTLP_* "
        "variables (OTEL_TRACES_EXPORTER=otlp also selects it)",
    )
    otel_jsonl_path: Path | None = None
    log_level: str = "INFO"

    def group_id(self, name: str) -> str:
        """The consumer group id of ``name`` in this deployment."""
        return f"{self.deployment}.{name}" if self.deployment else name

    @model_validator(mode="after")
    def _required_for_backend(self) -> Settings:
        if self.store == "kurrentdb" and not self.kurrentdb_uri:
            raise ValueError(
                "L2C_STORE=kurrentdb needs L2C_KURRENTDB_URI (esdb://host:2113?Tls=false)"
            )
        if self.store == "postgres" and self.postgres_password is None:
            raise ValueError("L2C_STORE=postgres needs L2C_POSTGRES_PASSWORD")
        if self.kafka_security_protocol != "PLAINTEXT" and not (
            self.kafka_username and self.kafka_password
        ):
            raise ValueError(
                f"L2C_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "L2C_KAFKA_USERNAME and L2C_KAFKA_PASSWORD"
            )
        if self.otel_exporter == "jsonl" and self.otel_jsonl_path is None:
            raise ValueError("L2C_OTEL_EXPORTER=jsonl needs L2C_OTEL_JSONL_PATH")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings; a missing or invalid variable stops start-up with its name."""
    return Settings()


def audit_key_path(settings: Settings) -> Path:
    return settings.audit_key_file or Path(settings.data_dir) / "audit" / "signing-key.pem"
