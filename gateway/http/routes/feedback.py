"""The feedback API (``/api/feedback``): staff rate their own answers.

The request id is the ``x-kakehashi-request-id`` header of the chat response. Browser calls
need the CSRF header like every cookie-authenticated change (``gateway.auth``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from audit import feedback
from audit.feedback import FeedbackOut, Rating
from gateway.auth import Caller, app_state, authenticate
from gateway.kernel.errors import NotFound

router = APIRouter(prefix="/api", tags=["feedback"], dependencies=[Depends(authenticate)])

RequestId = Annotated[str, Path(min_length=1, max_length=64)]


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(min_length=1, max_length=64)
    rating: int | None = Field(default=None, ge=1, le=5)
    helpful: bool | None = None
    reason: str | None = Field(default=None, max_length=1000)
    minutes_saved: float | None = Field(default=None, ge=0, le=480)

    @model_validator(mode="after")
    def _says_something(self) -> FeedbackIn:
        if self.rating is None and self.helpful is None:
            raise ValueError(
                "rating (1-5) か helpful (true/false) のどちらかを指定してください / "
                "give a rating (1-5) or helpful (true/false)"
            )
        return self


def _not_found() -> NotFound:
    return NotFound(
        "その回答は見つかりません (評価できるのは自分の回答だけです)。",
        "No such answer (you can only rate your own answers).",
    )


@router.post("/feedback")
async def post_feedback(request: Request, body: FeedbackIn, caller: Caller) -> FeedbackOut:
    rating = Rating(body.rating, body.helpful, body.reason or None, body.minutes_saved)
    async with app_state(request).sessions.begin() as session:
        saved = await feedback.record(
            session=session, request_id=body.request_id, user_email=caller.email, rating=rating
        )
    if saved is None:
        raise _not_found()
    return saved


@router.get("/feedback/{request_id}")
async def get_feedback(request: Request, request_id: RequestId, caller: Caller) -> FeedbackOut:
    async with app_state(request).sessions() as session:
        found = await feedback.get(session=session, request_id=request_id, user_email=caller.email)
    if found is None:
        raise _not_found()
    return found


@router.post("/feedback/{request_id}/copied", status_code=204)
async def post_copied(request: Request, request_id: RequestId, caller: Caller) -> None:
    """The page's copy button: a copied answer counts as accepted in the KPIs."""
    state = app_state(request)
    async with state.sessions() as session:
        event = await feedback.copied(
            session=session, request_id=request_id, user_email=caller.email
        )
    if event is None:
        raise _not_found()
    await state.audit.append(event)
