"""Precision and recall of the default risk score on the labelled orders (`make fraud-eval`).

The set is tests/events/fraud/labelled_orders.json: real payloads (tests/events/real) with edits,
what storeflow would know besides each order, a label and the reason for it. An order counts as
flagged when the default settings would act on it: at `review_at` (tag + note) and, separately,
at `hold_at` (hold + alert).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from functions.fraud.models import RiskSettings
from functions.fraud.signals import Facts, Score, risk_score
from storekit.adapters import canonical_topic, parse_delivery
from storekit.models import Order, PaymentDetails
from tests.payloads import load_fixture

LABELLED = Path(__file__).resolve().parent / "events" / "fraud" / "labelled_orders.json"
#: the store's running average the set assumes (200 orders of this much)
AVERAGE = {"AUD": Decimal("80"), "USD": Decimal("150"), "HKD": Decimal("350")}
STORE_ORDERS = 200


def labelled_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(LABELLED.read_text())["orders"]
    return cases


def _set(data: Any, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data[int(part)] if isinstance(data, list) else data[part]
    if isinstance(data, list):
        data[int(last)] = value
    else:
        data[last] = value


def order_of(case: dict[str, Any]) -> Order:
    base: str = case["base"]
    data = copy.deepcopy(json.loads(load_fixture(base)[0]))
    for path, value in case.get("set", {}).items():
        _set(data, path, value)
    platform = base.split("/", 1)[0]
    topic = canonical_topic(platform, "orders/create" if platform == "shopify" else "order.created")
    assert topic is not None
    order = parse_delivery(platform, topic, data).resource
    assert isinstance(order, Order)
    return order


def facts_of(case: dict[str, Any], order: Order) -> Facts:
    given = case.get("facts", {})
    card = case.get("card")
    payment = None
    if card:
        payment = PaymentDetails(
            avs_result_code=card.get("avs"),
            cvv_result_code=card.get("cvv"),
            credit_card_bin=card.get("bin", "424242"),
            credit_card_last4=card.get("last4", "4242"),
        )
    average = AVERAGE.get(order.currency or "", Decimal("100"))
    return Facts(
        payment=payment,
        platform_risk=given.get("platform_risk"),
        velocity=dict(given.get("velocity", {})),
        flagged=dict(given.get("flagged", {})),
        store_orders=STORE_ORDERS,
        store_amount=average * STORE_ORDERS,
    )


def score_case(case: dict[str, Any], settings: RiskSettings) -> Score:
    order = order_of(case)
    return risk_score(order, facts_of(case, order), settings)


@dataclass(frozen=True)
class Measure:
    threshold: int
    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 0.0

    @property
    def recall(self) -> float:
        fraud = self.true_positives + self.false_negatives
        return self.true_positives / fraud if fraud else 0.0


def measure(scores: Scored, threshold: int) -> Measure:
    tp = fp = fn = tn = 0
    for case, score in scores:
        flagged = score.total >= threshold
        fraud = case["label"] == "fraud"
        tp += flagged and fraud
        fp += flagged and not fraud
        fn += fraud and not flagged
        tn += not fraud and not flagged
    return Measure(threshold, tp, fp, fn, tn)


Scored = list[tuple[dict[str, Any], Score]]


def evaluate(settings: RiskSettings | None = None) -> tuple[Scored, list[Measure]]:
    settings = settings or RiskSettings()
    scores = [(case, score_case(case, settings)) for case in labelled_cases()]
    return scores, [measure(scores, settings.review_at), measure(scores, settings.hold_at)]


def main() -> None:
    scores, measures = evaluate()
    fraud = sum(case["label"] == "fraud" for case, _ in scores)
    good = len(scores) - fraud
    print(f"fraud-eval: {len(scores)} labelled orders ({fraud} fraud, {good} good), default settings")
    for name, m in zip(("review_at", "hold_at"), measures, strict=True):
        print(
            f"  {name} {m.threshold:>3}: precision {m.precision:.2f}  recall {m.recall:.2f}  "
            f"(TP {m.true_positives}, FP {m.false_positives}, FN {m.false_negatives}, TN {m.true_negatives})"
        )
    review = measures[0].threshold
    for case, score in scores:
        flagged = score.total >= review
        if flagged != (case["label"] == "fraud"):
            kind = "false positive" if flagged else "false negative"
            print(f"  {kind}: {case['id']} score {score.total}: {case['reason']}")


if __name__ == "__main__":
    main()
