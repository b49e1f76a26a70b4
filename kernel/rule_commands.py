"""Publishing a rule set (``kernel.rules``) as a command of a service's catalog."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from kernel.commands import Catalog, Command, CommandSpec, Facts, Route
from kernel.errors import ConcurrencyConflict
from kernel.rules import RuleCatalog, RuleSet


class PublishRules(Command):
    """Publish a new version of a rule set (what is in force keeps its version)."""

    document: dict[str, Any]
    note: str = Field("", max_length=500)


class RulesAnswer(BaseModel):
    name: str
    version: int
    changed: bool


def publish_rules_command(
    catalog: Catalog,
    name: str,
    rules_of: Callable[[Any], RuleCatalog[Any]],
    path: str,
    tags: tuple[str, ...],
    summary: str,
) -> CommandSpec:
    """Declare the publishing of one rule set (``rules_of(app)``) as a command of
    ``catalog``, offered as ``PUT path`` with ``{"document", "note"}`` (no route when
    ``path`` is empty: a use case of the service sends it)."""
    message = type(f"Publish{name.title().replace('_', '')}Rules", (PublishRules,), {})

    def use_case(app: Any, c: PublishRules, expected_version: int | None) -> Any:
        rules = rules_of(app)
        validated = rules.validate(c.document).model_dump(mode="json")
        held = rules._load()
        if expected_version is not None and held.version != expected_version:
            raise ConcurrencyConflict(
                f"{name} rules are at version {held.version}, not {expected_version}"
            )
        changed = held.publish(validated, c.note)
        return [held], {"name": rules.name, "version": held.current, "changed": changed}

    return catalog.command(
        f"publish_{name}_rules",
        message,
        RuleSet,
        "",
        use_case=use_case,
        route=Route("PUT", path, 200, tags, summary, body_name="PublishRulesRequest")
        if path
        else None,
        facts=Facts(roles=("admin",)),
        answer=lambda rules: {"name": rules.name, "version": rules.current},
        response_model=RulesAnswer,
    )
