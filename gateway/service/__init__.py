"""The record service: everything the API can do with records, over every configured account.

It knows neither GraphQL nor HTTP: the schema hands it plain values and gets plain values
back. A page is planned (`planner`), asked of every selected account at once (`fanout`) and
put together with its cursors (`assemble`).
"""

from gateway.service.page import Edge, PageRequest, PagingRules, ProviderStatus, RecordPage
from gateway.service.record_service import RecordService

__all__ = ["Edge", "PageRequest", "PagingRules", "ProviderStatus", "RecordPage", "RecordService"]
