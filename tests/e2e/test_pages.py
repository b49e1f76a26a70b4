"""The pages in a real browser: Debian's Chromium, headless, driven over the DevTools
protocol (``devenv.browser``), against the stack `make run` starts with its demo data.

Each page's figures are read from the page and compared with the API's answer for the
same read model; a screenshot of each is saved under the test's output (and, with
``L2C_PAGE_SCREENSHOTS=<dir>``, there too: ``make screenshots`` refreshes the README's).
Then the roles: a page a role may not see answers 403, a section it may not see says so.
Then a person's way in: signing in with the keyboard only, the session cookie, and the
page updating itself when a new lead arrives.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from devenv.browser import Browser
from tests.auth_support import ISSUER, auth, bearer
from tests.e2e.support import Launched, l2c_run, wait_until

DEMO_FUNNEL = {"lead": 4, "mql": 3, "sql": 2, "deal": 2, "won": 1, "invoiced": 1, "paid": 0}
BOSS = {"subject": "boss", "roles": ["manager", "finance", "auditor"]}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("pages")
    # No clock ticks: the figures a page shows and the API's stay comparable.
    run = Launched(l2c_run(data_dir), data_dir, {"L2C_INSIGHTS_TICK_SECONDS": "0"})
    try:
        run.wait_for("ready", 300)
        url = run.run_file()["urls"]["gateway"]
        wait_until(lambda: api(url, "/insights/funnel") and funnel_counts(url) == DEMO_FUNNEL)
        wait_until(lambda: api(url, "/insights/reconciliation")["mismatch_counts"] is not None)
        yield url
    finally:
        if run.proc.poll() is None:
            run.stop()


@pytest.fixture()
def shots(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    kept = os.environ.get("L2C_PAGE_SCREENSHOTS")
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        for shot in tmp_path.glob("*.png"):
            shutil.copy(shot, Path(kept) / shot.name)


def api(gateway: str, path: str, **params: str) -> Any:
    answer = httpx.get(f"{gateway}{path}", params=params, timeout=30, auth=auth(**BOSS))
    answer.raise_for_status()
    return answer.json()


def funnel_counts(gateway: str) -> dict[str, int]:
    return {s["step"]: s["count"] for s in api(gateway, "/insights/funnel")["steps"]}


def token(subject: str, roles: list[str], teams: list[str] | None = None) -> str:
    return ISSUER.mint(subject, roles, teams=teams or [])


def as_user(subject: str, roles: list[str]) -> dict[str, str]:
    return bearer(subject, roles)


async def open_page(browser: Browser, url: str, headers: dict[str, str]) -> int:
    status = await browser.open(url, headers)
    # Nothing of a page comes from anywhere but the gateway (no CDN).
    origins = await browser.evaluate(
        "[...new Set(performance.getEntriesByType('resource').map(e => new URL(e.name).origin))]"
    )
    assert all(origin == url.split("/pages")[0] for origin in origins), origins
    return status


async def texts(browser: Browser, selector: str, attribute: str) -> list[str]:
    found: list[str] = await browser.evaluate(
        f"[...document.querySelectorAll({selector!r})].map(e => e.dataset.{attribute})"
    )
    return found


async def test_each_page_shows_what_the_api_answers(gateway: str, shots: Path) -> None:
    boss = as_user(BOSS["subject"], BOSS["roles"])
    async with Browser() as browser:
        # Funnel: every step's count and the duplicates, and each team's table.
        assert await open_page(browser, f"{gateway}/pages/funnel", boss) == 200
        answer = api(gateway, "/insights/funnel")
        steps = await browser.evaluate(
            "[...document.querySelectorAll('#funnel-steps tr[data-step]')]"
            ".map(r => [r.dataset.step, Number(r.querySelector('[data-count]').dataset.count)])"
        )
        assert steps == [[s["step"], s["count"]] for s in answer["steps"]]
        assert await texts(browser, "[data-duplicates]", "duplicates") == [
            str(answer["duplicates"])
        ]
        shown_time = await browser.evaluate("document.querySelector('.as-of').dataset.eventTime")
        assert shown_time == (answer["as_of"]["event_time"] or "")
        teams = api(gateway, "/insights/funnel/teams")
        for team in teams["teams"]:
            counts = await browser.evaluate(
                f'[...document.querySelectorAll(\'table.team[data-team="{team["team"]}"] '
                "tr[data-step]')].map(r => Number(r.querySelector('[data-count]')"
                ".dataset.count))"
            )
            assert counts == [s["count"] for s in team["steps"]], team["team"]
            leak = team.get("leaks_most_at")
            marked = await browser.evaluate(
                f'[...document.querySelectorAll(\'table.team[data-team="{team["team"]}"] '
                "tr.leak')].map(r => r.dataset.step + ':' + r.textContent.includes('Leak'))"
            )
            assert marked == ([f"{leak['to']}:true"] if leak else []), team["team"]
        # Every chart is a named picture beside its table; every control has a label.
        assert await browser.evaluate(
            "[...document.querySelectorAll('figure svg')].every(s => s.getAttribute('role') "
            "=== 'img' && s.getAttribute('aria-label'))"
        )
        assert await browser.evaluate(
            "[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
            ".every(e => e.labels.length > 0)"
        )
        await browser.screenshot(shots / "funnel.png")

        # Pipeline: each row's weighted amount; accuracy per team.
        assert await open_page(browser, f"{gateway}/pages/pipeline", boss) == 200
        forecast = api(gateway, "/insights/forecast", grain="month")
        rows = await browser.evaluate(
            "[...document.querySelectorAll('#pipeline tr[data-period]')].map(r => "
            "[r.dataset.period, r.dataset.category, r.querySelector('[data-weighted]')"
            ".dataset.weighted])"
        )
        assert rows == [[r["period"], r["category"], r["weighted"]] for r in forecast["rows"]]
        assert rows, "the demo has an open deal"
        assert await texts(browser, "[data-total-weighted]", "totalWeighted") == [
            forecast["total_weighted"]
        ]
        await browser.screenshot(shots / "pipeline.png")

        # Health: the total, per rule, and a link to each breach's deal. The demo's open
        # deal gets four blockers: one more than the too_many_blockers rule allows.
        open_deal = next(
            d for d in api(gateway, "/deals", limit="50")["items"] if d["status"] == "open"
        )
        for n in range(4):
            raised = httpx.post(
                f"{gateway}/deals/{open_deal['deal_id']}/blockers",
                json={"blocker_id": f"page-{n}", "description": "legal review pending"},
                headers={"Idempotency-Key": f"pages-blocker-{n}"},
                timeout=30,
                auth=auth(**BOSS),
            )
            assert raised.status_code == 201, raised.text
        wait_until(
            lambda: (
                "too_many_blockers"
                in api(gateway, "/insights/breaches", limit="500")["summary"]["by_rule"]
            )
        )
        assert await open_page(browser, f"{gateway}/pages/health", boss) == 200
        breaches = api(gateway, "/insights/breaches", limit="500")
        links = await browser.evaluate(
            "[...document.querySelectorAll('#breaches tr[data-key] a')]"
            ".map(a => a.getAttribute('href'))"
        )
        assert f"/pages/deals/{open_deal['deal_id']}" in links
        assert await texts(browser, "#breach-total", "total") == [str(breaches["summary"]["total"])]
        by_rule = await browser.evaluate(
            "Object.fromEntries([...document.querySelectorAll('#by-rule tr[data-rule]')]"
            ".map(r => [r.dataset.rule, Number(r.querySelector('td').textContent)]))"
        )
        assert by_rule == breaches["summary"]["by_rule"]
        await browser.screenshot(shots / "health.png")

        # Cash: mismatches per class, receivable and DSO per team.
        assert await open_page(browser, f"{gateway}/pages/cash", boss) == 200
        reconciliation = api(gateway, "/insights/reconciliation", limit="500")
        shown = await browser.evaluate(
            "Object.fromEntries([...document.querySelectorAll('#mismatch-counts "
            "tr[data-class]')].map(r => [r.dataset.class, "
            "Number(r.querySelector('[data-count]').dataset.count)]))"
        )
        assert shown == reconciliation["mismatch_counts"]
        receivables = api(gateway, "/insights/receivables")
        groups = await browser.evaluate(
            "[...document.querySelectorAll('#aging-table tr[data-group]')].map(r => "
            "[r.dataset.group, r.querySelector('[data-receivable]').dataset.receivable])"
        )
        expected = [*receivables["groups"], receivables["total"]]
        assert groups == [[g["group"], g["receivable"]] for g in expected]
        await browser.screenshot(shots / "cash.png")

        # A deal's timeline: the demo's won deal, from its opening to its invoice.
        won = next(d for d in api(gateway, "/deals", limit="50")["items"] if d["status"] == "won")
        deal_id = won["deal_id"]
        assert await open_page(browser, f"{gateway}/pages/deals/{deal_id}", boss) == 200
        history = api(gateway, f"/deals/{deal_id}/history", limit="1000")["events"]
        deal_events = await browser.evaluate(
            "[...document.querySelectorAll('#timeline li[data-lane=deal]')]"
            ".map(li => li.dataset.event)"
        )
        assert deal_events == [e["event_type"].rsplit(".", 1)[-1] for e in history]
        lanes = set(await texts(browser, "#timeline li", "lane"))
        assert {"deal", "quote", "order", "invoice"} <= lanes, lanes
        shown_times = await browser.evaluate(
            "[...document.querySelectorAll('#timeline time')].map(t => t.getAttribute('datetime'))"
        )
        assert shown_times == sorted(shown_times, key=_instant)  # one time axis
        assert (
            await browser.evaluate("document.querySelector('[data-field=Status]').textContent")
            == "won"
        )
        await browser.screenshot(shots / "deal-timeline.png")
        # Its state as of its first version: open, in its first stage.
        first = api(gateway, f"/deals/{deal_id}", as_of="0")
        assert await open_page(browser, f"{gateway}/pages/deals/{deal_id}?as_of=0", boss) == 200
        state = await browser.evaluate(
            "Object.fromEntries([...document.querySelectorAll('#deal-state dd')]"
            ".map(d => [d.dataset.field, d.textContent]))"
        )
        assert (state["Status"], state["Stage"], state["Version"]) == (
            first["status"],
            first["stage"],
            "0",
        )
        # A state as of garbage or of a time before 2000 is a 422 page saying why.
        for bad in ("garbage", "1999-01-01T00:00:00", "9" * 60):
            url = f"{gateway}/pages/deals/{deal_id}?as_of={bad}"
            assert await open_page(browser, url, boss) in (404, 422), bad
            assert await browser.evaluate("!!document.querySelector('[role=alert]')"), bad
        # An unknown deal is a page saying so, with 404.
        unknown = f"{gateway}/pages/deals/{uuid.uuid4()}"
        assert await open_page(browser, unknown, boss) == 404


def _instant(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


async def test_a_page_a_role_may_not_see_answers_403(gateway: str) -> None:
    rep = as_user("rep-demo", ["rep"])
    async with Browser() as browser:
        for page in ("/pages/cash", "/pages/pipeline"):
            assert await open_page(browser, f"{gateway}{page}", rep) == 403, page
            assert "not open to the roles ['rep']" in await browser.evaluate(
                "document.querySelector('main').textContent"
            )
        # The funnel is open to a rep; the team comparison in it is not, and says so.
        assert await open_page(browser, f"{gateway}/pages/funnel", rep) == 200
        note = await browser.evaluate("document.querySelector('#teams + .note').textContent")
        assert "not open to your roles" in note
        # The index lists what the role may open, nothing more.
        assert await open_page(browser, f"{gateway}/pages", rep) == 200
        listed = await browser.evaluate(
            "[...document.querySelectorAll('main li a')].map(a => a.getAttribute('href'))"
        )
        assert listed == ["/pages/funnel", "/pages/health"]
        # No identity at all: 401 and the sign-in form.
        assert await open_page(browser, f"{gateway}/pages/health", {}) == 401
        assert await browser.evaluate("!!document.querySelector('textarea#token')")
    # The API's own refusals stay JSON.
    refused = httpx.get(f"{gateway}/insights/reconciliation", headers=rep, timeout=10)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"


async def test_signing_in_with_the_keyboard_and_a_page_that_updates_itself(
    gateway: str, shots: Path
) -> None:
    async with Browser() as browser:
        assert await open_page(browser, f"{gateway}/pages/sign-in?next=/pages/funnel", {}) == 200
        await browser.tab()
        assert await browser.evaluate("document.activeElement.textContent") == "Skip to content"
        for _ in range(10):  # on to the token field
            await browser.tab()
            if await browser.evaluate("document.activeElement.id") == "token":
                break
        assert await browser.evaluate("document.activeElement.id") == "token"
        await browser.send("Input.insertText", {"text": token(BOSS["subject"], BOSS["roles"])})
        await browser.tab()
        assert await browser.evaluate("document.activeElement.id") == "sign-in"
        await browser.enter()
        await browser.wait_for(
            "location.pathname === '/pages/funnel' && !!document.querySelector('#funnel-steps')"
        )
        cookies = (await browser.send("Network.getCookies"))["cookies"]
        (session,) = [c for c in cookies if c["name"] == "l2c_session"]
        assert (session["httpOnly"], session["sameSite"], session["path"]) == (
            True,
            "Strict",
            "/pages",
        )

        # A new lead arrives: the page shows it without being reloaded.
        await browser.evaluate("window.notReloaded = true")
        before = funnel_counts(gateway)["lead"]
        captured = httpx.post(
            f"{gateway}/leads",
            json={
                "full_name": "Page Watcher",
                "email": f"watcher-{uuid.uuid4().hex[:8]}@example.com",
                "company": "Live Pages GmbH",
                "source": "web_form",
            },
            timeout=30,
            auth=auth(**BOSS),
        )
        assert captured.status_code in (200, 201), captured.text
        shown = await browser.wait_for(
            "window.notReloaded && Number(document.querySelector("
            "'#funnel-steps tr[data-step=lead] [data-count]').dataset.count)"
            f" === {before + 1} && document.body.dataset.refreshed",
            timeout=60,
        )
        assert int(shown) >= 1
        assert "Updated" in await browser.evaluate(
            "document.getElementById('live-status').textContent"
        )

        # Signing out forgets the session.
        await browser.evaluate("document.querySelector('header form').submit()")
        await browser.wait_for("location.pathname === '/pages/sign-in'")
        cookies = (await browser.send("Network.getCookies"))["cookies"]
        assert not [c for c in cookies if c["name"] == "l2c_session"]
        assert await open_page(browser, f"{gateway}/pages/funnel", {}) == 401
