"""Authentication: who is asking, and which accounts they may read or write.

    Authenticator.from_settings(settings)    static client tokens and/or `[auth.jwt]`
    await authenticator.start()              warms a JWKS URL's keys; never fails start-up
    await authenticator.authenticate(header) -> Caller, or raises `Unauthenticated` (401)
    authenticator.is_open                    nothing configured: every request is Caller.open()

    Caller(name, accounts, can_write)        accounts: None for every account
    new_token(), token_sha256(token)         what `sms-gateway new-token` prints

Modules, in the order a token is checked: `authenticator` (the header), `tokens` (static
client tokens), `jwt_verifier` (JWT claims), `keys` (where signing keys come from), and
`caller` (what the rest of the gateway sees). This package knows the config and the errors,
nothing of the schema, the service or the server.
"""

from gateway.auth.authenticator import Authenticator
from gateway.auth.caller import Caller
from gateway.auth.tokens import new_token, token_sha256

__all__ = ["Authenticator", "Caller", "new_token", "token_sha256"]
