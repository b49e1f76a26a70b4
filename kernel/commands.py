"""Commands as data: each command is a typed, immutable message, declared once in its
service's catalog with everything an edge needs to know about it; one dispatcher runs
them all.

A declaration names the message (a ``Command`` model: its fields are the command's
arguments, validated wherever it comes from), the aggregate it changes and the field
holding that aggregate's id, the handler — a plain function ``(aggregate, command)`` that
calls the aggregate's methods, or a use case ``(app, command, expected_version)`` when
several aggregates are involved — the answer, the HTTP route it is offered on, and its
policy facts (who may send it, whether it may be back-dated, needs a reason, may carry an
external id). From the catalog the kernel makes the HTTP routes with their OpenAPI
(``kernel.command_routes``); policies and tools send the same messages through
``ServiceApplication.dispatch``. The dispatcher loads, checks ``If-Match``, runs the
handler, applies the idempotency key, appends atomically and retries internal races.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from kernel.contracts import EARLIEST_EVENT_TIME, check_event_time
from kernel.domain import Money
from kernel.errors import ContractError, InvalidCommand, problems_of

if TYPE_CHECKING:
    from kernel.store import Result

    UseCase = Callable[[Any, Any, int | None], tuple[Sequence[Any], Result]]


def _happened(moment: datetime) -> datetime:
    try:
        check_event_time(moment)
    except ContractError as exc:
        raise ValueError(str(exc)) from None
    return moment


PLAN_YEARS = 20


def _planned(moment: datetime) -> datetime:
    latest = datetime.now(UTC) + timedelta(days=366 * PLAN_YEARS)
    if not EARLIEST_EVENT_TIME <= moment <= latest:
        raise ValueError(
            f"{moment.isoformat()} is not between {EARLIEST_EVENT_TIME:%Y-%m-%d} and "
            f"{PLAN_YEARS} years from now"
        )
    return moment


# When something happened: not before 2000, not more than a day ahead of now (the same
# bounds every topic consumer applies to event times).
EventTime = Annotated[AwareDatetime, AfterValidator(_happened)]
# When something is due or planned: within 2000 .. 20 years from now.
PlannedTime = Annotated[AwareDatetime, AfterValidator(_planned)]


class MoneyModel(BaseModel):
    """An exact, positive amount of money in a request body."""

    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=4, examples=["48000.00"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])

    def to_domain(self) -> Money:
        return Money(self.amount, self.currency)


class Command(BaseModel):
    """A command message: immutable, and validated wherever it comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid")


C = TypeVar("C", bound=Command)


@dataclass(frozen=True)
class Route:
    """Where a command is offered over HTTP; path parameters name command fields, the
    other fields come in the JSON body."""

    method: str
    path: str
    status: int = 200
    tags: tuple[str, ...] = ()
    summary: str = ""
    body_name: str = ""  # the body's schema name in OpenAPI (default: <Command>Body)
    if_match: bool = True  # False for commands that create what they change

    @property
    def path_fields(self) -> tuple[str, ...]:
        return tuple(re.findall(r"{(\w+)}", self.path))


@dataclass(frozen=True)
class Facts:
    """What holds for a command wherever it comes from."""

    roles: tuple[str, ...] = ()  # who may send it (empty: anyone the edge lets in)
    backdated: bool = False  # carries a business time that may lie in the past
    reason_required: bool = False
    external_id: bool = False  # may name a record of another system


@dataclass(frozen=True)
class CommandSpec:
    name: str
    message: type[Command]
    aggregate: type[Any]
    target: str  # the field holding the id of the aggregate it changes ("": a use case finds it)
    answer: Callable[[Any], Result]
    handler: Callable[[Any, Any], object] | None = None
    use_case: UseCase | None = None
    route: Route | None = None
    facts: Facts = field(default_factory=Facts)
    response_model: type[BaseModel] | None = None
    # Lost races decided again on the new state; None: twice without If-Match, never with,
    # and races lost on shared bookkeeping (not the addressed aggregate) up to 20 times more;
    # 0: never decided again.
    retries: int | None = None
    # Runs once the command's events are stored (and again on an idempotent repeat), for
    # what must follow the record, never precede it: destroying an erased person's key.
    after: Callable[[Any, Any], None] | None = None

    def aggregate_id(self, command: Command) -> uuid.UUID:
        value = getattr(command, self.target)
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))

    def __post_init__(self) -> None:
        if (self.handler is None) == (self.use_case is None):
            raise TypeError(f"{self.name}: give a handler or a use case, not both or neither")
        if self.handler is not None and not self.target:
            raise TypeError(f"{self.name}: a handler needs the field naming its aggregate")
        if self.target and self.target not in self.message.model_fields:
            raise TypeError(f"{self.name}: {self.message.__name__} has no field {self.target}")
        if self.route is not None:
            missing = set(self.route.path_fields) - set(self.message.model_fields)
            if missing:
                raise TypeError(f"{self.name}: path names fields it lacks: {sorted(missing)}")
        reason = self.message.model_fields.get("reason")
        if self.facts.reason_required and (reason is None or not reason.is_required()):
            raise TypeError(f"{self.name}: needs a reason, so its message needs a required reason")


class Catalog:
    """The commands of one service, by name and by message type."""

    def __init__(
        self,
        service: str,
        *,
        answer: Callable[[Any], Result] | None = None,
        response_model: type[BaseModel] | None = None,
    ) -> None:
        self.service = service
        self.default_answer = answer
        self.default_response_model = response_model
        self._by_name: dict[str, CommandSpec] = {}
        self._by_type: dict[type[Command], CommandSpec] = {}

    def command(
        self,
        name: str,
        message: type[Command],
        aggregate: type[Any],
        target: str,
        *,
        handler: Callable[[Any, Any], object] | None = None,
        use_case: UseCase | None = None,
        route: Route | None = None,
        facts: Facts | None = None,
        answer: Callable[[Any], Result] | None = None,
        response_model: type[BaseModel] | None = None,
        retries: int | None = None,
        after: Callable[[Any, Any], None] | None = None,
    ) -> CommandSpec:
        chosen = answer or self.default_answer
        if chosen is None:
            raise TypeError(f"{name}: no answer and no default answer")
        spec = CommandSpec(
            name=name,
            message=message,
            aggregate=aggregate,
            target=target,
            answer=chosen,
            handler=handler,
            use_case=use_case,
            route=route,
            facts=facts or Facts(),
            response_model=response_model or self.default_response_model,
            retries=retries,
            after=after,
        )
        if name in self._by_name or message in self._by_type:
            raise TypeError(f"{self.service}: {name} ({message.__name__}) declared twice")
        self._by_name[name] = spec
        self._by_type[message] = spec
        return spec

    def spec_of(self, command: Command | type[Command]) -> CommandSpec:
        kind = command if isinstance(command, type) else type(command)
        try:
            return self._by_type[kind]
        except KeyError:
            raise TypeError(f"{self.service} has no command {kind.__name__}") from None

    def __getitem__(self, name: str) -> CommandSpec:
        return self._by_name[name]

    def __iter__(self) -> Iterator[CommandSpec]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)


def build(message: type[C], **values: Any) -> C:
    """``message`` from ``values``, refused as InvalidCommand (a domain refusal: a consumer
    dead-letters it with the reason) when they are not valid."""
    try:
        return message.model_validate(values)
    except ValidationError as exc:
        problems = problems_of(exc.errors())
        raise InvalidCommand(f"{message.__name__}: {problems}") from None
