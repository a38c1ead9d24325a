"""The SMS Detail Record sample of the CarrierX seed document: every documented field."""

from typing import Any

from gateway.providers.http import decode_json

SEED_RECORD = b"""{
"date_changed": "2023-12-07T15:29:09.880Z",
"date_insert": "2023-12-06T15:28:50.404Z",
"date_sent": "2023-12-06T15:28:50.991Z",
"date_start": "2023-12-06T15:28:50.403Z",
"date_stop": "2023-12-07T15:29:09.804Z",
"delay_sent": 0,
"direction": "outbound",
"dr_sid": "92cd9154-2f53-4e62-8b4e-8ff6e4849d16",
"mcc": 310,
"mcc_mnc_price": "0.015",
"mcc_mnc_rate": "0.005",
"media_urls": [
"https://storage.carrierx.com/f/cdac0471-f144-42a2-94f8-d9838ce5e4b9"
],
"message": null,
"message_segments": 1,
"mnc": 999,
"number_billing": "12078152557",
"number_dst": "17575000929",
"number_external": "17575000929",
"number_group_dst": [
"17207217011",
"17207210038",
"17575000929"
],
"number_src": "12078152557",
"partner_sid": "8d180104-0b34-4e55-907f-4a72409484c9",
"passthrough_price": null,
"passthrough_rate": null,
"price": "0.015",
"provider": "tsg",
"rate": "0.005",
"status": "sent",
"type": "mms",
"user_data": "test_message",
"version": null
}"""


DOCUMENTED_FIELDS = frozenset(decode_json(SEED_RECORD))
"""The fields of the SMS Detail Record object, as the seed document lists them."""


def item(**changes: Any) -> dict[str, Any]:
    """The sample as the adapter decodes it, with some fields changed."""
    return decode_json(SEED_RECORD) | changes
