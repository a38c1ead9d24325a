"""What the GraphQL-over-HTTP specification asks of a response beyond its body: the media
type the client accepts, the status that says whether the document ran, and how long a GET
answer may be kept.

`application/json` is what every client has always been given: status 200 whenever a
GraphQL response is written. A client that accepts `application/graphql-response+json`
(Apollo Client 4 does) at least as much gets that type, and a document that never ran
(it did not parse, validate, fit the limits or bind its variables) gets status 400, so that
caches, proxies and monitors see it as the client's mistake."""

from __future__ import annotations

from collections.abc import Mapping

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"

NOT_STORED = "no-store"
"""For answers no cache may keep: errors, refusals, a persisted query not found (a kept
"not found" would hide the document for as long as it was kept)."""

VARY = "Accept, Accept-Encoding, Authorization"
"""What a GET answer depends on besides its URL: its media type and status follow `Accept`,
its compression `Accept-Encoding`, the accounts it reads `Authorization`."""


def response_media_type(accept: str | None) -> str:
    """`application/graphql-response+json` when `accept` names it, with a weight no lower
    than `application/json`'s (or a wildcard's); else `application/json`, as for a client
    that sends no `Accept` at all."""
    weights: dict[str, float] = {}
    for media_range in (accept or "").split(","):
        media, *parameters = (part.strip() for part in media_range.split(";"))
        weights[media.lower()] = max(weights.get(media.lower(), 0.0), _weight(parameters))
    preferred = weights.get(GRAPHQL_RESPONSE, 0.0)
    legacy = max(weights.get(name, 0.0) for name in (JSON, "application/*", "*/*"))
    return GRAPHQL_RESPONSE if preferred > 0 and preferred >= legacy else JSON


def _weight(parameters: list[str]) -> float:
    """The `q` of one media range (1 when absent, 0 when unreadable)."""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def response_status(media_type: str, response: Mapping[str, object]) -> int:
    """200 for `application/json`, and for any document that ran (its response has a
    `data` entry, which one that never ran has not); else 400, or 500 when what stopped it
    was the gateway's own fault."""
    if media_type != GRAPHQL_RESPONSE or "data" in response:
        return 200
    errors = response.get("errors")
    if not isinstance(errors, list):
        return 200
    codes = {error.get("extensions", {}).get("code") for error in errors}
    return 500 if "INTERNAL_SERVER_ERROR" in codes else 400


def get_cache_control(*, shared: bool, max_age_seconds: float) -> str:
    """How long a successful GET answer may be kept: as long as the gateway itself keeps the
    upstream pages it was made from (`[cache] ttl_seconds`). Only an open gateway's answers
    are the same for everyone; with clients configured, only the caller's own browser may
    keep them."""
    scope = "public" if shared else "private"
    return f"{scope}, max-age={int(max_age_seconds)}"
