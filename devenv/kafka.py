"""A single-node Apache Kafka broker (KRaft, combined broker+controller) run from the jars
that `make kafka-jars` fetched from Maven Central into .cache/kafka/lib.

Used by `make run` (data kept under .data/kafka across restarts) and by the session-scoped
test fixture (data in a temporary directory).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from devenv.children import die_with_parent
from devenv.ports import free_port, port_accepts
from kernel.kafka_acls import Grant, acl_command_args

REPO_ROOT = Path(__file__).resolve().parent.parent
KAFKA_LIB = REPO_ROOT / ".cache" / "kafka" / "lib"
# Fixed so that a data directory formatted once can be started again.
CLUSTER_ID = "l2cLocalKRaftClstr0001"[:22]

LOG4J2 = """\
status = error
appender.console.type = Console
appender.console.name = STDERR
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.console.ref = STDERR
logger.raft.name = kafka.server.KafkaRaftServer
logger.raft.level = INFO
logger.kafka.name = kafka.Kafka
logger.kafka.level = INFO
"""


class BrokerError(RuntimeError):
    pass


SCRAM = "SCRAM-SHA-512"


def _jaas(user: str, password: str) -> str:
    return (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{user}" password="{password}";'
    )


@dataclass
class KafkaBroker:
    """Formats (once) and starts a broker; `stop()` shuts it down cleanly."""

    data_dir: Path
    port: int = 0
    controller_port: int = 0
    log_file: Path | None = None
    partitions: int = 3
    # SCRAM users (name -> password): the client listener then wants SASL (SCRAM-SHA-512)
    # and ACLs decide; "admin" (a super user) must be among them. None: PLAINTEXT, no ACLs.
    users: dict[str, str] | None = None
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started_in_seconds: float = 0.0

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The broker process's id (0 when it is not running)."""
        return self._proc.pid if self._proc is not None else 0

    def _java(self) -> str:
        java = shutil.which("java")
        if not java:
            raise BrokerError("java is not on PATH; Kafka 4.x needs Java 17 or newer")
        return java

    def _classpath(self) -> str:
        if not any(KAFKA_LIB.glob("kafka_2.13-*.jar")):
            raise BrokerError(f"Kafka jars missing in {KAFKA_LIB}: run `make kafka-jars`")
        return f"{KAFKA_LIB}/*"

    @property
    def secured(self) -> bool:
        return self.users is not None

    def client_properties(self, user: str) -> dict[str, str]:
        """What a Java client (the admin tools) needs to log in as ``user``."""
        assert self.users is not None
        return {
            "bootstrap.servers": self.bootstrap,
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": SCRAM,
            "sasl.jaas.config": _jaas(user, self.users[user]),
        }

    def _write_config(self) -> Path:
        self.port = self.port or free_port()
        self.controller_port = self.controller_port or free_port()
        logs = self.data_dir / "log"
        client = "SASL_PLAINTEXT" if self.secured else "PLAINTEXT"
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"{client}://127.0.0.1:{self.port},"
            f"CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"{client}://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": client,
            "listener.security.protocol.map": f"{client}:{client},CONTROLLER:PLAINTEXT",
            "log.dirs": str(logs),
            "num.partitions": str(self.partitions),
            "auto.create.topics.enable": "true",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "3",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "3",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "num.network.threads": "2",
            "num.io.threads": "2",
            "num.recovery.threads.per.data.dir": "1",
            "background.threads": "2",
            "log.cleaner.threads": "1",
            "log.cleaner.dedupe.buffer.size": "4194304",
        }
        if self.users is not None:
            if "admin" not in self.users:
                raise BrokerError("a secured broker needs an 'admin' user (its super user)")
            props |= {
                "sasl.enabled.mechanisms": SCRAM,
                "sasl.mechanism.inter.broker.protocol": SCRAM,
                f"listener.name.sasl_plaintext.{SCRAM.lower()}.sasl.jaas.config": _jaas(
                    "admin", self.users["admin"]
                ),
                "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                # The controller listener is loopback-only and carries the node's own
                # requests (PLAINTEXT, so its principal is ANONYMOUS).
                "super.users": "User:admin;User:ANONYMOUS",
                "allow.everyone.if.no.acl.found": "false",
            }
        conf = self.data_dir / "server.properties"
        conf.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        (self.data_dir / "log4j2.properties").write_text(LOG4J2)
        return conf

    def start(self, timeout: float = 90.0) -> KafkaBroker:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        begun = time.monotonic()
        conf = self._write_config()
        java, cp = self._java(), self._classpath()
        jvm = [
            "-Xms128m",
            "-Xmx384m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.properties'}",
        ]
        fmt = subprocess.run(
            [
                java,
                *jvm,
                "-cp",
                cp,
                "kafka.tools.StorageTool",
                "format",
                "-t",
                CLUSTER_ID,
                "-c",
                str(conf),
                "--ignore-formatted",
                *(
                    arg
                    for name, password in (self.users or {}).items()
                    for arg in ("--add-scram", f"{SCRAM}=[name={name},password={password}]")
                ),
            ],
            capture_output=True,
            text=True,
        )
        if fmt.returncode != 0:
            raise BrokerError(f"formatting Kafka storage failed:\n{fmt.stdout}\n{fmt.stderr}")
        log_path = self.log_file or (self.data_dir / "broker.log")
        log = open(log_path, "ab")  # noqa: SIM115 - handed to the child process
        self._proc = subprocess.Popen(
            [java, *jvm, "-cp", cp, "kafka.Kafka", str(conf)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        log.close()
        deadline = begun + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BrokerError(
                    f"Kafka exited with {self._proc.returncode}; see {log_path}:\n"
                    + log_path.read_text()[-3000:]
                )
            if port_accepts(self.port) and "Kafka Server started" in log_path.read_text(
                errors="replace"
            ):
                self.started_in_seconds = time.monotonic() - begun
                return self
            time.sleep(0.2)
        self.stop()
        raise BrokerError(f"Kafka did not start within {timeout}s; see {log_path}")

    def apply_acls(self, grants: list[Grant]) -> None:
        """Add ``grants`` with Kafka's own ``kafka-acls`` tool, logged in as ``admin``."""
        if not self.secured:
            raise BrokerError("ACLs need a secured broker (users=...)")
        config = self.data_dir / "admin-client.properties"
        config.write_text("".join(f"{k}={v}\n" for k, v in self.client_properties("admin").items()))
        config.chmod(0o600)
        for grant in grants:
            done = subprocess.run(
                [
                    self._java(),
                    "-Xmx128m",
                    "-XX:TieredStopAtLevel=1",
                    f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.properties'}",
                    "-cp",
                    self._classpath(),
                    "org.apache.kafka.tools.AclCommand",
                    "--bootstrap-server",
                    self.bootstrap,
                    "--command-config",
                    str(config),
                    "--add",
                    *acl_command_args(grant),
                ],
                capture_output=True,
                text=True,
                timeout=120,
            )
            if done.returncode != 0:
                raise BrokerError(f"kafka-acls refused {grant}:\n{done.stdout}\n{done.stderr}")

    def exit_code(self) -> int | None:
        """The broker process's exit code once it has exited, else None."""
        return self._proc.poll() if self._proc is not None else None

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM lets the broker shut down cleanly; SIGKILL only if it hangs."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def __enter__(self) -> KafkaBroker:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
