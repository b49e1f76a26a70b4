import copy
import json

from devenv.proto_compat import LOCK, breaking_changes, current_snapshot


def test_the_contract_generated_from_proto_is_compatible_with_the_released_one() -> None:
    assert breaking_changes(json.loads(LOCK.read_text()), current_snapshot()) == []


def test_adding_a_field_or_a_message_is_not_a_breaking_change() -> None:
    released = current_snapshot()
    grown = copy.deepcopy(released)
    grown["l2c.v1.LeadCaptured"]["fields"]["99"] = {
        "name": "industry",
        "type": "string",
        "repeated": False,
        "oneof": "",
    }
    grown["l2c.v1.LeadNurtured"] = {"kind": "message", "fields": {}}
    assert breaking_changes(released, grown) == []


def test_removing_renumbering_or_retyping_a_field_is_refused_with_each_break_named() -> None:
    released = current_snapshot()
    broken = copy.deepcopy(released)
    fields = broken["l2c.v1.LeadCaptured"]["fields"]
    del fields["2"]  # full_name
    fields["3"]["type"] = "bytes"  # email
    fields["4"]["name"] = "organisation"  # company
    del broken["l2c.v1.DealLost"]
    assert sorted(breaking_changes(released, broken)) == [
        "l2c.v1.DealLost was removed",
        "l2c.v1.LeadCaptured field 2 (full_name) was removed",
        "l2c.v1.LeadCaptured field 3 (email) changed its type: 'string' -> 'bytes'",
        "l2c.v1.LeadCaptured field 4 (company) changed its name: 'company' -> 'organisation'",
    ]


def test_moving_a_field_into_or_out_of_a_oneof_is_refused() -> None:
    released = current_snapshot()
    broken = copy.deepcopy(released)
    broken["l2c.v1.ErpInboundMessage"]["fields"]["10"]["oneof"] = ""
    assert breaking_changes(released, broken) == [
        "l2c.v1.ErpInboundMessage field 10 (payment_received) changed its oneof: 'body' -> ''"
    ]
