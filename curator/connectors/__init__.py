"""Network connectors: one module per network, all of the shape in base.py."""

from __future__ import annotations

import importlib
from typing import Any

from ..types import Account, Network
from .base import Connector, Failure, OutgoingPost, Published, PublishError

__all__ = ["Connector", "Failure", "OutgoingPost", "Published", "PublishError", "connector_for"]

# Imported on first use: a CLI call that publishes to one network loads only that module.
_MODULES = {
    Network.WEBHOOK: "webhook",
    Network.MASTODON: "mastodon",
    Network.BLUESKY: "bluesky",
    Network.LINKEDIN: "linkedin",
    Network.X: "x",
}


def connector_for(account: Account, secrets: Any, *, session: Any = None) -> Connector:
    """The connector for account. `secrets` is a curator.secrets.SecretStore; `session` a
    requests.Session (one is made when None).

    Raises:
        PublishError: the network has no connector yet (PERMANENT).
    """
    name = _MODULES.get(account.network)
    try:
        module = importlib.import_module(f"{__name__}.{name}") if name else None
    except ModuleNotFoundError:
        module = None
    if module is None:
        raise PublishError(f"Publishing to {account.network.value} is not available yet.",
                           Failure.PERMANENT)
    return module.make(account, secrets, session=session,  # type: ignore[no-any-return]
                       **network_options(account))


def network_options(account: Account) -> dict[str, Any]:
    """The account's settings its network's connector takes as keyword arguments."""
    if account.network is Network.MASTODON:
        return {"visibility": account.visibility or "public",
                "server_schedule": account.server_schedule}
    if account.network is Network.LINKEDIN:
        return {"linkedin_version": account.api_version}
    return {}
