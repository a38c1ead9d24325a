"""The HTTP side of the gateway: the aiohttp application, its GraphQL view and the operators'
endpoints. The only package of the gateway that serves HTTP."""

from gateway.server.app import announce_access, create_app

__all__ = ["announce_access", "create_app"]
