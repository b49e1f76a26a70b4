"""The topic catalog is read from proto/, and the README's table and GET /topics are it."""

from __future__ import annotations

from devenv.catalog import README, current, render
from kernel.catalog import catalog, event_types, uncatalogued_messages
from kernel.settings import Settings
from kernel.topics import LEADS, TopicSpec
from services.gateway.app import build_gateway
from tests.auth_support import TestClient


def test_every_message_in_proto_is_on_a_topic_or_part_of_another() -> None:
    assert uncatalogued_messages() == []


def test_a_message_on_no_topic_is_reported() -> None:
    # Given a registry that forgets the insights topic's file
    # Then its event types count as uncatalogued (the check can fail).
    import kernel.catalog as module

    original = module.ALL_TOPICS
    module.ALL_TOPICS = tuple(t for t in original if not t.name.startswith("l2c.insights"))
    try:
        missing = uncatalogued_messages()
    finally:
        module.ALL_TOPICS = original
    assert "l2c.v1.HealthThresholdBreached" in missing
    assert "l2c.v1.ClockTicked" in missing


def test_event_types_come_from_the_proto_files_and_wrappers() -> None:
    leads = event_types(LEADS)
    # the four types the hand-written table once left out are there
    for name in (
        "AccountQuadrantChanged",
        "AccountRelationshipLevelChanged",
        "LeadAbsorbedDuplicate",
        "LeadAbsorptionUndone",
    ):
        assert any(t.endswith(name) for t in [*leads, *_all_types()]), name
    assert "l2c.v1.RuleSetPublished" in leads
    assert "l2c.v1.DuplicateMatch" not in leads  # a part of LeadDuplicateFlagged
    wrapper = TopicSpec("t", "k", "l2c.v1.ErpInboundMessage", "", ("l2c.v1.ErpInboundMessage",))
    assert set(event_types(wrapper)) == {
        "l2c.v1.ErpPaymentReceived",
        "l2c.v1.ErpInvoicePosted",
        "l2c.v1.ErpShipmentPosted",
        "l2c.v1.ErpMilestoneReported",
    }


def _all_types() -> list[str]:
    return [t for entry in catalog() for t in entry.event_types]


def test_the_readme_topic_table_is_the_generated_one() -> None:
    assert current(README.read_text()) == render(), "run `make catalog`"


def test_every_event_type_appears_in_the_readme() -> None:
    table = current(README.read_text())
    for name in _all_types():
        assert f"`{name.removeprefix('l2c.v1.')}`" in table


def test_the_gateway_serves_the_same_catalog(tmp_path) -> None:  # type: ignore[no-untyped-def]
    api = build_gateway(Settings(data_dir=tmp_path))
    with TestClient(api) as client:
        served = client.get("/topics").json()
    assert served == [entry.as_json() for entry in catalog()]
    by_name = {t["name"]: t for t in served}
    assert by_name["l2c.insights.v1"]["headers"] == [
        "event_id",
        "event_type",
        "content-type",
        "traceparent",
    ]
    assert "l2c.v1.ForecastSnapshotTaken" in by_name["l2c.insights.v1"]["event_types"]


def test_the_gateway_serves_the_descriptor_set_that_decodes_any_record_in_one_step(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    import subprocess
    import sys

    from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
    from l2c.v1 import envelope_pb2, leads_pb2

    api = build_gateway(Settings(data_dir=tmp_path))
    with TestClient(api) as client:
        served = client.get("/contracts/l2c.v1.binpb")
        again = client.get("/contracts/l2c.v1.binpb")
    assert served.status_code == 200, served.text
    assert served.headers["content-type"] == "application/x-protobuf"
    assert served.headers["etag"] == again.headers["etag"]
    assert served.content == again.content

    # Only the served bytes, in a pool of its own: no project code involved.
    files = descriptor_pb2.FileDescriptorSet.FromString(served.content)
    names = [f.name for f in files.file]
    assert "google/protobuf/any.proto" in names and "l2c/v1/audit.proto" in names
    assert names.index("google/protobuf/any.proto") < names.index("l2c/v1/envelope.proto")
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    for entry in catalog():
        for name in entry.event_types:
            assert pool.FindMessageTypeByName(name).full_name == name

    record = envelope_pb2.EventEnvelope(event_type="l2c.v1.LeadCaptured", aggregate_id="a-1")
    record.payload.Pack(leads_pb2.LeadCaptured(lead_id="a-1", company="Acme", source="web"))
    envelope_class = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("l2c.v1.EventEnvelope")
    )
    decoded = json_format.MessageToDict(
        envelope_class.FromString(record.SerializeToString()), descriptor_pool=pool
    )
    assert decoded["payload"] == {
        "@type": "type.googleapis.com/l2c.v1.LeadCaptured",
        "leadId": "a-1",
        "company": "Acme",
        "source": "web",
    }

    # protoc with the set alone (no proto/ checkout) decodes the envelope, and the payload
    # by the type its type_url names (protoc prints an Any's value as bytes).
    path = tmp_path / "l2c.v1.binpb"
    path.write_bytes(served.content)

    def protoc_decode(message: str, data: bytes) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "grpc_tools.protoc", f"--descriptor_set_in={path}",
             f"--decode={message}", "l2c/v1/envelope.proto", "l2c/v1/leads.proto"],
            input=data, capture_output=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout.decode()

    text = protoc_decode("l2c.v1.EventEnvelope", record.SerializeToString())
    assert 'type_url: "type.googleapis.com/l2c.v1.LeadCaptured"' in text
    assert 'company: "Acme"' in protoc_decode("l2c.v1.LeadCaptured", record.payload.value)
