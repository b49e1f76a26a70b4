"""A quarter of an existing business as ``l2c import`` reads it (JSON Lines of commands with
business times and external ids), and the figures the read models must show for it.

    python -m devenv.history OUT.jsonl [--flows 200] [--seed 7]

Each flow is one lead's story in its own group: captured, and then — as the dice say —
qualified, accepted, converted to a deal that moves through three stages, quoted and won
(its order invoiced by policy and, mostly, paid through the ERP webhook) or lost, or left
where it stopped. Every step happens on a business day of the last full quarter, so the
figures are those of that period.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

BANT = {
    "budget": "approved for this year",
    "authority": "the COO signs",
    "need": "changeovers take four hours",
    "timeline": "this quarter",
}
STAGES = (
    ("need_confirmed", "product_understanding"),
    ("demo_given", "quote"),
    ("quote_sent", "close"),
)


@dataclass
class Figures:
    """What happened in the period, counted as the funnel, velocity and reconciliation
    count it."""

    since: str = ""
    until: str = ""
    leads: int = 0
    mqls: int = 0
    sqls: int = 0
    deals: int = 0
    won: int = 0
    lost: int = 0
    invoiced: int = 0
    paid: int = 0
    commands: int = 0
    lines: int = 0
    cycle_days: list[float] = field(default_factory=list)  # opened -> decided, per deal


def last_full_quarter(today: date) -> tuple[date, date]:
    start_month = 3 * ((today.month - 1) // 3) + 1
    this_quarter = date(today.year, start_month, 1)
    end = this_quarter - timedelta(days=1)
    return date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end


class Story:
    """One flow's lines, each at the story's business time (moved on by ``later``)."""

    def __init__(self, group: str, at: datetime) -> None:
        self.group, self.at = group, at
        self.lines: list[dict[str, Any]] = []

    def later(self, **delta: int) -> None:
        self.at += timedelta(**delta)

    def command(self, name: str, fields: dict[str, Any], **extra: Any) -> None:
        self.lines.append(
            {"command": name, "group": self.group, "occurred_at": self.at.isoformat(),
             "fields": fields, **extra}
        )  # fmt: skip

    def read(self, path: str, ref: str, until: str = "") -> None:
        line = {"read": path, "group": self.group, "ref": ref}
        self.lines.append({**line, "until": until} if until else line)

    def webhook(self, name: str, fields: dict[str, Any]) -> None:
        self.lines.append({"webhook": name, "group": self.group, "fields": fields})


def generate(
    flows: int, seed: int = 7, today: date | None = None
) -> tuple[list[dict[str, Any]], Figures]:
    rng = random.Random(seed)
    first, last = last_full_quarter(today or datetime.now(UTC).date())
    figures = Figures(since=first.isoformat(), until=last.isoformat())
    lines: list[dict[str, Any]] = []
    # Stories start in the quarter's first six weeks and end within it (the longest one
    # takes under six weeks).
    for n in range(flows):
        group = f"crm-{n:05d}"
        start = datetime.combine(first + timedelta(days=rng.randrange(0, 42)), time(8, 0), UTC)
        story = Story(group, start + timedelta(minutes=rng.randrange(0, 600)))
        lead = "{@" + group + "-lead.lead_id}"
        story.command(
            "capture_lead",
            {
                "full_name": f"Buyer {n}",
                "email": f"buyer{n}@customer{n}.example",
                "company": f"Customer {n} GmbH",
                "source": rng.choice(["web_form", "referral", "event"]),
            },
            ref=f"{group}-lead",
            external_id=f"{group}-lead",
        )
        figures.leads += 1
        if rng.random() < 0.8:
            story.later(hours=rng.randrange(2, 48))
            story.command("qualify_lead", {"lead_id": lead, "note": "imported"})
            figures.mqls += 1
            if rng.random() < 0.75:
                story.later(minutes=rng.randrange(5, 50))  # within the first-touch time
                story.command("accept_lead", {"lead_id": lead, "note": "imported"})
                figures.sqls += 1
                if rng.random() < 0.8:
                    _deal(story, rng, figures, lead)
        figures.lines += len(story.lines)
        figures.commands += sum(1 for line in story.lines if "read" not in line)
        lines += story.lines
    return lines, figures


def _deal(story: Story, rng: random.Random, figures: Figures, lead: str) -> None:
    """Convert, move through the stages, and win (quote, order and invoice by policy,
    payment from the ERP), lose, or stop."""
    group = story.group
    story.later(hours=rng.randrange(1, 24))
    story.command(
        "convert_lead",
        {
            "lead_id": lead,
            "deal_name": f"Deal {group}",
            "owner_id": "rep-import",
            "expected_amount": {"amount": "48000.00", "currency": "EUR"},
            "qualification": BANT,
        },
    )
    opened = story.at
    figures.deals += 1
    story.read(f"/deals/by-lead/{lead}", f"{group}-deal")
    deal = "{@" + group + "-deal.deal_id}"
    fate = rng.random()
    for action, stage in STAGES[: 3 if fate < 0.8 else rng.randrange(0, 3)]:
        story.later(days=rng.randrange(1, 5))
        story.command("complete_action", {"deal_id": deal, "action": action})
        story.command("advance_deal", {"deal_id": deal, "stage": stage})
    if fate < 0.6:
        story.later(days=1)
        story.command(
            "create_quote",
            {
                "deal_id": deal,
                "lines": [
                    {"item": "CRM-CLOUD", "quantity": 1},
                    {"item": "CRM-SEAT", "quantity": 75},
                ],
            },
            ref=f"{group}-quote",
        )
        quote = "{@" + group + "-quote.quote_id}"
        story.command("submit_quote", {"quote_id": quote})
        story.later(days=rng.randrange(1, 4))
        story.command("accept_quote", {"quote_id": quote, "accepted_by": "COO"})
        story.later(hours=2)
        story.command("win_deal", {"deal_id": deal})
        figures.won += 1
        figures.invoiced += 1
        figures.cycle_days.append((story.at - opened).total_seconds() / 86400)
        story.read(f"/orders/by-deal/{deal}", f"{group}-order", until="invoice_ids")
        if rng.random() < 0.75:
            story.later(days=rng.randrange(3, 20))
            order = "{@" + group + "-order"
            story.webhook(
                "erp/payments",
                {
                    "payment_id": f"PAY-{group}",
                    "invoice_id": order + ".invoice_ids.0}",
                    "amount": {"amount": order + ".amount}", "currency": order + ".currency}"},
                    "received_at": story.at.isoformat(),
                },
            )
            figures.paid += 1
    elif fate < 0.8:
        story.later(days=rng.randrange(1, 10))
        story.command(
            "lose_deal", {"deal_id": deal, "reason": "competitor", "competitor": "Legacy CRM"}
        )
        figures.lost += 1
        figures.cycle_days.append((story.at - opened).total_seconds() / 86400)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="devenv.history", description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--flows", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    lines, figures = generate(args.flows, args.seed)
    args.out.write_text("".join(json.dumps(line) + "\n" for line in lines))
    print(json.dumps({k: v for k, v in asdict(figures).items() if k != "cycle_days"}))


if __name__ == "__main__":
    main()
