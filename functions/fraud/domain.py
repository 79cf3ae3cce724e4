"""The fraud domain as the registry sees it: its automations, the snapshots it reads and what it
keeps after each event (functions/fraud/facts.py)."""

from __future__ import annotations

from functions.fraud.facts import (
    forget_fraud_identities,
    keep_card_checks,
    keep_chargeback_flags,
    keep_order_counters,
    keep_platform_risk,
)
from functions.fraud.hoarding import STOCK_HOARDING, keep_limited_products, keep_limited_units
from functions.fraud.outcomes import count_decision, count_event_outcome, count_new_order
from functions.fraud.refunds import REFUND_RULE, keep_money_movement
from functions.fraud.report import fraud_report
from functions.fraud.restricted import RESTRICTED_DESTINATIONS
from functions.fraud.risk import RISK
from storekit.automation import Domain

DOMAIN = Domain(
    name="fraud",
    automations=(RISK, RESTRICTED_DESTINATIONS, STOCK_HOARDING, REFUND_RULE),
    #: orders: a transaction, risk assessment or chargeback names its order, read from its snapshot
    snapshots=frozenset({"order"}),
    #: count_new_order, count_event_outcome: the store's running order value and the fraud report's
    #: counters (scored, charged back, refunded, fulfilled), once per order (marked in its ledger)
    keeps=(
        keep_order_counters,
        count_new_order,
        count_event_outcome,
        keep_card_checks,
        keep_platform_risk,
        keep_chargeback_flags,
        keep_limited_units,
        keep_limited_products,
    ),
    #: each refund and store credit recorded on its order with its reason (never twice)
    settles=(keep_money_movement, count_decision),
    reports={"fraud": fraud_report},
    #: customers/redact: velocity counters and chargeback flags of the customer's identities
    forgets=(forget_fraud_identities,),
)
