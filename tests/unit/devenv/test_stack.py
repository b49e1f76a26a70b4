"""Finding the running stack (run.json) and choosing ports."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from devenv.run import DEFAULT_PORTS, choose_ports
from devenv.stack import RunningStack, StackNotRunning, read_stack
from services.cli import main as l2c


def test_a_written_stack_reads_back_while_its_launcher_lives(tmp_path: Path) -> None:
    stack = RunningStack(tmp_path, "127.0.0.1:1234", {"gateway": "http://x"}, pid=os.getpid())
    stack.write()
    assert read_stack(tmp_path) == stack
    assert stack.env()["L2C_KAFKA_BOOTSTRAP"] == "127.0.0.1:1234"


def test_a_stack_whose_launcher_died_is_not_running(tmp_path: Path) -> None:
    RunningStack(tmp_path, "127.0.0.1:1", {}, pid=2**22 + 12345).write()
    with pytest.raises(StackNotRunning, match="is not running"):
        read_stack(tmp_path)


def test_no_run_file_says_to_start_make_run(tmp_path: Path) -> None:
    with pytest.raises(StackNotRunning, match="make run"):
        read_stack(tmp_path)


def test_the_cli_refuses_to_guess_a_broker_without_a_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("L2C_KAFKA_BOOTSTRAP", raising=False)
    with pytest.raises(SystemExit, match="no stack is running"):
        l2c(["--data-dir", str(tmp_path), "deadletters", "list", "l2c.erp.inbound.v1"])


def test_the_cli_prints_a_process_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    RunningStack(tmp_path, "b:1", {"gateway": "http://127.0.0.1:9"}, pid=os.getpid()).write()
    assert l2c(["--data-dir", str(tmp_path), "url", "gateway"]) == 0
    assert capsys.readouterr().out.strip() == "http://127.0.0.1:9"


def hold(sock: socket.socket, port: int) -> None:
    """Listen on ``port`` (if something else already does, it is busy all the same)."""
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
    except OSError:
        pass


def test_a_busy_default_port_is_replaced_by_a_free_one() -> None:
    with socket.socket() as held:
        hold(held, DEFAULT_PORTS["gateway"])
        ports, notes = choose_ports("default")
    assert ports["gateway"] != DEFAULT_PORTS["gateway"]
    assert any("gateway" in note for note in notes)
    assert len(set(ports.values())) == len(ports)


def test_fixed_ports_refuse_a_busy_default() -> None:
    with socket.socket() as held:
        hold(held, DEFAULT_PORTS["leads"])
        with pytest.raises(SystemExit, match="already in use"):
            choose_ports("fixed")
