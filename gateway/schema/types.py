"""GraphQL types. Thin shells over the domain types in `gateway.records` and the service."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry import relay
from strawberry.types.base import get_object_definition
from strawberry.types.private import is_private
from strawberry.utils.str_converters import to_camel_case

from gateway import records
from gateway.record_ids import record_node_id
from gateway.records import MAX_USER_DATA_LENGTH
from gateway.service import Edge, RecordPage
from gateway.service import ProviderStatus as DomainProviderStatus

from .scalars import JSON

# Strawberry registers an enum by marking the class itself: the domain's enums are the
# schema's, so there is no copy to keep in step and type checkers see the classes as such.
ProviderKind = records.ProviderKind
strawberry.enum(ProviderKind, description="The provider API an account speaks.")
ProviderCapability = records.ProviderCapability
strawberry.enum(
    ProviderCapability,
    description="What an account can do; clients use it to offer or hide actions.",
)
Direction = records.Direction
strawberry.enum(Direction, description="Who sent the message, seen from the account.")
SmsStatus = records.SmsStatus
strawberry.enum(
    SmsStatus,
    description="Delivery status; `UNKNOWN` for any provider value the gateway does not know.",
)
MessageType = records.MessageType
strawberry.enum(MessageType, description="Plain text (SMS) or multimedia (MMS).")


@strawberry.enum(description="The order of a record list; ties break by provider name.")
class SmsRecordOrder(enum.Enum):
    CREATED_AT_ASC = strawberry.enum_value("asc", description="Oldest first.")
    CREATED_AT_DESC = strawberry.enum_value("desc", description="Newest first.")


@strawberry.type(description="A configured provider account.")
class Provider:
    name: str = strawberry.field(description="The account's name from the gateway config.")
    kind: ProviderKind = strawberry.field(description="Which provider API the account uses.")
    capabilities: list[ProviderCapability] = strawberry.field(
        description="What the account supports beyond listing."
    )


@strawberry.type(description="One SMS or MMS detail record from any provider.")
class SmsRecord(relay.Node):
    """Every field but `id` and `provider` is the domain record's attribute of the same Python
    name; `RECORD_ATTRIBUTES` below is derived from this one list of fields."""

    id: relay.NodeID[str]
    provider: Provider = strawberry.field(description="The account that holds the record.")
    provider_record_id: str = strawberry.field(
        description="The record's id at the provider (DIDforSale `uuid`, CarrierX `dr_sid`)."
    )
    direction: Direction = strawberry.field(description="Inbound, outbound or undirected.")
    status: SmsStatus = strawberry.field(description="Delivery status, normalised.")
    raw_status: str = strawberry.field(description="The status exactly as the provider sent it.")
    type: MessageType = strawberry.field(description="SMS or MMS.")
    from_number: str = strawberry.field(name="from", description="Sender, E.164 with `+`.")
    to_number: str = strawberry.field(name="to", description="Recipient, E.164 with `+`.")
    group_recipients: list[str] = strawberry.field(
        description="All recipients of a group message, E.164 with `+`; empty otherwise."
    )
    body: str | None = strawberry.field(description="Message text; null for some MMS.")
    media_urls: list[str] = strawberry.field(description="Media of an MMS; empty for SMS.")
    segments: int | None = strawberry.field(description="Billed message segments.")
    price: Decimal | None = strawberry.field(description="Price in US dollars.")
    created_at: datetime = strawberry.field(
        description="When the record was created, UTC; the list order."
    )
    sent_at: datetime | None = strawberry.field(description="When the message was sent.")
    finished_at: datetime | None = strawberry.field(
        description="When delivery ended, with any status."
    )
    updated_at: datetime | None = strawberry.field(description="When the record last changed.")
    user_data: str | None = strawberry.field(
        description=(
            "Free text stored on the record (CarrierX only), "
            f"at most {MAX_USER_DATA_LENGTH} characters."
        )
    )
    mcc: str | None = strawberry.field(description="Mobile country code.")
    mnc: str | None = strawberry.field(description="Mobile network code.")
    carrier: str | None = strawberry.field(description="Carrier that handled the message.")
    raw: JSON = strawberry.field(description="The provider's record, as received.")

    @classmethod
    def from_record(cls, record: records.SmsRecord, provider: Provider) -> SmsRecord:
        """The record's own attributes copied; `provider` is the account's `Provider`."""
        copied = {name: getattr(record, name) for name in _COPIED}
        return cls(id=record_node_id(record), provider=provider, **copied)


_BUILT: dict[str, frozenset[str]] = {
    "id": frozenset({"provider", "node_key"}),
    "provider": frozenset({"provider"}),
}
"""The `SmsRecord` fields that `from_record` builds, by GraphQL name, with the record
attributes they read."""

_FIELDS = {
    field.graphql_name or to_camel_case(field.python_name): field
    for field in get_object_definition(SmsRecord, strict=True).fields
    if not is_private(field.type)
}

_COPIED = tuple(field.python_name for name, field in _FIELDS.items() if name not in _BUILT)


def record_python_name(name: str) -> str:
    """The Python name of the `SmsRecord` field with GraphQL name `name`."""
    return _FIELDS[name].python_name


RECORD_ATTRIBUTES: dict[str, frozenset[str]] = {
    name: _BUILT.get(name, frozenset({field.python_name})) for name, field in _FIELDS.items()
}
"""The domain record attributes that each `SmsRecord` field reads, by its GraphQL name: what
a selection of fields asks the adapters for."""


def _edge_cursor(root: SmsRecordEdge) -> str:
    return root.edge.cursor


@strawberry.type(description="An SMS record and the cursor of its place in the list.")
class SmsRecordEdge:
    """The cursor is read from the page's edge only when a query selects it."""

    edge: strawberry.Private[Edge]
    cursor: str = strawberry.field(
        resolver=_edge_cursor, description="Opaque; pass to `after` or `before` to page from here."
    )
    node: SmsRecord = strawberry.field(description="The record.")


@strawberry.type(description="How one provider account fared while serving this page.")
class ProviderStatus:
    provider: str = strawberry.field(description="The account name.")
    ok: bool = strawberry.field(
        description="False when the account failed; its records are missing."
    )
    code: str | None = strawberry.field(description="The error code when not ok.")
    message: str | None = strawberry.field(description="What went wrong, when not ok.")

    @classmethod
    def from_status(cls, status: DomainProviderStatus) -> ProviderStatus:
        return cls(provider=status.provider, ok=status.ok, code=status.code, message=status.message)


@strawberry.type(description="One page of SMS records of every selected provider, merged.")
class SmsRecordConnection:
    edges: list[SmsRecordEdge] = strawberry.field(description="The records with their cursors.")
    nodes: list[SmsRecord] = strawberry.field(description="The records, without cursors.")
    page_info: relay.PageInfo = strawberry.field(description="Where this page lies in the list.")
    provider_status: list[ProviderStatus] = strawberry.field(
        description="One entry per selected provider account."
    )

    @classmethod
    def of(cls, page: RecordPage, providers: Mapping[str, Provider]) -> SmsRecordConnection:
        """The page's records mapped once, shared by `edges` and `nodes`."""
        nodes = [SmsRecord.from_record(e.record, providers[e.record.provider]) for e in page.edges]
        return cls(
            edges=[
                SmsRecordEdge(edge=edge, node=node)
                for edge, node in zip(page.edges, nodes, strict=True)
            ],
            nodes=nodes,
            page_info=relay.PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=page.start_cursor,
                end_cursor=page.end_cursor,
            ),
            provider_status=[ProviderStatus.from_status(s) for s in page.provider_status],
        )


@strawberry.input(description="Narrows the list; every given field must match.")
class SmsRecordFilter:
    created_after: datetime | None = strawberry.field(
        default=None, description="Created at or after this instant (inclusive)."
    )
    created_before: datetime | None = strawberry.field(
        default=None, description="Created before this instant (exclusive)."
    )
    providers: list[str] | None = strawberry.field(
        default=None, description="Only these provider accounts, by name."
    )
    direction: Direction | None = strawberry.field(default=None, description="Only this direction.")
    statuses: list[SmsStatus] | None = strawberry.field(
        default=None, description="Only records with one of these statuses."
    )
    type: MessageType | None = strawberry.field(default=None, description="Only SMS or only MMS.")
    number: str | None = strawberry.field(
        default=None, description="E.164 number that is the sender, recipient or a group recipient."
    )


@strawberry.enum(description="Why a mutation could not be applied.")
class UserErrorCode(enum.Enum):
    NOT_FOUND = strawberry.enum_value("NOT_FOUND", description="No record has this id.")
    UNSUPPORTED_BY_PROVIDER = strawberry.enum_value(
        "UNSUPPORTED_BY_PROVIDER", description="The record's provider cannot do this."
    )
    INVALID_INPUT = strawberry.enum_value(
        "INVALID_INPUT", description="An input value is not acceptable."
    )
    PROVIDER_ERROR = strawberry.enum_value(
        "PROVIDER_ERROR", description="The provider failed or could not be reached."
    )
    FORBIDDEN = strawberry.enum_value(
        "FORBIDDEN", description="The provider account lacks the permission."
    )


@strawberry.type(description="A problem with a mutation's input or its effect.")
class UserError:
    code: UserErrorCode = strawberry.field(description="Machine-readable reason.")
    message: str = strawberry.field(description="Human-readable explanation.")
    field: list[str] | None = strawberry.field(
        default=None, description="Path of the input field at fault, if any."
    )


@strawberry.input(description="Store free text on an SMS record.")
class UpdateSmsRecordUserDataInput:
    id: strawberry.ID = strawberry.field(description="Global id of the record.")
    user_data: str | None = strawberry.field(
        default=None,
        description=f"New text, at most {MAX_USER_DATA_LENGTH} characters; null clears it.",
    )
    client_mutation_id: str | None = strawberry.field(
        default=None, description="Echoed back in the payload."
    )


@strawberry.type(description="The result of `updateSmsRecordUserData`.")
class UpdateSmsRecordUserDataPayload:
    sms_record: SmsRecord | None = strawberry.field(
        description="The updated record; null when `errors` is not empty."
    )
    client_mutation_id: str | None = strawberry.field(description="As given in the input.")
    errors: list[UserError] = strawberry.field(description="Empty on success.")
