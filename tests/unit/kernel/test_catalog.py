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
