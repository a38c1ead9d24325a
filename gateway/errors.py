"""One exception tree for the whole gateway; each class names its GraphQL `extensions.code`.

    GatewayError                      INTERNAL_SERVER_ERROR
    ├── BadUserInput                  BAD_USER_INPUT
    │   ├── MalformedRecordId         BAD_USER_INPUT
    │   └── CallLimitReached          BAD_USER_INPUT        carries `provider`: totals cut short
    ├── BadCursor                     BAD_CURSOR
    ├── Unauthenticated               UNAUTHENTICATED       no, or no valid, bearer token
    ├── Forbidden                     FORBIDDEN             the client may not do this
    ├── NotFound                      NOT_FOUND
    ├── PersistedQueryNotFound        PERSISTED_QUERY_NOT_FOUND   the client sends the document
    ├── UnsupportedByProvider         (payload error UNSUPPORTED_BY_PROVIDER)
    └── ProviderFailure               carries `provider`, the account name
        ├── ProviderUnavailable       PROVIDER_UNAVAILABLE  timeouts, refused connections, 5xx, 429
        └── ProviderError             PROVIDER_ERROR        malformed replies, reported failures
            └── ProviderForbidden     FORBIDDEN             the account lacks a scope

    ConfigError                       not a GraphQL error: stops start-up with one line

Messages are written for the client: they never hold upstream URLs, bodies or credentials,
and they name an account by `account_label`.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def extensions(self) -> dict[str, str]:
        return {"code": self.code}


class BadUserInput(GatewayError):
    """An argument the client can fix: page sizes, filters, ids."""

    code = "BAD_USER_INPUT"


class MalformedRecordId(BadUserInput):
    """A global id that no provider could have produced."""


class CallLimitReached(BadUserInput):
    """An account's totals needed more upstream calls than `[limits] max_stats_calls`; the
    client narrows the time range to get them whole. Names the account."""

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(message)
        self.provider = provider

    def extensions(self) -> dict[str, str]:
        return {"code": self.code, "provider": self.provider}


class BadCursor(GatewayError):
    """A cursor that is forged, damaged, from another version, or for another filter/order."""

    code = "BAD_CURSOR"


class Unauthenticated(GatewayError):
    """The request carries no bearer token the gateway accepts; the server answers 401.

    Its message says what is wrong (missing, malformed, expired, ...), never the token."""

    code = "UNAUTHENTICATED"


class Forbidden(GatewayError):
    """The client is known but may not do this (change `userData` without write access)."""

    code = "FORBIDDEN"


class NotFound(GatewayError):
    """A well-formed id of a record the provider does not have."""

    code = "NOT_FOUND"


class PersistedQueryNotFound(GatewayError):
    """A persisted-query hash the gateway does not hold (yet, or any more). Apollo's clients
    read this exact message and code as "send the document with its hash", so neither may
    change."""

    code = "PERSISTED_QUERY_NOT_FOUND"

    def __init__(self) -> None:
        super().__init__("PersistedQueryNotFound")


class UnsupportedByProvider(GatewayError):
    """The provider's API cannot do what was asked (DIDforSale stores no user data)."""

    code = "UNSUPPORTED_BY_PROVIDER"


class ProviderFailure(GatewayError):
    """A provider account could not serve a request; names the account."""

    code = "PROVIDER_ERROR"

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(message)
        self.provider = provider

    def extensions(self) -> dict[str, str]:
        return {"code": self.code, "provider": self.provider}


class ProviderUnavailable(ProviderFailure):
    """The provider could not be reached, or kept answering with a server error or 429."""

    code = "PROVIDER_UNAVAILABLE"


class ProviderError(ProviderFailure):
    """The provider answered, but with a failure or a reply we cannot read."""

    code = "PROVIDER_ERROR"


class ProviderForbidden(ProviderError):
    """The account's credentials lack the scope the request needs."""

    code = "FORBIDDEN"


def account_label(kind: str, account: str) -> str:
    """How every message names a provider account: its kind and its name from the config,
    e.g. `carrierx account 'cx-main'`, so that a client can tell two accounts of one kind apart."""
    return f"{kind} account '{account}'"


class ConfigError(Exception):
    """A configuration problem, reported as one line naming the key."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}" if key else problem)
        self.key = key
        self.problem = problem
