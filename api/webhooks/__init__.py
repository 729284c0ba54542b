"""Signed webhooks: partners hear of changes instead of polling for them.

- ``endpoints``: registering, rotating secrets, disabling, enabling, retrying one delivery;
- ``dispatch``: from the change log (its verbs) to one delivery per endpoint that may see it;
- ``posting``: the worker that POSTs deliveries, signed, retried, swept (core.outbox).
"""

from .dispatch import webhooks_dispatch
from .endpoints import (
    webhook_delivery_retry,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_endpoint_register,
    webhook_endpoint_rotate_secret,
)
from .posting import (
    webhook_body,
    webhook_deliveries_prune,
    webhook_deliveries_send,
    webhook_signature,
    webhooks_sweep,
)

__all__ = [
    "webhook_body",
    "webhook_deliveries_prune",
    "webhook_deliveries_send",
    "webhook_delivery_retry",
    "webhook_endpoint_disable",
    "webhook_endpoint_enable",
    "webhook_endpoint_register",
    "webhook_endpoint_rotate_secret",
    "webhook_signature",
    "webhooks_dispatch",
    "webhooks_sweep",
]
