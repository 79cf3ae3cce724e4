"""The customers domain as the registry sees it."""

from __future__ import annotations

from functions.customers.channel_tags import CHANNEL_TAGS
from storekit.automation import Domain

DOMAIN = Domain(
    name="customers",
    automations=(CHANNEL_TAGS,),
    #: customers' newest versions: a customers/redact finds the addresses they were reached at
    snapshots=frozenset({"customer"}),
)
