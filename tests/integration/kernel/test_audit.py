"""Tamper evidence on the real stores (SQLite and PostgreSQL): an untouched store verifies;
an event edited, deleted, inserted or moved directly in the database is named; rewriting
the chain to match does not survive the signed checkpoints; a wrong key is refused."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kernel import audit
from kernel.settings import Settings, audit_key_path
from services import cli
from services.deals.application import DealsApplication
from services.deals.domain.commands import CompleteAction
from tests.integration.deals.test_processes_api import open_deal
from tests.settings_support import settings_env

KEY = Ed25519PrivateKey.generate()


def deals_store(settings: Settings) -> DealsApplication:
    app = DealsApplication(settings)
    for _ in range(3):
        deal = uuid.UUID(open_deal(app))
        for action in ("need_confirmed", "demo_given"):
            app.dispatch(CompleteAction(deal_id=deal, action=action))
    return app


def sealed_store(settings: Settings) -> tuple[DealsApplication, audit.Seal]:
    app = deals_store(settings)
    seal = audit.Seal("deals", app.recorder, KEY, every=4)
    while seal.extend(limit=3):
        pass
    return app, seal


class Raw:
    """The events table, straight through the store's own connection (no application)."""

    def __init__(self, app: DealsApplication) -> None:
        recorder: Any = app.recorder
        self.datastore = recorder.datastore
        self.sqlite = type(recorder).__module__.startswith("eventsourcing.sqlite")
        events = recorder.events_table_name
        self.table = events if self.sqlite else f'"{self.datastore.schema}"."{events}"'
        self.id = "rowid" if self.sqlite else "notification_id"
        self.mark = "?" if self.sqlite else "%s"

    def run(self, statement: str, *params: Any) -> list[Any]:
        statement = statement.replace("?", self.mark).format(t=self.table, id=self.id)
        with self.datastore.transaction(commit=True) as c:
            c.execute(statement, params)
            try:
                rows = c.fetchall()
            except Exception:  # noqa: BLE001 - a statement without rows
                return []
            return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in rows]

    def ids(self) -> list[int]:
        return [int(r[0]) for r in self.run("SELECT {id} FROM {t} ORDER BY {id}")]

    def move(self, position: int, to: int) -> None:
        self.run("UPDATE {t} SET {id} = ? WHERE {id} = ?", to, position)


def _verify(app: DealsApplication, keys: list[Any] | None = None) -> audit.Report:
    return audit.verify("deals", app.recorder, keys or [KEY.public_key()])


def test_an_untouched_store_verifies_with_its_checkpoints(store_settings: Settings) -> None:
    app, seal = sealed_store(store_settings)
    report = _verify(app)
    stored = Raw(app).ids()
    assert report.ok, report.summary()
    assert report.events == report.chained == len(stored) > 9
    assert report.checkpoints == len(stored) // 4  # after every 4th event
    assert seal.checkpoint_now() == stored[-1]
    assert _verify(app).checkpoints == len(stored) // 4 + (len(stored) % 4 > 0)

    # Events stored after the seal are simply not sealed yet, until the next extend.
    open_deal(app)
    assert _verify(app).ok
    assert seal.extend() == 1 and _verify(app).chained == len(stored) + 1


def _edit(raw: Raw, ids: list[int]) -> None:
    raw.run("UPDATE {t} SET state = ? WHERE {id} = ?", b'{"forged": true}', ids[4])


def _delete(raw: Raw, ids: list[int]) -> None:
    raw.run("DELETE FROM {t} WHERE {id} = ?", ids[4])


def _insert(raw: Raw, ids: list[int]) -> None:
    # Make room after position 5 and put a copy of another stream's event there.
    for position in reversed(ids[5:]):
        raw.move(position, position + 1)
    source = raw.run("SELECT originator_id, topic, state FROM {t} WHERE {id} = ?", ids[0])[0]
    forged = uuid.uuid4()
    oid = forged.hex if raw.sqlite else forged
    if raw.sqlite:
        raw.run(
            "INSERT INTO {t} (rowid, originator_id, originator_version, topic, state) "
            "VALUES (?, ?, 0, ?, ?)",
            ids[5],
            oid,
            source[1],
            source[2],
        )
    else:
        raw.run(
            "INSERT INTO {t} (originator_id, originator_version, topic, state, {id}) "
            "VALUES (?, 0, ?, ?, ?)",
            oid,
            source[1],
            source[2],
            ids[5],
        )


def _swap(raw: Raw, ids: list[int]) -> None:
    raw.move(ids[2], -1)
    raw.move(ids[6], ids[2])
    raw.move(-1, ids[6])


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        (_edit, "altered: "),
        (_delete, "removed: "),
        (_insert, "inserted: "),
        (_swap, "moved: "),
    ],
    ids=["edit", "delete", "insert", "swap"],
)
def test_tampering_directly_in_the_store_is_named(
    store_settings: Settings, tamper: Callable[[Raw, list[int]], None], named: str
) -> None:
    app, _ = sealed_store(store_settings)
    raw = Raw(app)
    tamper(raw, raw.ids())
    report = _verify(app)
    assert not report.ok
    assert report.problems[0].startswith(named), report.summary()
    assert any("checkpoint" in p for p in report.problems), report.summary()


def _forge_chain(app: DealsApplication, seal: audit.Seal, checkpoints: bool) -> None:
    """Edit an event, then recompute the whole chain over the edited events with a key of
    the forger's own (and, with ``checkpoints``, replace the signed checkpoints too)."""
    raw = Raw(app)
    _edit(raw, raw.ids())
    raw.run(f"DELETE FROM {seal.tables.chain}")
    if checkpoints:
        raw.run(f"DELETE FROM {seal.tables.checkpoints}")
    forger = audit.Seal("deals", app.recorder, Ed25519PrivateKey.generate(), every=4)
    while forger.extend():
        pass


def test_a_rewritten_chain_does_not_match_the_signed_checkpoints(
    store_settings: Settings,
) -> None:
    app, seal = sealed_store(store_settings)
    _forge_chain(app, seal, checkpoints=False)
    report = _verify(app)
    assert not report.ok
    # The chain itself is consistent with the edited events now; the checkpoints are not.
    assert all("checkpoint" in p for p in report.problems), report.summary()
    assert any("no longer hash to the signed checkpoint" in p for p in report.problems), (
        report.summary()
    )


def test_replaced_checkpoints_are_refused_and_the_unsigned_chain_is_named(
    store_settings: Settings,
) -> None:
    app, seal = sealed_store(store_settings)
    _forge_chain(app, seal, checkpoints=True)
    report = audit.verify("deals", app.recorder, [KEY.public_key()], every=4)
    assert not report.ok
    assert report.checkpoints >= 2
    assert sum("signed by unknown key" in p for p in report.problems) == report.checkpoints
    assert report.problems[-1].startswith("unsigned: "), report.summary()
    # Without the interval the removed checkpoints alone are not visible, which is why
    # the command line passes the settings' interval.
    assert not any(
        p.startswith("unsigned: ")
        for p in audit.verify("deals", app.recorder, [KEY.public_key()]).problems
    )


def test_an_untouched_store_has_no_unsigned_tail_beyond_the_interval(
    store_settings: Settings,
) -> None:
    app, _ = sealed_store(store_settings)
    assert audit.verify("deals", app.recorder, [KEY.public_key()], every=4).ok


def test_checkpoints_do_not_verify_with_another_key(store_settings: Settings) -> None:
    app, _ = sealed_store(store_settings)
    report = _verify(app, [Ed25519PrivateKey.generate().public_key()])
    assert report.checkpoints >= 2
    assert len(report.problems) == report.checkpoints
    assert all("signed by unknown key" in p for p in report.problems)


def test_the_command_line_signs_and_verifies_and_exits_1_on_tampering(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in settings_env(store_settings).items():
        monkeypatch.setenv(name, value)
    app = deals_store(store_settings)  # sealed by the command line, with the settings' key
    data_dir = ["--data-dir", str(store_settings.data_dir)]

    assert cli.main([*data_dir, "audit", "checkpoint", "deals"]) == 0
    assert "deals: signed a checkpoint at log position" in capsys.readouterr().out
    assert cli.main([*data_dir, "audit", "verify", "deals"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("deals: ") and out.rstrip().endswith(": verified"), out

    # The public key in the one-line form the relay logs when it makes the key.
    logged = store_settings.data_dir / "logged.pem"
    pem = audit.public_path(audit_key_path(store_settings)).read_text()
    logged.write_text(pem.replace("\n", " "))
    assert cli.main([*data_dir, "audit", "verify", "deals", "--public-key", str(logged)]) == 0
    capsys.readouterr()

    _edit(Raw(app), Raw(app).ids())
    assert cli.main([*data_dir, "audit", "verify", "deals"]) == 1
    assert "altered: " in capsys.readouterr().out

    # Another public key than the signer's: every checkpoint is refused.
    other = store_settings.data_dir / "other.pub.pem"
    other.write_bytes(audit.public_pem(Ed25519PrivateKey.generate().public_key()))
    assert cli.main([*data_dir, "audit", "verify", "deals", "--public-key", str(other)]) == 1
    assert "signed by unknown key" in capsys.readouterr().out

    with pytest.raises(SystemExit):
        cli.main([*data_dir, "audit", "verify", "invoices"])
    assert "no store of invoices" in capsys.readouterr().err


def test_copies_on_the_audit_topic_expose_a_store_rewritten_with_its_checkpoints(
    store_settings: Settings,
) -> None:
    app, seal = sealed_store(store_settings)
    # What the relay copies to the topic, through the wire format and back.
    copies = [audit.checkpoint_of(audit.checkpoint_record(c)[1]) for c in seal.unpublished()]
    assert copies == seal.unpublished() and len(copies) >= 2
    seal.mark_published([c.position for c in copies])
    assert seal.unpublished() == []
    assert audit.verify("deals", app.recorder, [KEY.public_key()], 4, copies).ok

    _forge_chain(app, seal, checkpoints=True)
    report = audit.verify("deals", app.recorder, [KEY.public_key()], 4, copies)
    assert report.published == len(copies)
    assert any(
        "on the audit topic but not in the store's checkpoint table" in p for p in report.problems
    ), report.summary()
    assert any("no longer hash to the signed checkpoint" in p for p in report.problems)


def test_a_record_that_is_not_a_checkpoint_is_refused() -> None:
    from google.protobuf.message import DecodeError

    with pytest.raises(DecodeError):
        audit.checkpoint_of(b"\xff\xfe garbage")


def test_two_sealers_of_one_store_agree_on_the_chain_and_the_checkpoints(
    store_settings: Settings,
) -> None:
    app = deals_store(store_settings)
    first = audit.Seal("deals", app.recorder, KEY, every=4)
    second = audit.Seal("deals", app.recorder, KEY, every=4)
    while first.extend(limit=3) + second.extend(limit=2):
        pass
    ids = Raw(app).ids()
    report = _verify(app)
    assert report.ok, report.summary()
    assert report.chained == len(ids)
    # A checkpoint at every 4th stored event, whichever sealer got there first.
    assert [c.position for c in first.unpublished()] == ids[3::4]
