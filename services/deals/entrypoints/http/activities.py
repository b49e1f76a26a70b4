"""Activities, blockers, customer questions, next steps and the forecast."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from kernel.http import expected_version, idempotency_key
from services.deals.application import DealsApplication
from services.deals.entrypoints.http.schemas import (
    ActivityRequest,
    AnswerRequest,
    BlockerRequest,
    DealState,
    ForecastRequest,
    NextStepRequest,
    QuestionRequest,
    RescheduleRequest,
    ResolutionRequest,
)


def routes(app: DealsApplication) -> APIRouter:
    router = APIRouter()

    @router.put(
        "/deals/{deal_id}/forecast",
        response_model=DealState,
        tags=["forecast"],
        summary="Close date, amount, forecast category (each change an event)",
    )
    def plan_close(
        deal_id: uuid.UUID,
        body: ForecastRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.plan_close(
            deal_id,
            close_date=body.close_date,
            amount=body.amount.to_domain() if body.amount else None,
            category=body.forecast_category,
            idempotency_key=key,
            expected_version=version,
        )

    @router.post(
        "/deals/{deal_id}/next-steps",
        response_model=DealState,
        status_code=201,
        tags=["next steps"],
    )
    def agree_next_step(
        deal_id: uuid.UUID,
        body: NextStepRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.agree_next_step(
            deal_id, **body.model_dump(), idempotency_key=key, expected_version=version
        )

    @router.post(
        "/deals/{deal_id}/next-steps/{step_id}/done", response_model=DealState, tags=["next steps"]
    )
    def next_step_done(
        deal_id: uuid.UUID,
        step_id: str,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.complete_next_step(
            deal_id, step_id, idempotency_key=key, expected_version=version
        )

    @router.post(
        "/deals/{deal_id}/next-steps/{step_id}/reschedule",
        response_model=DealState,
        tags=["next steps"],
    )
    def reschedule_next_step(
        deal_id: uuid.UUID,
        step_id: str,
        body: RescheduleRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.reschedule_next_step(
            deal_id,
            step_id,
            body.due_at,
            body.reason,
            idempotency_key=key,
            expected_version=version,
        )

    @router.post(
        "/deals/{deal_id}/activities",
        response_model=DealState,
        status_code=201,
        tags=["activities"],
        summary="A rep's visit, call, meeting or email",
    )
    def log_activity(
        deal_id: uuid.UUID,
        body: ActivityRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.log_activity(
            deal_id, **body.model_dump(), idempotency_key=key, expected_version=version
        )

    @router.post(
        "/deals/{deal_id}/blockers", response_model=DealState, status_code=201, tags=["activities"]
    )
    def raise_blocker(
        deal_id: uuid.UUID,
        body: BlockerRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.raise_blocker(
            deal_id,
            body.blocker_id,
            body.description,
            idempotency_key=key,
            expected_version=version,
        )

    @router.post(
        "/deals/{deal_id}/blockers/{blocker_id}/resolve",
        response_model=DealState,
        tags=["activities"],
    )
    def resolve_blocker(
        deal_id: uuid.UUID,
        blocker_id: str,
        body: ResolutionRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.resolve_blocker(
            deal_id, blocker_id, body.resolution, idempotency_key=key, expected_version=version
        )

    @router.post(
        "/deals/{deal_id}/questions",
        response_model=DealState,
        status_code=201,
        tags=["activities"],
        summary="A customer question, and when it was asked",
    )
    def ask_question(
        deal_id: uuid.UUID,
        body: QuestionRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.ask_question(
            deal_id,
            body.question_id,
            body.text,
            body.asked_at,
            idempotency_key=key,
            expected_version=version,
        )

    @router.post(
        "/deals/{deal_id}/questions/{question_id}/answer",
        response_model=DealState,
        tags=["activities"],
    )
    def answer_question(
        deal_id: uuid.UUID,
        question_id: str,
        body: AnswerRequest,
        key: str | None = Depends(idempotency_key),
        version: int | None = Depends(expected_version),
    ) -> dict[str, object]:
        return app.answer_question(
            deal_id, question_id, body.answered_at, idempotency_key=key, expected_version=version
        )

    return router
