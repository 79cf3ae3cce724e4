"""The customers domain as the registry sees it: channel and segment tags, loyalty tiers, the
marketing flows, what it keeps after each event and action (functions/customers/facts.py) and the
signed links it answers (unsubscribe, open pixel, click)."""

from __future__ import annotations

from functions.customers.channel_tags import CHANNEL_TAGS
from functions.customers.crm import CRM_SYNC
from functions.customers.facts import (
    TRACKS,
    UNSUBSCRIBES,
    claim_cap_slot,
    count_marketing_send,
    forget_contacts,
    keep_cart_shoppers,
    keep_consent,
    keep_holdouts,
    keep_order_facts,
    list_customer_data,
)
from functions.customers.flows import ABANDONED_CHECKOUT_FLOW, POST_PURCHASE_FLOW, WELCOME_FLOW, WIN_BACK_FLOW
from functions.customers.loyalty import LOYALTY_TIERS
from functions.customers.models import MARKETING, MarketingRules
from functions.customers.occasions import BIRTHDAY_OFFERS
from functions.customers.report import flows_report
from functions.customers.segments import SEGMENT_TAGS
from storekit.automation import Automation, Domain

#: the store-wide marketing rules (frequency cap, attribution window, WooCommerce consent key):
#: settings only, no messages of its own
MARKETING_RULES: Automation[None, MarketingRules, None] = Automation(
    name=MARKETING,
    description="Rules every marketing flow follows: frequency cap (1 a day, 3 a week), attribution "
    "window, WooCommerce consent meta key (settings only)",
    topics=frozenset(),
    settings_model=MarketingRules,
)

DOMAIN = Domain(
    name="customers",
    automations=(
        CHANNEL_TAGS,
        SEGMENT_TAGS,
        LOYALTY_TIERS,
        WELCOME_FLOW,
        ABANDONED_CHECKOUT_FLOW,
        POST_PURCHASE_FLOW,
        WIN_BACK_FLOW,
        BIRTHDAY_OFFERS,
        CRM_SYNC,
        MARKETING_RULES,
    ),
    #: customers' newest versions (a customers/redact finds the addresses they were reached at);
    #: orders (a refund's customer, the thank-you's order)
    snapshots=frozenset({"customer", "order"}),
    keeps=(keep_order_facts, keep_consent, keep_holdouts, keep_cart_shoppers),
    settles=(count_marketing_send,),
    unsubscribes=UNSUBSCRIBES,
    tracks=TRACKS,
    forgets=(forget_contacts,),
    lists=(list_customer_data,),
    #: a marketing message takes its slot of the customer's frequency cap when it goes
    admits=(claim_cap_slot,),
    reports={"flows": flows_report},
)
