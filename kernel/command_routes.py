"""HTTP routes made from a service's command catalog (``kernel.commands``).

For each command with a route: the path parameters are the command's fields named in the
path, the JSON body holds its other fields (its schema, ``<Command>Body`` unless the
route names it, is derived from the command so the two cannot drift apart), the
``Idempotency-Key`` and ``If-Match`` headers are read, and the answer and every error
status it can give (404, 409, 413, 422, 503 in the ``ErrorBody`` shape) are documented.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body, Depends
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError, create_model

from kernel.access import BACKDATING_ROLES
from kernel.auth import Forbidden
from kernel.commands import Catalog, CommandSpec
from kernel.domain import command_context, current_context
from kernel.errors import IdempotencyKeyReused
from kernel.http import ErrorBody, business_time, expected_version, external_id, idempotency_key
from kernel.routing import service_router
from kernel.scope import current_scope
from kernel.store import Result, ServiceApplication

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {
        "model": ErrorBody,
        "description": "The caller's roles may not send this command, or not with a "
        "business time (Occurred-At)",
    },
    404: {"model": ErrorBody, "description": "The aggregate the command names does not exist"},
    409: {
        "model": ErrorBody,
        "description": "A business rule refuses the command, or the aggregate moved past "
        "the version given in If-Match",
    },
    413: {"model": ErrorBody, "description": "The body is larger than the service accepts"},
    422: {
        "model": ErrorBody,
        "description": "Invalid values, or an Idempotency-Key reused for another request",
    },
    503: {
        "model": ErrorBody,
        "description": "The broker is unavailable (webhooks), or the command lost too many "
        "races on bookkeeping it shares with other commands (nothing stored; retry)",
    },
}


def body_model(spec: CommandSpec) -> type[BaseModel] | None:
    """The JSON body of a command's route: its fields that are not path parameters."""
    assert spec.route is not None
    path = set(spec.route.path_fields)
    fields = {
        name: (info.annotation, info)
        for name, info in spec.message.model_fields.items()
        if name not in path
    }
    if not fields:
        return None
    name = spec.route.body_name or f"{spec.message.__name__}Body"
    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        name, __doc__=spec.message.__doc__, **fields
    )
    return model


# Checks a command against the caller's row-level scope before it runs (NotFound when the
# record it names is out of scope): see kernel.scope.
Guard = Callable[[BaseModel], None]


def _endpoint(app: ServiceApplication, spec: CommandSpec, guard: Guard | None) -> Any:
    assert spec.route is not None
    path_fields = spec.route.path_fields
    body = body_model(spec)

    def endpoint(**kwargs: Any) -> Result:
        values = {name: kwargs[name] for name in path_fields}
        given = kwargs.get("body")
        if given is not None:
            values.update({name: getattr(given, name) for name in type(given).model_fields})
        try:
            command = spec.message.model_validate(values)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from None
        if guard is not None and not current_scope().everything:
            guard(command)
        occurred_at, external = kwargs["occurred_at_"], kwargs["external_id_"]
        context = current_context()
        if occurred_at is not None and not BACKDATING_ROLES & set(context.actor_roles.split()):
            raise Forbidden(
                f"a business time (Occurred-At) needs one of the roles {sorted(BACKDATING_ROLES)}"
            )
        key = kwargs["idempotency_key_"]
        if key is None and external is not None:
            key = f"external:{spec.name}:{external}"  # applied once per command and id
        with command_context(
            replace(
                context,
                occurred_at=occurred_at or context.occurred_at,
                external_id=external or context.external_id,
            )
        ):
            try:
                return app.dispatch(
                    command, idempotency_key=key, expected_version=kwargs.get("expected_version_")
                )
            except IdempotencyKeyReused:
                if kwargs["idempotency_key_"] is not None:
                    raise
                raise IdempotencyKeyReused(
                    f"External-Id {external!r} was already used for another {spec.name} "
                    "request; one external id names one record"
                ) from None

    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = [
        inspect.Parameter(name, keyword, annotation=spec.message.model_fields[name].annotation)
        for name in path_fields
    ]
    if body is not None and any(f.is_required() for f in body.model_fields.values()):
        parameters.append(inspect.Parameter("body", keyword, annotation=body))
    elif body is not None:  # nothing in it is required: a request may send no body at all
        parameters.append(
            inspect.Parameter("body", keyword, annotation=body | None, default=Body(None))
        )
    parameters.append(
        inspect.Parameter(
            "idempotency_key_", keyword, annotation=str | None, default=Depends(idempotency_key)
        )
    )
    parameters.append(
        inspect.Parameter(
            "occurred_at_", keyword, annotation=datetime | None, default=Depends(business_time)
        )
    )
    parameters.append(
        inspect.Parameter(
            "external_id_", keyword, annotation=str | None, default=Depends(external_id)
        )
    )
    if spec.route.if_match:
        parameters.append(
            inspect.Parameter(
                "expected_version_",
                keyword,
                annotation=int | None,
                default=Depends(expected_version),
            )
        )
    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    endpoint.__name__ = spec.name
    endpoint.__doc__ = spec.message.__doc__
    return endpoint


def command_routes(
    app: ServiceApplication, catalog: Catalog, guard: Guard | None = None
) -> APIRouter:
    """One route per command of ``catalog`` that has one; ``guard`` sees each command of a
    caller whose scope is not everything before it runs."""
    router = service_router()
    for spec in catalog:
        if spec.route is None:
            continue
        route = spec.route
        router.add_api_route(
            route.path,
            _endpoint(app, spec, guard),
            methods=[route.method],
            status_code=route.status,
            response_model=spec.response_model,
            responses=ERRORS,
            tags=list(route.tags),
            summary=route.summary or None,
            name=spec.name,
            operation_id=spec.name,
        )
    return router
