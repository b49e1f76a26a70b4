"""Use cases of the deals service, layered by concern: base (store, processes) <- process
(opening, stages, closing) <- buyers (MEDDIC, decision map, relationships) <- activities
(activities, questions, next steps, forecast)."""

from services.deals.application.activities import ActivityUseCases
from services.deals.application.base import CONFIG_DIR
from services.deals.application.catalog import DEALS
from services.deals.application.views import deal_state


class DealsApplication(ActivityUseCases):
    name = "deals"
    commands = DEALS


__all__ = ["CONFIG_DIR", "DealsApplication", "deal_state"]
