"""The price book and how a quote line is priced, step by step.

Order of the steps, each shown on the line: list price (unit price × quantity, or the
bundle's components at list) → bundle price → the best promotion valid on the quote date
(products only) → the rep's discount → net, rounded half-up to the currency's minor unit.
Arithmetic is on :class:`~decimal.Decimal`; nothing is a float.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from kernel.domain import Money
from kernel.errors import InvalidCommand
from services.billing.domain.catalog import Catalog, Violation

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Bundle:
    id: str
    name: str
    product_line: str
    components: Mapping[str, int]  # sku -> quantity in one bundle
    price: Decimal


@dataclass(frozen=True)
class Promotion:
    code: str
    name: str
    percent_off: Decimal
    valid_from: date
    valid_to: date  # inclusive
    skus: tuple[str, ...] = ()
    product_lines: tuple[str, ...] = ()

    def applies(self, sku: str, product_line: str, on: date) -> bool:
        if not self.valid_from <= on <= self.valid_to:
            return False
        return sku in self.skus or product_line in self.product_lines


@dataclass(frozen=True)
class PriceBook:
    currency: str
    unit_prices: Mapping[str, Decimal]
    bundles: Mapping[str, Bundle] = field(default_factory=dict)
    promotions: tuple[Promotion, ...] = ()

    def best_promotion(self, sku: str, product_line: str, on: date) -> Promotion | None:
        valid = [p for p in self.promotions if p.applies(sku, product_line, on)]
        return max(valid, key=lambda p: (p.percent_off, p.code), default=None)


@dataclass(frozen=True)
class LineRequest:
    """One line of a customer's needs: a product SKU or a bundle id, a quantity, and the
    discount the rep proposes (percent)."""

    item: str
    quantity: int
    discount_percent: Decimal = Decimal(0)


@dataclass(frozen=True)
class PricedLine:
    number: int
    item: str
    kind: str  # "product" or "bundle"
    name: str
    product_line: str
    quantity: int
    list_amount: Money
    discount_percent: Decimal
    net_amount: Money
    promotion: str = ""
    steps: tuple[dict[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "item": self.item,
            "kind": self.kind,
            "name": self.name,
            "product_line": self.product_line,
            "quantity": self.quantity,
            "list_amount": str(self.list_amount.amount),
            "discount_percent": str(self.discount_percent),
            "net_amount": str(self.net_amount.amount),
            "currency": self.net_amount.currency,
            "promotion": self.promotion,
            "steps": [dict(s) for s in self.steps],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PricedLine:
        currency = d["currency"]
        return cls(
            number=int(d["number"]),
            item=d["item"],
            kind=d["kind"],
            name=d["name"],
            product_line=d["product_line"],
            quantity=int(d["quantity"]),
            list_amount=Money.of(d["list_amount"], currency),
            discount_percent=Decimal(d["discount_percent"]),
            net_amount=Money.of(d["net_amount"], currency),
            promotion=d.get("promotion", ""),
            steps=tuple(d.get("steps", ())),
        )

    def unit_net(self) -> Decimal:
        """Net value of one unit (exact; used to value returns)."""
        return self.net_amount.amount / self.quantity


def _step(step: str, detail: str, amount: Money) -> dict[str, str]:
    return {"step": step, "detail": detail, "amount": str(amount.amount)}


def _percent_of(value: Money, percent: Decimal) -> Money:
    return Money.of((value.amount * percent / HUNDRED).quantize(Decimal("0.0001")), value.currency)


def expand(requests: Sequence[LineRequest], book: PriceBook) -> dict[str, int]:
    """The configuration a quote's lines make: bundles counted as their components."""
    quantities: dict[str, int] = {}
    for r in requests:
        bundle = book.bundles.get(r.item)
        parts = bundle.components if bundle else {r.item: 1}
        for sku, per in parts.items():
            quantities[sku] = quantities.get(sku, 0) + per * r.quantity
    return quantities


def price_lines(
    requests: Sequence[LineRequest], catalog: Catalog, book: PriceBook, on: date
) -> list[PricedLine]:
    """Price valid lines; refuses (InvalidCommand with every violation listed) a
    configuration the catalog forbids or an item the price book has no price for."""
    if not requests:
        raise InvalidCommand("a quote needs at least one line")
    problems: list[Violation] = []
    for r in requests:
        if r.quantity < 1:
            problems.append(Violation("quantity", r.item, f"{r.item}: quantity must be >= 1"))
        if not Decimal(0) <= r.discount_percent <= HUNDRED:
            problems.append(
                Violation("discount", r.item, f"{r.item}: discount must be between 0 and 100%")
            )
    problems += catalog.violations(expand(requests, book))
    for r in requests:
        if (
            r.item not in book.bundles
            and r.item in catalog.products
            and r.item not in book.unit_prices
        ):
            problems.append(
                Violation("no_price", r.item, f"{r.item} has no price in the price book")
            )
        for sku in book.bundles[r.item].components if r.item in book.bundles else ():
            if sku not in book.unit_prices:
                problems.append(
                    Violation("no_price", sku, f"{sku} (in bundle {r.item}) has no list price")
                )
    if problems:
        summary = "; ".join(v.message for v in problems)
        raise InvalidCommand(
            f"the configuration breaks {len(problems)} rule(s): {summary}",
            details=[v.as_dict() for v in problems],
        )
    return [_price_one(n, r, catalog, book, on) for n, r in enumerate(requests, start=1)]


def _price_one(
    number: int, r: LineRequest, catalog: Catalog, book: PriceBook, on: date
) -> PricedLine:
    currency = book.currency
    steps: list[dict[str, str]] = []
    promotion_code = ""
    bundle = book.bundles.get(r.item)
    if bundle is not None:
        unit_list = sum(
            (book.unit_prices[sku] * per for sku, per in bundle.components.items()), Decimal(0)
        )
        list_amount = Money.of(unit_list * r.quantity, currency)
        steps.append(
            _step("list_price", f"{r.quantity} × components at list {unit_list}", list_amount)
        )
        bundled = Money.of(bundle.price * r.quantity, currency)
        steps.append(
            _step(
                "bundle_price",
                f"bundle {bundle.id}: {r.quantity} × {bundle.price}",
                bundled - list_amount,
            )
        )
        amount, name, line = bundled, bundle.name, bundle.product_line
        kind = "bundle"
    else:
        product = catalog.products[r.item]
        unit = book.unit_prices[r.item]
        list_amount = Money.of(unit * r.quantity, currency)
        steps.append(_step("list_price", f"{r.quantity} × {unit}", list_amount))
        amount, name, line = list_amount, product.name, product.product_line
        kind = "product"
        promotion = book.best_promotion(r.item, product.product_line, on)
        if promotion is not None:
            off = _percent_of(amount, promotion.percent_off)
            steps.append(
                _step(
                    "promotion",
                    f"{promotion.code}: -{promotion.percent_off}% "
                    f"(valid {promotion.valid_from} to {promotion.valid_to})",
                    -off,
                )
            )
            amount = amount - off
            promotion_code = promotion.code
    if r.discount_percent:
        off = _percent_of(amount, r.discount_percent)
        steps.append(_step("discount", f"-{r.discount_percent}% proposed by the rep", -off))
        amount = amount - off
    net = amount.rounded()
    steps.append(_step("net", "rounded half-up to the currency's minor unit", net))
    return PricedLine(
        number=number,
        item=r.item,
        kind=kind,
        name=name,
        product_line=line,
        quantity=r.quantity,
        list_amount=list_amount,
        discount_percent=r.discount_percent,
        net_amount=net,
        promotion=promotion_code,
        steps=tuple(steps),
    )


def total_of(lines: Sequence[PricedLine], currency: str) -> Money:
    return sum((line.net_amount for line in lines), Money.zero(currency))


@dataclass(frozen=True)
class ApprovalNeed:
    line: int
    product_line: str
    discount_percent: Decimal
    threshold_percent: Decimal

    def as_dict(self) -> dict[str, str]:
        return {
            "line": str(self.line),
            "product_line": self.product_line,
            "discount_percent": str(self.discount_percent),
            "threshold_percent": str(self.threshold_percent),
        }


@dataclass(frozen=True)
class ApprovalPolicy:
    """Discounts above a product line's threshold need approval, unless the rep's role may
    grant them; an approver's role must cover the largest discount of the quote."""

    default_threshold_percent: Decimal
    product_line_thresholds: Mapping[str, Decimal] = field(default_factory=dict)
    role_limits: Mapping[str, Decimal] = field(default_factory=dict)

    def threshold(self, product_line: str, requester_role: str) -> Decimal:
        line = self.product_line_thresholds.get(product_line, self.default_threshold_percent)
        return max(line, self.role_limits.get(requester_role, Decimal(0)))

    def needs(self, lines: Sequence[PricedLine], requester_role: str) -> list[ApprovalNeed]:
        return [
            ApprovalNeed(line.number, line.product_line, line.discount_percent, limit)
            for line in lines
            if line.discount_percent > (limit := self.threshold(line.product_line, requester_role))
        ]

    def may_approve(self, role: str, largest_discount: Decimal) -> bool:
        return self.role_limits.get(role, Decimal(-1)) >= largest_discount
