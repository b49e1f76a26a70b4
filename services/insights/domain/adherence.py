"""Process adherence: each deal's actual key events against its process's preset path.

The deals service's process definitions (rule set "processes", read from l2c.deals.v1)
give every stage an ordered path of key events (its SOP: ``key_event_path``, or else the
stage's ``required_key_events``). For each stage a deal went through, the key events
recorded while it was in that stage are compared with the path:

* ``missing:<kind>`` — a path event never happened before the deal left the stage (or
  closed); a stage the deal is still in is not judged yet;
* ``out_of_order:<kind>`` — it happened, but before an event the path puts ahead of it;
* ``skipped_stage`` — the deal reached a later stage without ever entering this one;
* ``advanced_without_exit_criteria`` — a manager let the deal leave the stage without its
  exit criteria.

The summary counts deviations per rep and per stage, and for each deviation compares the
win rate of decided deals that show it with those that do not.
"""

from __future__ import annotations

from typing import Any

from services.insights.domain.slicing import Slice, ratio
from services.insights.domain.state import Projection, Record

DECIDED = ("won", "lost", "no_decision")


def path_of(stage: dict[str, Any]) -> list[str]:
    return list(stage.get("key_event_path") or stage.get("required_key_events") or [])


def deal_adherence(p: Projection, deal: Record) -> dict[str, Any]:
    plan = p.stage_plan(deal.get("process", ""), deal.get("process_version"))
    stays = deal.get("stages", [])
    visited = [s[0] for s in stays]
    closed = deal.get("status") in DECIDED
    names = [s["name"] for s in plan]
    furthest = max((names.index(v) for v in visited if v in names), default=-1)
    events = sorted(deal.get("key_events", []))
    deviations: list[dict[str, str]] = []
    stages = []
    for index, stage in enumerate(plan):
        name = stage["name"]
        preset = path_of(stage)
        actual = [kind for _, kind, at_stage in events if at_stage == name]
        if name not in visited:
            if index < furthest:
                deviations.append({"stage": name, "deviation": "skipped_stage"})
            continue
        finished = closed or any(s[0] == name and s[2] for s in stays)
        firsts = {kind: actual.index(kind) for kind in preset if kind in actual}
        for position, kind in enumerate(preset):
            if kind not in firsts:
                if finished:
                    deviations.append({"stage": name, "deviation": f"missing:{kind}"})
                continue
            if any(firsts.get(before, -1) > firsts[kind] for before in preset[:position]):
                deviations.append({"stage": name, "deviation": f"out_of_order:{kind}"})
        stages.append({"stage": name, "preset": preset, "actual": actual, "judged": finished})
    for _, from_stage in deal.get("overrides", []):
        deviations.append({"stage": from_stage, "deviation": "advanced_without_exit_criteria"})
    dims = p.deal_dims(deal)
    return {
        "deal_id": deal["id"],
        "rep": dims["rep"],
        "team": dims["team"],
        "process": deal.get("process", ""),
        "process_version": deal.get("process_version"),
        "status": deal.get("status", ""),
        "stages": stages,
        "deviations": deviations,
        "adherent": not deviations,
    }


def deals_adherence(p: Projection, scope: Slice) -> list[dict[str, Any]]:
    rows = []
    for deal in p.all("deal").values():
        if not deal.get("opened_at") or not scope.matches(p.deal_dims(deal)):
            continue
        if not scope.in_period(deal.get("closed_at") or deal["opened_at"]):
            continue
        rows.append(deal_adherence(p, deal))
    return sorted(rows, key=lambda r: r["deal_id"])


def adherence_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    per_rep: dict[str, int] = {}
    per_stage: dict[str, int] = {}
    keys: set[str] = set()
    for row in rows:
        for d in row["deviations"]:
            per_rep[row["rep"]] = per_rep.get(row["rep"], 0) + 1
            per_stage[d["stage"]] = per_stage.get(d["stage"], 0) + 1
            keys.add(f"{d['deviation']}@{d['stage']}")
    decided = [r for r in rows if r["status"] in DECIDED]
    effects = []
    for key in sorted(keys):
        with_it = [
            r for r in decided if key in {f"{d['deviation']}@{d['stage']}" for d in r["deviations"]}
        ]
        without = [r for r in decided if r not in with_it]
        effects.append(
            {
                "deviation": key,
                "decided_with": len(with_it),
                "win_rate_with": ratio(sum(r["status"] == "won" for r in with_it), len(with_it)),
                "decided_without": len(without),
                "win_rate_without": ratio(sum(r["status"] == "won" for r in without), len(without)),
            }
        )
    return {
        "deals": len(rows),
        "adherent": sum(1 for r in rows if r["adherent"]),
        "deviations_per_rep": dict(sorted(per_rep.items())),
        "deviations_per_stage": dict(sorted(per_stage.items())),
        "win_rate_by_deviation": effects,
    }
