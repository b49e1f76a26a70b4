"""One command for every role a container plays: `l2c topics` provisions the topics and
`l2c api leads` serves the leads API alone (the image's entry point is `l2c`)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from devenv.kafka import KafkaBroker
from devenv.ports import free_port
from kernel.kafka import partitions_of
from kernel.topics import ALL_TOPICS

L2C = str(Path(sys.executable).with_name("l2c"))


def _topics_present(bootstrap: str) -> set[str]:
    from aiokafka import AIOKafkaConsumer

    async def names() -> set[str]:
        reader = AIOKafkaConsumer(bootstrap_servers=bootstrap)
        await reader.start()
        try:
            found = await partitions_of(reader, [t.name for t in ALL_TOPICS])
            return {tp.topic for tp in found}
        finally:
            await reader.stop()

    return asyncio.run(names())


def test_topics_then_one_api_role(kafka_broker: KafkaBroker, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "L2C_KAFKA_BOOTSTRAP": kafka_broker.bootstrap,
        "L2C_DATA_DIR": str(tmp_path),
    }
    done = subprocess.run([L2C, "topics"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _topics_present(kafka_broker.bootstrap) == {t.name for t in ALL_TOPICS}

    port, relay_port = free_port(), free_port()
    api = subprocess.Popen([L2C, "api", "leads", "--port", str(port)], env=env)
    relay = subprocess.Popen([L2C, "relay", "leads", "--port", str(relay_port)], env=env)
    try:
        _answering(port)
        # The API role alone: it answers, and it asks for an identity like the whole service.
        assert httpx.get(f"http://127.0.0.1:{port}/leads", timeout=5).status_code == 401
        # The relay role answers its probes and metrics, and serves no business route.
        _answering(relay_port)
        base = f"http://127.0.0.1:{relay_port}"
        ready = httpx.get(f"{base}/readyz", timeout=5)
        assert ready.status_code == 200 and "relay_backlog" in ready.json(), ready.text
        assert "l2c_http_requests_total" in httpx.get(f"{base}/metrics", timeout=5).text
        assert httpx.get(f"{base}/leads", timeout=5).status_code == 404
    finally:
        for process in (api, relay):
            process.terminate()
            process.wait(30)


def _answering(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError(f"nothing answered on port {port}")


def test_topics_waits_for_a_broker_that_starts_after_it(tmp_path: Path) -> None:
    """The provisioning job next to a broker still starting (compose, a Helm hook) waits
    for it instead of failing its first attempt."""
    port = free_port()
    env = {**os.environ, "L2C_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}", "L2C_DATA_DIR": str(tmp_path)}
    job = subprocess.Popen(
        [L2C, "topics"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    broker = KafkaBroker(tmp_path / "late-broker", port=port)
    try:
        time.sleep(3)
        assert job.poll() is None, job.communicate()
        broker.start()
        out, err = job.communicate(timeout=120)
        assert job.returncode == 0, err
        assert "creating the topics not possible yet" in err
        assert f"{len(ALL_TOPICS)} topics present" in out
        assert _topics_present(broker.bootstrap) == {t.name for t in ALL_TOPICS}
    finally:
        if job.poll() is None:
            job.kill()
        broker.stop()
