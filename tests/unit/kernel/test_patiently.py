"""Start-up waits for its dependencies for a while, then lets their error stand."""

from __future__ import annotations

import pytest

from kernel import service


def test_an_attempt_is_repeated_until_it_succeeds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service.time, "sleep", lambda _: None)
    failures = iter([ConnectionError("broker down"), ConnectionError("still down")])

    def attempt() -> str:
        error = next(failures, None)
        if error is not None:
            raise error
        return "up"

    assert service.patiently("connecting", attempt) == "up"


def test_past_its_patience_the_error_stands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "STARTUP_PATIENCE_SECONDS", 0.0)
    calls = []

    def attempt() -> None:
        calls.append(1)
        raise ConnectionError("never up")

    with pytest.raises(ConnectionError, match="never up"):
        service.patiently("connecting", attempt)
    assert len(calls) == 1
