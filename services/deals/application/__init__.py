"""Use cases of the deals service, layered by concern: base (store, processes) <- process
(opening, stages, closing) <- buyers (MEDDIC, decision map, relationships) <- activities
(activities, questions, next steps, forecast)."""

from eventsourcing.utils import get_topic

from services.deals.application.activities import ActivityUseCases
from services.deals.application.base import CONFIG_DIR
from services.deals.application.catalog import DEALS
from services.deals.application.views import deal_state
from services.deals.domain.deal import Deal


class DealsApplication(ActivityUseCases):
    name = "deals"
    commands = DEALS
    # A stakeholder is a person within the deal: their name and phone, and the notes on
    # their changes, are sealed under their own key (see kernel.personal).
    personal = {
        get_topic(Deal.StakeholderAdded): (("name", "phone"), "stakeholder_id"),  # type: ignore[attr-defined]
        get_topic(Deal.StakeholderChanged): (("note",), "stakeholder_id"),  # type: ignore[attr-defined]
    }


__all__ = ["CONFIG_DIR", "DealsApplication", "deal_state"]
