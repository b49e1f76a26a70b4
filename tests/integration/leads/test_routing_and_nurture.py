"""Routing, rejection, return to nurture, requalification and speed to lead, over a real store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from kernel.domain import CommandContext, command_context
from kernel.settings import Settings
from services.leads.adapters.firmographics import ReferenceFileProvider
from services.leads.application import LeadsApplication
from services.leads.domain.commands import AcceptLead, QualifyLead, ReturnLead
from services.leads.domain.lead import Contact, Lead
from services.leads.entrypoints.http import build_api
from tests.auth_support import TestClient


def capture(app: LeadsApplication, name: str, email: str, **contact: str) -> uuid.UUID:
    return uuid.UUID(app.capture_lead(Contact(name, email=email, **contact), "web_form")["lead_id"])


def test_qualified_leads_go_to_the_team_of_the_first_matching_rule_in_turn(
    store_settings: Settings,
) -> None:
    app = LeadsApplication(store_settings)
    reps = []
    for i in range(4):  # APAC + automation interest -> team apac, round robin
        lead_id = capture(
            app, f"Lead {i}", f"l{i}@firm{i}.cn", region="APAC", product_interest="automation"
        )
        routed = app.dispatch(QualifyLead(lead_id=lead_id, note="webinar"))
        assert (routed["status"], routed["team"]) == ("mql", "apac")
        reps.append(routed["rep"])
    assert reps == ["apac-chen", "apac-li", "apac-sato", "apac-chen"]
    other = capture(app, "Nobody Special", "n@somewhere.org")
    assert app.dispatch(QualifyLead(lead_id=other, note=""))["team"] == "inside-sales"
    routed = [e for e in app.history(Lead, other) if type(e).__name__ == "Routed"][0]
    assert routed.reason == "no rule matched: default queue (routing rules v1)"


def test_a_rejected_lead_is_rerouted_and_lands_in_the_manual_queue_when_no_rep_is_left(
    store_settings: Settings,
) -> None:
    http = TestClient(build_api(app := LeadsApplication(store_settings)))
    lead_id = capture(app, "Omar", "omar@shop.example")  # default queue: is-ana, is-tom
    first = app.dispatch(QualifyLead(lead_id=lead_id, note=""))["rep"]
    second = http.post(
        f"/leads/{lead_id}/assignment/reject",
        json={"rep_id": first, "reason": "consumer, not business"},
    ).json()
    assert second["rep"] != first and second["team"] == "inside-sales"
    wrong = http.post(
        f"/leads/{lead_id}/assignment/reject", json={"rep_id": first, "reason": "again"}
    )
    assert wrong.status_code == 409
    queued = http.post(
        f"/leads/{lead_id}/assignment/reject", json={"rep_id": second["rep"], "reason": "not mine"}
    ).json()
    assert (queued["in_manual_queue"], queued["rep"]) == (True, "")
    manual = http.post(
        f"/leads/{lead_id}/assign",
        json={"team": "smb-channel", "rep_id": "smb-omar", "note": "SMB desk"},
    )
    assert manual.status_code == 200 and manual.json()["rep"] == "smb-omar"
    bad = http.post(f"/leads/{lead_id}/assign", json={"team": "smb-channel", "rep_id": "ghost"})
    assert bad.status_code == 422


def test_a_returned_lead_waits_in_nurture_until_engagement_requalifies_and_reroutes_it(
    store_settings: Settings,
) -> None:
    app = LeadsApplication(store_settings)
    lead_id = capture(app, "Mei", "mei@robotics.cn", product_interest="automation")
    app.enrich_from(lead_id, ReferenceFileProvider(), as_of=datetime.now(UTC))
    lead = app.get_lead(lead_id)  # 62 points: MQL, routed to apac
    assert (lead.status.value, lead.team) == ("mql", "apac")
    app.dispatch(ReturnLead(lead_id=lead_id, rep_id=lead.rep, reason="evaluating next year"))
    assert (app.get_lead(lead_id).status.value, app.get_lead(lead_id).pool) == ("nurturing", "warm")
    app.record_engagement(lead_id, "event_attended", datetime.now(UTC), ref="expo-17")
    back = app.get_lead(lead_id)
    assert (back.status.value, back.team) == ("mql", "apac")
    names = [type(e).__name__ for e in app.history(Lead, lead_id)]
    assert names[-4:] == ["EngagementRecorded", "Scored", "Requalified", "Routed"]
    requalified = [e for e in app.history(Lead, lead_id) if type(e).__name__ == "Requalified"]
    assert requalified[-1].reason.startswith("score 77.0 reached threshold 50")


def test_a_lead_not_touched_by_its_deadline_gets_a_speed_to_lead_missed_event(
    store_settings: Settings,
) -> None:
    app = LeadsApplication(store_settings)
    long_ago = datetime(2026, 1, 5, 9, tzinfo=UTC)
    with command_context(CommandContext(occurred_at=long_ago)):
        late = capture(app, "Late", "late@x.org")
        app.dispatch(QualifyLead(lead_id=late, note=""))
        touched = capture(app, "Touched", "t@y.org")
        app.dispatch(QualifyLead(lead_id=touched, note=""))
    app.dispatch(AcceptLead(lead_id=touched, note="called within the hour"))
    assert app.flag_missed_deadlines(datetime.now(UTC)) == [str(late)]
    assert app.flag_missed_deadlines(datetime.now(UTC)) == []  # once only
    missed = [e for e in app.history(Lead, late) if type(e).__name__ == "SpeedToLeadMissed"][0]
    # Grade D (never scored): 4320 minutes after the routing, dated at the deadline.
    assert missed.deadline_at == long_ago + timedelta(minutes=4320)
    assert missed.metadata["occurred_at"] == missed.deadline_at.isoformat()
    assert missed.metadata["actor_id"] == "leads.speed-to-lead-clock"
