"""Rules as data: a named rule set whose versions are events.

A service declares a pydantic schema for each rule set and ships a default document in its
``config/``. On first start the default becomes version 1; later versions are published
through the API. Every version stays in the aggregate, so a decision recorded with "rules
v3" can be explained and recomputed after v4 is live.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import event
from pydantic import BaseModel, ValidationError

from kernel.domain import L2CAggregate
from kernel.errors import InvalidCommand, NotFound, problems_of

_NAMESPACE = uuid.UUID("9b2e61c4-0a57-4e0c-bb8e-63f1f6c0d2a7")

M = TypeVar("M", bound=BaseModel)


class RuleSet(L2CAggregate):
    @staticmethod
    def create_id(name: str) -> uuid.UUID:
        return uuid.uuid5(_NAMESPACE, name)

    @event("Published")
    def __init__(self, name: str, number: int, document: dict[str, Any], note: str) -> None:
        self.name = name
        self.versions: dict[int, dict[str, Any]] = {number: document}
        self.current = number

    def publish(self, document: dict[str, Any], note: str) -> bool:
        """A new version; False (and no event) when the document equals the current one."""
        if document == self.versions[self.current]:
            return False
        self._revised(name=self.name, number=self.current + 1, document=document, note=note)
        return True

    @event("Revised")
    def _revised(self, name: str, number: int, document: dict[str, Any], note: str) -> None:
        self.versions[number] = document
        self.current = number


class RuleCatalog(Generic[M]):
    """One rule set of one service: schema, default document, and its versions in the store."""

    def __init__(self, app: Any, name: str, schema: type[M], default_file: Path) -> None:
        self.app = app
        self.name = name
        self.schema = schema
        self.default_file = default_file
        # A published version never changes, so each is validated once per process; the
        # models are shared by every caller and read, never changed.
        self._validated: dict[int, M] = {}

    def validate(self, document: dict[str, Any]) -> M:
        try:
            return self.schema.model_validate(document)
        except ValidationError as exc:
            problems = problems_of(exc.errors())
            raise InvalidCommand(f"{self.name} rules are invalid: {problems}") from None

    def ensure_published(self) -> None:
        """Publish the shipped default as version 1 unless some version exists."""
        if self.app.exists(RuleSet.create_id(self.name)):
            return
        document = self.validate(json.loads(self.default_file.read_text())).model_dump(mode="json")

        def decide() -> tuple[list[RuleSet], dict[str, Any]]:
            rules = RuleSet(
                name=self.name,
                number=1,
                document=document,
                note=f"default from {self.default_file.name}",
            )
            return [rules], {"version": 1}

        self.app.execute(
            f"publish_{self.name}_rules", decide, idempotency_key=f"rules:{self.name}:bootstrap"
        )

    def _load(self, *, to_change: bool = False) -> RuleSet:
        """The rule set as stored now. Only a change gets its own copy of the cached
        aggregate, which holds every version's document; reads take the cached one."""
        try:
            rules: RuleSet = self.app.repository.get(
                RuleSet.create_id(self.name), deepcopy_from_cache=to_change
            )
        except AggregateNotFoundError:
            raise NotFound(f"no {self.name} rules are published") from None
        return rules

    def _model(self, rules: RuleSet, number: int) -> M:
        model = self._validated.get(number)
        if model is None:
            model = self._validated[number] = self.schema.model_validate(rules.versions[number])
        return model

    def current(self, as_of: str | None = None) -> tuple[int, M]:
        """The version in force now, or at the time ``as_of`` (RFC 3339, with an offset)."""
        rules = self._load()
        if as_of is not None:
            # here, not at the top: kernel.history reads contracts, which name RuleSet
            from kernel.history import parse_as_of, state_as_of

            if not isinstance(parse_as_of(as_of), datetime):
                raise InvalidCommand(
                    f"as_of for rules is a time; version {as_of} is at "
                    f"/rules/{self.name}/versions/{as_of}"
                )
            rules = state_as_of(self.app, RuleSet, rules.id, as_of, f"the {self.name} rules")
        number = rules.current
        return number, self._model(rules, number)

    def version(self, number: int) -> M:
        if number in self._validated:
            return self._validated[number]
        rules = self._load()
        if number not in rules.versions:
            raise NotFound(f"{self.name} rules have no version {number}")
        return self._model(rules, number)

    def publish(
        self, document: dict[str, Any], note: str, idempotency_key: str | None
    ) -> dict[str, Any]:
        validated = self.validate(document).model_dump(mode="json")

        def decide() -> tuple[list[RuleSet], dict[str, Any]]:
            rules = self._load(to_change=True)
            changed = rules.publish(validated, note)
            return [rules], {"name": self.name, "version": rules.current, "changed": changed}

        return self.app.execute(
            f"publish_{self.name}_rules",
            decide,
            idempotency_key=idempotency_key,
            fingerprint=json.dumps([validated, note], sort_keys=True),
        )
