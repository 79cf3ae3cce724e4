"""The explainable risk score: each signal that fired, with its weight and its evidence, and each
signal that could not be judged, with why. Pure: the related facts are read before (facts.py); the
IP country comes from the database inside the geoip2fast package (no network call), loaded lazily
on the first lookup.

AVS codes (Visa/Mastercard, as Shopify passes them on): Y X D F M full match; A B P W Z partial;
N C no match; anything else (U R S G I E ...) the issuer did not check. CVV: M match, N no match,
anything else not checked.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from functions.fraud.models import RiskSettings
from storekit.models import Address, Order, PaymentDetails

AVS_FULL = frozenset("YXDFM")
AVS_PARTIAL = frozenset("ABPWZ")
AVS_NONE = frozenset("NC")
#: the velocity dimensions, in the order the evidence names them
DIMENSIONS = ("email", "ip", "card", "address")
_DIMENSION_WORDS = {"email": "email", "ip": "IP address", "card": "card", "address": "shipping address"}


@dataclass(frozen=True)
class Signal:
    name: str
    weight: int
    evidence: str

    def line(self) -> str:
        return f"+{self.weight} {self.name}: {self.evidence}"


@dataclass(frozen=True)
class Facts:
    """What the score reads besides the order (functions/fraud/facts.py fills it)."""

    #: the card checks of the order's transactions (else the order's own payment_details)
    payment: PaymentDetails | None = None
    #: the platform's own risk level (Shopify orders/risk_assessment_changed): low, medium, high
    platform_risk: str | None = None
    #: the orders before this one in the velocity window, per dimension
    velocity: dict[str, int] = field(default_factory=dict)
    #: dimensions whose velocity count is a lower bound (a flood's window keeps only its earliest
    #: and latest orders: enough to decide, not to number this order)
    velocity_at_least: frozenset[str] = frozenset()
    #: dimensions a chargeback flagged, with what it said
    flagged: dict[str, str] = field(default_factory=dict)
    #: the store's orders so far and their summed value (the running average)
    store_orders: int = 0
    store_amount: Decimal = Decimal("0")


@dataclass(frozen=True)
class Score:
    total: int
    signals: tuple[Signal, ...]
    #: signals that could not be judged, and why
    unavailable: tuple[str, ...]

    def explain(self) -> str:
        fired = "; ".join(s.line() for s in self.signals) or "no risk signal fired"
        missing = f". Not judged: {'; '.join(self.unavailable)}" if self.unavailable else ""
        return f"risk score {self.total}/100: {fired}{missing}"


# --- identities the counters and flags use ---------------------------------------------------
def _folded(text: str | None) -> str:
    return "".join(ch for ch in (text or "").casefold() if ch.isalnum())


def card_of(payment: PaymentDetails | None) -> str | None:
    """BIN + last four digits, when both are known."""
    if payment is None or not payment.credit_card_bin or not payment.credit_card_last4:
        return None
    return f"{payment.credit_card_bin}:{payment.credit_card_last4}"


def address_of(address: Address | None) -> str | None:
    """The shipping address as one comparable text (street, postal code, country)."""
    if address is None or not address.address1:
        return None
    return "|".join((_folded(address.address1), _folded(address.zip), _folded(address.country_code)))


def identities(order: Order, payment: PaymentDetails | None) -> dict[str, str]:
    """The order's email, IP, card and shipping address (those it has), as counted."""
    found = {
        "email": (order.email or "").strip().casefold() or None,
        "ip": (order.client_ip or "").strip() or None,
        "card": card_of(payment or order.payment),
        "address": address_of(order.shipping_address or order.billing_address),
    }
    return {k: v for k, v in found.items() if v}


# --- lookups in packaged data (lazy: they cost import time) ------------------------------------
#: shipped inside the geoip2fast package (no download, no network call)
GEOIP_DATA_FILE = "geoip2fast-ipv6.dat.gz"


@lru_cache(maxsize=1)
def _geoip() -> object:
    from geoip2fast import GeoIP2Fast  # ~0.2 s: loaded on the first lookup only

    # the package's IPv6 data file holds the IPv4 ranges too: one database for both
    return GeoIP2Fast(verbose=False, geoip2fast_data_file=GEOIP_DATA_FILE)


def ip_country(ip: str) -> str | None:
    """The country of a public IPv4 or IPv6 address from the packaged database; None when unknown."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:  # ::ffff:a.b.c.d
        address = address.ipv4_mapped
    if not address.is_global:
        return None
    found = getattr(_geoip().lookup(str(address)), "country_code", None)  # type: ignore[attr-defined]
    return found if isinstance(found, str) and re.fullmatch(r"[A-Z]{2}", found) else None


@lru_cache(maxsize=1)
def _disposable() -> frozenset[str]:
    from disposable_email_domains import blocklist

    return frozenset(blocklist)


def is_disposable(domain: str, extra: list[str]) -> bool:
    domain = domain.strip().casefold().rstrip(".")
    parts = domain.split(".")
    candidates = {".".join(parts[i:]) for i in range(len(parts) - 1)}  # the domain and its parents
    return bool(candidates & _disposable()) or bool(candidates & {d.strip().casefold() for d in extra})


# --- the signals -------------------------------------------------------------------------------
def _folded_name(text: str | None) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed.casefold() if ch.isalpha())


def _card_checks(payment: PaymentDetails | None, settings: RiskSettings) -> tuple[list[Signal], list[str]]:
    weights = settings.weights
    signals: list[Signal] = []
    missing: list[str] = []
    avs = (payment.avs_result_code or "").strip().upper() if payment else ""
    cvv = (payment.cvv_result_code or "").strip().upper() if payment else ""
    if not avs and not cvv:
        missing.append(
            "AVS/CVV: no card check result for this order (Shopify sends them with "
            "order_transactions/create: subscribe it; WooCommerce does not send them)"
        )
        return signals, missing
    if not avs:
        missing.append("AVS: the payment carries no AVS result")
    elif avs in AVS_NONE:
        signals.append(
            Signal("avs_no_match", weights.avs_no_match, f"AVS result {avs}: address does not match")
        )
    elif avs in AVS_PARTIAL:
        signals.append(
            Signal(
                "avs_partial_match", weights.avs_partial_match, f"AVS result {avs}: address matches in part"
            )
        )
    elif avs not in AVS_FULL:
        missing.append(f"AVS: result {avs} (the issuer did not check the address)")
    if not cvv:
        missing.append("CVV: the payment carries no CVV result")
    elif cvv == "N":
        signals.append(
            Signal("cvv_no_match", weights.cvv_no_match, "CVV result N: security code does not match")
        )
    elif cvv != "M":
        missing.append(f"CVV: result {cvv} (not checked)")
    return signals, missing


def _countries(
    order: Order, settings: RiskSettings, country_of_ip: Callable[[str], str | None]
) -> tuple[list[Signal], list[str]]:
    weights = settings.weights
    signals: list[Signal] = []
    missing: list[str] = []
    billing = (order.billing_address.country_code if order.billing_address else None) or None
    shipping = (order.shipping_address.country_code if order.shipping_address else None) or None
    if billing and shipping and billing.upper() != shipping.upper():
        signals.append(
            Signal(
                "billing_shipping_country",
                weights.billing_shipping_country,
                f"billing country {billing.upper()}, shipping country {shipping.upper()}",
            )
        )
    elif not (billing and shipping):
        missing.append("billing vs shipping country: the order lacks one of the addresses")
    if not order.client_ip:
        missing.append("IP country: the order carries no browser IP")
        return signals, missing
    country = country_of_ip(order.client_ip)
    if country is None:
        missing.append("IP country: not a public IP address the packaged database knows")
        return signals, missing
    known = {c.upper() for c in (billing, shipping) if c}
    if known and country not in known:
        signals.append(
            Signal(
                "ip_country",
                weights.ip_country,
                f"IP address in {country}, addresses in {', '.join(sorted(known))}",
            )
        )
    return signals, missing


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _velocity(order: Order, facts: Facts, settings: RiskSettings) -> tuple[list[Signal], list[str]]:
    signals: list[Signal] = []
    missing: list[str] = []
    found = identities(order, facts.payment)
    weights = {
        "email": settings.weights.email_velocity,
        "ip": settings.weights.ip_velocity,
        "card": settings.weights.card_velocity,
        "address": settings.weights.address_velocity,
    }
    for dimension in DIMENSIONS:
        word = _DIMENSION_WORDS[dimension]
        if dimension not in found:
            if dimension == "card":
                missing.append("card velocity: no card BIN and last four digits known for this order")
            continue
        count = facts.velocity.get(dimension, 0) + 1
        if count > settings.velocity_max_orders:
            within = f"from this {word} within {settings.velocity_window_hours} h"
            evidence = (
                f"more than {settings.velocity_max_orders} orders {within}"
                if dimension in facts.velocity_at_least
                else f"{_ordinal(count)} order {within} (more than {settings.velocity_max_orders})"
            )
            signals.append(Signal(f"{dimension}_velocity", weights[dimension], evidence))
    return signals, missing


def is_first_order(order: Order) -> bool:
    """No earlier order is known: a guest checkout, or a customer whose order count is at most 1."""
    customer = order.customer
    return customer is None or customer.orders_count is None or customer.orders_count <= 1


def _high_value(order: Order, facts: Facts, settings: RiskSettings) -> tuple[list[Signal], list[str]]:
    if order.total is None or not is_first_order(order):
        return [], []
    if facts.store_orders < settings.high_value_min_orders:
        return [], [
            f"high first order: the store's average needs {settings.high_value_min_orders} orders, "
            f"storeflow has seen {facts.store_orders}"
        ]
    average = (facts.store_amount / facts.store_orders).quantize(Decimal("0.01"))
    if average > 0 and order.total >= average * settings.high_value_multiplier:
        currency = f" {order.currency}" if order.currency else ""
        times = (order.total / average).quantize(Decimal("0.1"))
        return [
            Signal(
                "high_value_first_order",
                settings.weights.high_value_first_order,
                f"first order of {order.total}{currency}, {times}x "
                f"the store's average of {average} (at least {settings.high_value_multiplier}x)",
            )
        ], []
    return [], []


def _many_units(order: Order, settings: RiskSettings) -> list[Signal]:
    units: dict[str, int] = {}
    names: dict[str, str] = {}
    for line in order.line_items:
        key = line.variant_id or line.sku or line.product_id or line.title or ""
        units[key] = units.get(key, 0) + line.quantity
        names[key] = line.sku or line.title or f"variant {key}"
    if not units:
        return []
    key, most = max(units.items(), key=lambda kv: kv[1])
    if most < settings.many_units:
        return []
    return [
        Signal(
            "many_units_of_one_variant",
            settings.weights.many_units_of_one_variant,
            f"{most} units of {names[key]} (at least {settings.many_units})",
        )
    ]


def _disposable_email(order: Order, settings: RiskSettings) -> list[Signal]:
    email = order.email or ""
    _, _, domain = email.rpartition("@")
    if not domain or not is_disposable(domain, settings.extra_disposable_domains):
        return []
    return [
        Signal(
            "disposable_email",
            settings.weights.disposable_email,
            f"email domain {domain.lower()} is a disposable-mail service",
        )
    ]


def _names(order: Order, settings: RiskSettings) -> list[Signal]:
    billing, shipping = order.billing_address, order.shipping_address
    if billing is None or shipping is None:
        return []
    b, s = _folded_name(billing.last_name), _folded_name(shipping.last_name)
    if not b or not s or b == s:
        return []
    return [Signal("name_mismatch", settings.weights.name_mismatch, "billing and shipping last names differ")]


def _platform(facts: Facts, settings: RiskSettings) -> list[Signal]:
    level = (facts.platform_risk or "").lower()
    if level == "high":
        return [
            Signal(
                "platform_risk_high",
                settings.weights.platform_risk_high,
                "the platform rates the order high risk",
            )
        ]
    if level == "medium":
        return [
            Signal(
                "platform_risk_medium",
                settings.weights.platform_risk_medium,
                "the platform rates the order medium risk",
            )
        ]
    return []


def _chargebacks(facts: Facts, settings: RiskSettings) -> list[Signal]:
    if not facts.flagged:
        return []
    named = ", ".join(f"{_DIMENSION_WORDS[d]} ({facts.flagged[d]})" for d in DIMENSIONS if d in facts.flagged)
    return [
        Signal("chargeback_history", settings.weights.chargeback_history, f"a chargeback named this {named}")
    ]


def risk_score(
    order: Order,
    facts: Facts,
    settings: RiskSettings,
    country_of_ip: Callable[[str], str | None] = ip_country,
) -> Score:
    """Every signal of one order, scored with the store's weights (0 turns a signal off)."""
    signals: list[Signal] = []
    missing: list[str] = []
    for found, unjudged in (
        _card_checks(facts.payment or order.payment, settings),
        _countries(order, settings, country_of_ip),
        _velocity(order, facts, settings),
        _high_value(order, facts, settings),
    ):
        signals += found
        missing += unjudged
    signals += _many_units(order, settings)
    signals += _disposable_email(order, settings)
    signals += _names(order, settings)
    signals += _platform(facts, settings)
    signals += _chargebacks(facts, settings)
    fired = tuple(s for s in signals if s.weight > 0)
    return Score(total=min(100, sum(s.weight for s in fired)), signals=fired, unavailable=tuple(missing))
