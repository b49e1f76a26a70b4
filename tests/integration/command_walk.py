"""What every command of a catalog must do over HTTP, checked one example at a time:
a stale If-Match is refused with 409 and writes nothing; an Idempotency-Key makes the
repeat answer the same and write nothing; the events carry the caller's metadata."""

from __future__ import annotations

import uuid
from typing import Any

from devenv.issuer import USER_ROLES
from kernel.commands import CommandSpec
from kernel.store import ServiceApplication
from tests.auth_support import TestClient, bearer


def walk(
    app: ServiceApplication,
    http: TestClient,
    spec: CommandSpec,
    url: str,
    body: dict[str, Any] | None,
    kind: type[Any],
    aggregate: uuid.UUID | str,
) -> dict[str, Any]:
    """Send one example of ``spec`` at ``url`` changing the aggregate ``aggregate`` (a
    name: it creates one, whose id the answer gives under that name). Returns the answer."""
    assert spec.route is not None
    method = spec.route.method
    aggregate_id = aggregate if isinstance(aggregate, uuid.UUID) else None
    exists = aggregate_id is not None and app.exists(aggregate_id)
    version = app.load(kind, aggregate_id).version if exists else None  # type: ignore[arg-type]
    before = app.recorder.max_notification_id()
    if spec.route.if_match:
        stale = http.request(
            method,
            url,
            json=body,
            headers={"If-Match": str((version or 0) + 7), "Idempotency-Key": f"stale-{spec.name}"},
        )
        assert stale.status_code == 409, (spec.name, stale.text)
        assert app.recorder.max_notification_id() == before, spec.name  # nothing written
    correlation = str(uuid.uuid4())
    headers = {"Idempotency-Key": f"key-{spec.name}", "X-Correlation-Id": correlation}
    headers.update(bearer("walker", USER_ROLES))  # the actor is the token's subject
    if version is not None and spec.route.if_match:
        headers["If-Match"] = str(version)
    first = http.request(method, url, json=body, headers=headers)
    assert first.status_code == spec.route.status, (spec.name, first.text)
    written = app.recorder.max_notification_id()
    assert written > before, spec.name
    again = http.request(method, url, json=body, headers=headers)
    assert (again.status_code, again.json()) == (first.status_code, first.json()), spec.name
    assert app.recorder.max_notification_id() == written, spec.name  # the repeat wrote nothing
    if aggregate_id is None:
        aggregate_id = uuid.UUID(str(first.json()[aggregate]))
    events = app.history(kind, aggregate_id)[0 if version is None else version + 1 :]
    assert events, spec.name
    for event in events:
        meta = event.metadata  # type: ignore[attr-defined]
        assert (meta["correlation_id"], meta["actor_id"]) == (correlation, "walker"), spec.name
        assert meta["actor_roles"] == " ".join(sorted(USER_ROLES)), spec.name
        assert meta["event_id"] and meta["occurred_at"]
    return dict(first.json())
