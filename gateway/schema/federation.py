"""The schema as an Apollo Federation 2 subgraph (`[server] federation = true`).

`SmsRecord` and `Provider` are its entities, keyed by `id` and `name`. The keys belong to the
subgraph alone: the ordinary schema shows no federation directive. Strawberry reads a type's
directives from the one definition its class holds, so the subgraph is built while each
entity class holds a copy of its definition with the key added (`entity_definitions`); the
subgraph's types keep those copies, which print the keys in `_service { sdl }`, and the
classes have their own definitions back before any other schema is built, in any thread.

`_entities` finds a record through the request's DataLoader, exactly as `node` does (a
record of an account the caller may not read is null, and costs no upstream call), and a
provider among the caller's accounts.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Final

from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.types.base import get_object_definition
from strawberry.types.unset import UNSET

from gateway.errors import BadUserInput

from .query import GatewayInfo, load_record
from .types import Provider, SmsRecord

FEDERATION_VERSION: Final = "2.0"
"""The oldest Federation 2 version with all the subgraph uses (`@key`): every Federation 2
router composes it, and the printed `@link` does not move with Strawberry's default."""


async def _provider_named(info: GatewayInfo, name: str) -> Provider | None:
    """A `Provider` entity is one of the caller's own accounts: the context holds only
    those, so another's name finds nothing, without an upstream call."""
    return info.context.providers.get(name)


@dataclass(frozen=True, slots=True)
class Entity:
    """A type other subgraphs may reference, the field that identifies it, and how one is
    found from that field's value."""

    cls: type
    key: str
    find: Callable[[GatewayInfo, str], Awaitable[object | None]]

    @property
    def name(self) -> str:
        return get_object_definition(self.cls, strict=True).name


ENTITIES: Mapping[str, Entity] = {
    entity.name: entity
    for entity in (Entity(SmsRecord, "id", load_record), Entity(Provider, "name", _provider_named))
}
"""The subgraph's entities by GraphQL type name."""


_BUILDING = threading.Lock()
"""Held while a schema is built from the definitions the entity classes hold."""


@contextmanager
def entity_definitions(*, keyed: bool) -> Iterator[None]:
    """While it lasts no other schema is built, in any thread, since a build reads the
    definitions the entity classes hold; with `keyed`, each holds its definition with its
    `@key` added, for the subgraph."""
    with _BUILDING, _keyed_entities() if keyed else nullcontext():
        yield


@contextmanager
def _keyed_entities() -> Iterator[None]:
    """A value of an entity class is told apart by the class itself (`is_type_of`), since
    its instances carry the class's own definition at run time."""
    own = {
        entity.cls: get_object_definition(entity.cls, strict=True) for entity in ENTITIES.values()
    }
    try:
        for entity in ENTITIES.values():
            definition = own[entity.cls]
            entity.cls.__strawberry_definition__ = dataclasses.replace(  # type: ignore[attr-defined]
                definition,
                directives=[
                    *(definition.directives or ()),
                    Key(fields=FieldSet(entity.key), resolvable=UNSET),
                ],
                is_type_of=_instance_of(entity.cls),
            )
        yield
    finally:
        for cls, definition in own.items():
            cls.__strawberry_definition__ = definition  # type: ignore[attr-defined]


def _instance_of(cls: type) -> Callable[[object, Any], bool]:
    return lambda value, _info: isinstance(value, cls)


def resolve_entities(
    info: GatewayInfo, representations: Sequence[object]
) -> list[Awaitable[object | None]]:
    """One awaitable a representation: its entity, or None where it does not exist for the
    caller. Awaited as list items, each fails alone, its error at its own index, while
    the records among them are loaded in one DataLoader batch."""
    return [_resolve(info, index, given) for index, given in enumerate(representations)]


async def _resolve(info: GatewayInfo, index: int, representation: object) -> object | None:
    given = representation if isinstance(representation, dict) else {}
    entity = ENTITIES.get(str(given.get("__typename")))
    if entity is None:
        raise BadUserInput(
            f"representations[{index}] is not an entity of this subgraph: its `__typename` "
            f"must be one of {', '.join(ENTITIES)}."
        )
    value = given.get(entity.key)
    if not isinstance(value, str):
        raise BadUserInput(
            f"representations[{index}]: a {entity.name} is found by its `{entity.key}`, a string."
        )
    return await entity.find(info, value)
