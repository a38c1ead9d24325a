"""Who is asking: the one value the rest of the gateway sees of authentication.

The server turns a request's `Authorization` header into a `Caller` before anything runs;
the service narrows every account list through it, so a scope is enforced in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

OPEN_CALLER = "anonymous"
JWT_CALLER = "jwt"


@dataclass(frozen=True, slots=True)
class Caller:
    """A client by name, the accounts it may read, and whether it may write `userData`.

    `accounts` is `None` for every account (`["*"]`, a JWT claim `"*"`, or an open gateway),
    else the names it may read, which may be empty. `name` is a `[[clients]]` name,
    `jwt:<sub>` for a JWT (`jwt` when it has no subject), or `anonymous` on an open gateway;
    client names cannot hold `:`, so the three never collide.
    """

    name: str
    accounts: frozenset[str] | None
    can_write: bool

    @classmethod
    def open(cls) -> Caller:
        """The caller of a gateway with no clients and no JWT configured: reads and writes all."""
        return cls(OPEN_CALLER, None, True)

    @property
    def label(self) -> str:
        """A bounded name for metrics labels: the client name, `jwt` or `anonymous`."""
        return self.name.partition(":")[0]

    def may_read(self, account: str) -> bool:
        return self.accounts is None or account in self.accounts

    def readable(self, accounts: Iterable[str]) -> tuple[str, ...]:
        """`accounts` narrowed to those this caller may read, in their given order."""
        return tuple(account for account in accounts if self.may_read(account))
