"""Schemas of the billing rule sets (catalog, price book, discount approval, credit policy),
validated whenever a version is published, and their conversion to domain objects."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field, model_validator

from kernel.domain import Money
from services.billing.domain.catalog import Catalog, Product
from services.billing.domain.credit import PaymentTerms
from services.billing.domain.pricing import ApprovalPolicy, Bundle, PriceBook, Promotion

SKU = r"^[A-Z0-9][A-Z0-9_-]{0,39}$"
LINE = r"^[a-z][a-z0-9_]{0,39}$"
Percent = Decimal
PRICE = Field(ge=0, max_digits=18, decimal_places=4)


class ProductSchema(BaseModel):
    sku: str = Field(pattern=SKU)
    name: str = Field(min_length=1)
    product_line: str = Field(pattern=LINE)
    kind: str = Field("product", pattern=r"^(product|component|service)$")
    min_quantity: int = Field(1, ge=1)
    max_quantity: int | None = Field(None, ge=1)
    requires: list[str] = Field(default_factory=list)
    excludes: list[str] = Field(default_factory=list)
    component_of: list[str] = Field(default_factory=list)


class CatalogSchema(BaseModel):
    product_lines: dict[str, str] = Field(min_length=1, description="id -> name")
    products: list[ProductSchema] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> CatalogSchema:
        skus = [p.sku for p in self.products]
        if len(set(skus)) != len(skus):
            raise ValueError("a SKU appears twice")
        for p in self.products:
            if p.product_line not in self.product_lines:
                raise ValueError(f"{p.sku}: unknown product line {p.product_line!r}")
            for ref in (*p.requires, *p.excludes, *p.component_of):
                if ref not in skus:
                    raise ValueError(f"{p.sku} refers to unknown SKU {ref!r}")
            if p.max_quantity is not None and p.max_quantity < p.min_quantity:
                raise ValueError(f"{p.sku}: max_quantity is below min_quantity")
        return self

    def to_domain(self) -> Catalog:
        return Catalog(
            product_lines=dict(self.product_lines),
            products={
                p.sku: Product(
                    sku=p.sku,
                    name=p.name,
                    product_line=p.product_line,
                    kind=p.kind,
                    min_quantity=p.min_quantity,
                    max_quantity=p.max_quantity,
                    requires=tuple(p.requires),
                    excludes=tuple(p.excludes),
                    component_of=tuple(p.component_of),
                )
                for p in self.products
            },
        )


class BundleSchema(BaseModel):
    id: str = Field(pattern=SKU)
    name: str = Field(min_length=1)
    product_line: str = Field(pattern=LINE)
    components: dict[str, int] = Field(min_length=1)
    price: Decimal = PRICE


class PromotionSchema(BaseModel):
    code: str = Field(pattern=SKU)
    name: str = Field(min_length=1)
    percent_off: Decimal = Field(gt=0, le=100, decimal_places=2)
    valid_from: date
    valid_to: date
    skus: list[str] = Field(default_factory=list)
    product_lines: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _window(self) -> PromotionSchema:
        if self.valid_to < self.valid_from:
            raise ValueError(f"promotion {self.code} ends before it starts")
        if not self.skus and not self.product_lines:
            raise ValueError(f"promotion {self.code} applies to nothing")
        return self


class PriceBookSchema(BaseModel):
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    unit_prices: dict[str, Decimal] = Field(min_length=1)
    bundles: list[BundleSchema] = Field(default_factory=list)
    promotions: list[PromotionSchema] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> PriceBookSchema:
        for sku, price in self.unit_prices.items():
            if price < 0:
                raise ValueError(f"{sku}: a unit price cannot be negative")
            Money(price, self.currency)  # at most 4 decimals
        for b in self.bundles:
            if b.id in self.unit_prices:
                raise ValueError(f"bundle {b.id} has the id of a product")
            for sku in b.components:
                if sku not in self.unit_prices:
                    raise ValueError(f"bundle {b.id}: component {sku} has no unit price")
        return self

    def to_domain(self) -> PriceBook:
        return PriceBook(
            currency=self.currency,
            unit_prices=dict(self.unit_prices),
            bundles={
                b.id: Bundle(b.id, b.name, b.product_line, dict(b.components), b.price)
                for b in self.bundles
            },
            promotions=tuple(
                Promotion(
                    code=p.code,
                    name=p.name,
                    percent_off=p.percent_off,
                    valid_from=p.valid_from,
                    valid_to=p.valid_to,
                    skus=tuple(p.skus),
                    product_lines=tuple(p.product_lines),
                )
                for p in self.promotions
            ),
        )


class DiscountsSchema(BaseModel):
    default_threshold_percent: Decimal = Field(ge=0, le=100)
    product_line_thresholds: dict[str, Decimal] = Field(default_factory=dict)
    role_limits: dict[str, Decimal] = Field(
        default_factory=dict,
        description="the largest discount (percent) each role may grant itself or approve",
    )

    def to_domain(self) -> ApprovalPolicy:
        return ApprovalPolicy(
            self.default_threshold_percent,
            dict(self.product_line_thresholds),
            dict(self.role_limits),
        )


class TermsSchema(BaseModel):
    name: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    net_days: int = Field(ge=0, le=365)
    max_utilisation_percent: Decimal = Field(gt=0, le=100)


class CreditPolicySchema(BaseModel):
    default_limits: dict[str, Decimal] = Field(
        description="currency -> the credit limit a new account starts with"
    )
    terms: list[TermsSchema] = Field(min_length=1)

    def limits(self) -> dict[str, Money]:
        return {c: Money(v, c) for c, v in self.default_limits.items()}

    def payment_terms(self) -> list[PaymentTerms]:
        return [PaymentTerms(t.name, t.net_days, t.max_utilisation_percent) for t in self.terms]
