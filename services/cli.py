"""``l2c``: the one command for what people do with the system.

    l2c run [--ports default|auto|fixed] [--no-demo]    the whole system on this machine
    l2c serve|api|relay|policies leads|deals|billing     one service role (a container's job)
    l2c gateway | l2c insights worker                   the gateway; the insights worker
    l2c topics                                          create the topics (provisioning)
    l2c issuer DIR                                      make a development issuer's key and JWKS
    l2c status                                          where the running stack is, and health
    l2c url gateway                                     one process's base URL (for scripts)
    l2c token --role ROLE [--team T] [--sub NAME]       a development bearer token
    l2c kafka-acls [--deployment D]                     the platform's Kafka ACLs, as commands
    l2c deadletters list|show|resubmit TOPIC [REF]      rejected records, and re-submission
    l2c insights rebuild                                every read model again from the topics
    l2c audit verify|checkpoint [SERVICE ...]           check a store's tamper evidence; sign now
    l2c import FILE [--report R] [--parallel N]         load a history of commands (JSON Lines)

Commands that talk to a running system find it the way a newcomer expects: ``L2C_*``
variables when they are set, otherwise the stack that ``make run`` started on the data
directory (``--data-dir``, ``L2C_DATA_DIR`` or ``.data``, via its ``run.json``).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from devenv.stack import StackNotRunning, pid_alive, read_stack

if TYPE_CHECKING:
    from devenv.issuer import DevIssuer
    from kernel.audit import Checkpoint
    from kernel.settings import Settings


def _data_dir(value: str | None) -> Path:
    return Path(value or os.environ.get("L2C_DATA_DIR", ".data")).resolve()


def _connect(data_dir: Path) -> None:
    """Point this process's settings at the running stack, unless L2C_KAFKA_BOOTSTRAP says
    where the broker is; a missing stack is an error that says what to do."""
    if "L2C_KAFKA_BOOTSTRAP" in os.environ:
        os.environ.setdefault("L2C_DATA_DIR", str(data_dir))
        return
    try:
        stack = read_stack(data_dir)
    except StackNotRunning as exc:
        raise SystemExit(f"l2c: {exc} (or set L2C_KAFKA_BOOTSTRAP)") from None
    for key, value in stack.env().items():
        os.environ.setdefault(key, value)


def _run(args: argparse.Namespace, rest: list[str]) -> int:
    from devenv.run import main as run

    run(([] if args.data_dir is None else ["--data-dir", args.data_dir]) + rest)
    return 0


def _status(args: argparse.Namespace, rest: list[str]) -> int:
    data_dir = _data_dir(args.data_dir)
    try:
        stack = read_stack(data_dir)
    except StackNotRunning as exc:
        print(f"l2c: {exc}", file=sys.stderr)
        return 1
    print(f"data       {data_dir}")
    print(f"kafka      {stack.kafka_bootstrap}")
    unhealthy = 0
    for name, url in stack.urls.items():
        try:
            health = httpx.get(f"{url}/healthz", timeout=2.0).status_code
        except httpx.HTTPError:
            health = 0
        unhealthy += health != 200
        print(f"{name:<10} {url}  {'ok' if health == 200 else 'not answering'}")
    return 1 if unhealthy else 0


def _url(args: argparse.Namespace, rest: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="l2c url")
    parser.add_argument("name", choices=["gateway", "leads", "deals", "billing", "insights"])
    name = parser.parse_args(rest).name
    try:
        stack = read_stack(_data_dir(args.data_dir))
    except StackNotRunning as exc:
        print(f"l2c: {exc}", file=sys.stderr)
        return 1
    print(stack.urls[name])
    return 0


def _import(args: argparse.Namespace, rest: list[str]) -> int:
    from devenv.issuer import IssuerAuth
    from services.importer import BearerTokens, main_import

    parser = argparse.ArgumentParser(
        prog="l2c import",
        description="Load an existing history through the gateway: JSON Lines of commands "
        "with business times and external ids, in order (see services/importer.py and the "
        "README, 'Audit and compliance'). Resumes from its report; running twice changes "
        "nothing.",
    )
    parser.add_argument("file", type=Path)
    parser.add_argument("--report", type=Path, help="per-line report (default FILE.report.jsonl)")
    parser.add_argument("--parallel", type=int, default=4, help="groups sent side by side")
    parser.add_argument(
        "--wait", type=float, default=60.0, help="seconds to wait for what a policy makes"
    )
    parser.add_argument("--gateway", default=os.environ.get("L2C_GATEWAY_URL", ""))
    parser.add_argument(
        "--token",
        default=os.environ.get("L2C_IMPORT_TOKEN", ""),
        help="a bearer token with the migration role (default: minted by the running "
        "stack's development issuer)",
    )
    parser.add_argument(
        "--erp-token",
        default=os.environ.get("L2C_IMPORT_ERP_TOKEN", ""),
        help="the ERP integration's token, for erp/... webhook lines",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    options = parser.parse_args(rest)
    if not options.file.is_file():
        print(f"l2c import: no file {options.file}", file=sys.stderr)
        return 2
    data_dir = _data_dir(args.data_dir)
    gateway = options.gateway
    if not gateway:
        try:
            gateway = read_stack(data_dir).urls["gateway"]
        except StackNotRunning as exc:
            print(f"l2c import: {exc} (or give --gateway)", file=sys.stderr)
            return 1
    auth: httpx.Auth
    if options.token:
        auth = BearerTokens(options.token, options.erp_token)
    else:
        issuer = _dev_issuer(data_dir, "l2c import (or give --token)")
        if issuer is None:
            return 1
        auth = IssuerAuth(issuer, "l2c-import", ["migration"])
    return main_import(
        options.file,
        gateway,
        auth,
        options.report,
        parallel=options.parallel,
        wait_seconds=options.wait,
        quiet=options.quiet,
    )


def _deadletters(args: argparse.Namespace, rest: list[str]) -> int:
    _connect(_data_dir(args.data_dir))
    from kernel.deadletters import main as deadletters

    return deadletters(rest, prog="l2c deadletters")


def _module(module: str, argv: list[str]) -> int:
    """Run a process's own entry point as ``python -m`` would (one image, one command)."""
    import runpy

    sys.argv = [module, *argv]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    return 0


def _role(part: str) -> Callable[[argparse.Namespace, list[str]], int]:
    def run(args: argparse.Namespace, rest: list[str]) -> int:
        if not rest or rest[0] not in ("leads", "deals", "billing"):
            raise SystemExit(f"usage: l2c {part} leads|deals|billing [--port N]")
        return _module(f"services.{rest[0]}", [part, *rest[1:]])

    return run


def _gateway(args: argparse.Namespace, rest: list[str]) -> int:
    return _module("services.gateway", rest)


def _issuer(args: argparse.Namespace, rest: list[str]) -> int:
    """A development issuer in DIR (kept if there): what compose's auth-init runs."""
    from devenv.issuer import DevIssuer

    if len(rest) != 1:
        raise SystemExit("usage: l2c issuer DIR")
    issuer = DevIssuer(Path(rest[0])).ensure()
    print(f"development issuer: {issuer.jwks_file}")
    return 0


def _topics(args: argparse.Namespace, rest: list[str]) -> int:
    import asyncio

    from kernel.kafka import ensure_topics
    from kernel.service import patiently
    from kernel.settings import get_settings
    from kernel.topics import ALL_TOPICS

    # Started next to a broker that may not serve yet (compose, a Helm hook): retried like
    # every role's start, then the error stands.
    settings = get_settings()
    patiently("creating the topics", lambda: asyncio.run(ensure_topics(settings, ALL_TOPICS)))
    print(f"{len(ALL_TOPICS)} topics present")
    return 0


def _insights(args: argparse.Namespace, rest: list[str]) -> int:
    if rest[:1] == ["worker"]:
        return _module("services.insights", rest[1:])
    if rest[:1] != ["rebuild"]:
        raise SystemExit("usage: l2c insights worker [--port N] | l2c insights rebuild [--quiet]")
    data_dir = _data_dir(args.data_dir)
    _connect(data_dir)
    from services.insights.rebuild import main as rebuild

    rebuild(rest[1:], prog="l2c insights rebuild")
    # A worker of a `make run` stack still serves the replaced store: stop it, and the
    # launcher starts it again on the rebuilt one (elsewhere, restart the worker yourself).
    try:
        worker = read_stack(data_dir).pids.get("insights", 0)
    except StackNotRunning:
        worker = 0
    if pid_alive(worker):
        os.kill(worker, signal.SIGTERM)
        print(f"stopped the insights worker (pid {worker}); `make run` starts it on the new store")
    return 0


def _dev_issuer(data_dir: Path, prog: str) -> DevIssuer | None:
    """The development issuer `make run` made on the data directory; None (and why, on
    stderr) when there is none."""
    from devenv.issuer import KEY_FILE, issuer_for
    from kernel.settings import Settings

    issuer = issuer_for(Settings(data_dir=data_dir))
    if (issuer.directory / KEY_FILE).exists():
        return issuer
    print(
        f"{prog}: no development issuer in {issuer.directory} (`make run` makes one)",
        file=sys.stderr,
    )
    return None


def _token(args: argparse.Namespace, rest: list[str]) -> int:
    from kernel.auth import ROLES

    parser = argparse.ArgumentParser(
        prog="l2c token",
        description="Mint a bearer token with the development issuer of `make run` "
        "(for a real issuer, ask it for tokens instead).",
    )
    parser.add_argument("--role", action="append", choices=ROLES, required=True)
    parser.add_argument("--team", action="append", default=[], help="a team the caller is in")
    parser.add_argument("--sub", default=os.environ.get("USER", "newcomer"), help="who")
    parser.add_argument(
        "--client", default="l2c-cli", help="OAuth client id (erp or telephony for integrations)"
    )
    parser.add_argument("--hours", type=float, default=8.0, help="lifetime")
    options = parser.parse_args(rest)
    issuer = _dev_issuer(_data_dir(args.data_dir), "l2c")
    if issuer is None:
        return 1
    print(
        issuer.mint(
            options.sub,
            options.role,
            teams=options.team,
            client_id=options.client,
            ttl_seconds=int(options.hours * 3600),
        )
    )
    return 0


def _kafka_acls(args: argparse.Namespace, rest: list[str]) -> int:
    import shlex

    from kernel.kafka_acls import acl_command_args, platform_acls

    parser = argparse.ArgumentParser(
        prog="l2c kafka-acls",
        description="Print the kafka-acls commands that grant each service and integration "
        "principal what it needs and nothing more (run them as a super user).",
    )
    parser.add_argument("--deployment", default=os.environ.get("L2C_DEPLOYMENT", ""))
    options = parser.parse_args(rest)
    for grant in platform_acls(options.deployment):
        command = [
            "kafka-acls.sh",
            "--bootstrap-server",
            "$BOOTSTRAP",
            "--command-config",
            "admin.properties",
            "--add",
            *acl_command_args(grant),
        ]
        print(" ".join(c if c.startswith("$") else shlex.quote(c) for c in command))
    return 0


STORED = ("leads", "deals", "billing")


def _audit(args: argparse.Namespace, rest: list[str]) -> int:
    from kernel import audit
    from kernel.relay import open_seal
    from kernel.settings import Settings, audit_key_path
    from kernel.store import open_recorder, persistence_env

    parser = argparse.ArgumentParser(
        prog="l2c audit",
        description="verify: recompute each store's hash chain from its events and check the "
        "signed checkpoints with the public key(s); names the first event altered, removed, "
        "inserted or moved (exit 1). checkpoint: chain what is stored and sign a checkpoint "
        "at its end now, with the signing key (e.g. before an audit). The store is the one "
        "the L2C_* settings name (default: the SQLite stores of the data directory).",
    )
    parser.add_argument("action", choices=("verify", "checkpoint"))
    parser.add_argument("service", nargs="*", help=f"of {', '.join(STORED)} (default: all)")
    parser.add_argument(
        "--public-key",
        action="append",
        type=Path,
        help="a trusted public key (PEM); repeat for rotated keys (default: the one beside "
        "the settings' signing key)",
    )
    parser.add_argument(
        "--from-topic",
        action="store_true",
        help="also check the checkpoints copied to the audit topic (l2c.audit.v1): each must "
        "still be in the store's table and hold (needs the broker: the running stack or "
        "L2C_KAFKA_BOOTSTRAP)",
    )
    options = parser.parse_args(rest)
    unknown = set(options.service) - set(STORED)
    if unknown:
        parser.error(f"no store of {', '.join(sorted(unknown))}; the stores: {', '.join(STORED)}")
    if options.from_topic:
        _connect(_data_dir(args.data_dir))
    settings = Settings(data_dir=_data_dir(args.data_dir))
    key_path = audit_key_path(settings)
    published = _audit_topic(settings) if options.from_topic else []
    failed = False
    for service in options.service or STORED:
        database = persistence_env(settings, service).get("SQLITE_DBNAME")
        if database is not None and not Path(database).exists():
            print(f"l2c audit: {service}: no store at {database}", file=sys.stderr)
            return 2
        try:
            recorder = open_recorder(settings, service)
            if options.action == "checkpoint":
                seal = open_seal(service, recorder, settings)
                if seal is None:
                    print(f"{service}: a {settings.store} store is not sealed")
                    continue
                while seal.extend():
                    pass
                print(f"{service}: signed a checkpoint at log position {seal.checkpoint_now()}")
                continue
            keys = [audit.load_public_key(p) for p in options.public_key or []]
            if not keys:
                keys = [audit.load_public_key(audit.public_path(key_path))]
            report = audit.verify(
                service, recorder, keys, settings.audit_checkpoint_every, published
            )
        except audit.NotSealable as exc:
            print(f"{service}: {exc}")
            continue
        except (OSError, ValueError) as exc:
            print(f"l2c audit: {service}: {exc}", file=sys.stderr)
            return 2
        print(report.summary())
        failed = failed or not report.ok
    return 1 if failed else 0


def _audit_topic(settings: Settings) -> list[Checkpoint]:
    """The checkpoints on the audit topic; a record that is not one is reported."""
    import asyncio

    from google.protobuf.message import DecodeError

    from kernel import audit
    from kernel.kafka import client_options, read_all
    from kernel.topics import AUDIT

    records = asyncio.run(
        read_all(settings.kafka_bootstrap, AUDIT.name, options=client_options(settings))
    )
    checkpoints = []
    for record in records:
        try:
            checkpoints.append(audit.checkpoint_of(record.value or b""))
        except (DecodeError, ValueError) as exc:
            print(
                f"l2c audit: {AUDIT.name} {record.partition}:{record.offset} is not a "
                f"checkpoint ({exc})",
                file=sys.stderr,
            )
    return checkpoints


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace, list[str]], int], str]] = {
    "run": (_run, "the whole system on this machine (Kafka, services, insights, gateway, demo)"),
    "serve": (_role("serve"), "one service with its API, relay and policies"),
    "api": (_role("api"), "one service's HTTP API only"),
    "relay": (_role("relay"), "one service's relay only (store -> Kafka)"),
    "policies": (_role("policies"), "one service's Kafka policies and clocks only"),
    "gateway": (_gateway, "the gateway (the public HTTP edge)"),
    "topics": (_topics, "create every topic the platform uses (idempotent)"),
    "issuer": (_issuer, "make a development token issuer (key and JWKS) in a directory"),
    "status": (_status, "where the running stack is and whether each process answers"),
    "url": (_url, "the base URL of one process of the running stack"),
    "token": (_token, "mint a development bearer token for a role (and teams)"),
    "kafka-acls": (_kafka_acls, "print the platform's Kafka ACLs as kafka-acls commands"),
    "deadletters": (_deadletters, "list, show and re-submit dead letters"),
    "insights": (_insights, "the insights worker, or a rebuild of its read models"),
    "audit": (_audit, "verify the stores' tamper evidence, or sign a checkpoint now"),
    "import": (_import, "load an existing history of commands (JSON Lines) through the gateway"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="l2c",
        description="The Lead-to-Cash backend's command line.",
        epilog="\n".join(f"  {name:<12} {text}" for name, (_, text) in COMMANDS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--data-dir", help="the stack's data directory (default: $L2C_DATA_DIR or .data)"
    )
    parser.add_argument("command", choices=sorted(COMMANDS), metavar="command")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    handler, _ = COMMANDS[args.command]
    return handler(args, args.args)


if __name__ == "__main__":
    sys.exit(main())
