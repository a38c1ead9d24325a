"""The HTTP side of the gateway: the aiohttp application, its GraphQL view and the operators'
endpoints. The only package of the gateway that serves HTTP."""

from gateway.server.app import create_app

__all__ = ["create_app"]
