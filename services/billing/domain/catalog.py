"""The product catalog and its configuration rules: what may be sold together, and how many.

A configuration is a set of SKUs with quantities. :meth:`Catalog.violations` names every
rule it breaks (not only the first), so a quote can be corrected in one round trip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    product_line: str
    kind: str = "product"  # "product", "component" or "service"
    min_quantity: int = 1
    max_quantity: int | None = None
    requires: tuple[str, ...] = ()  # every one of these must be in the configuration
    excludes: tuple[str, ...] = ()  # none of these may be
    component_of: tuple[str, ...] = ()  # a component needs at least one of its parents


@dataclass(frozen=True)
class Violation:
    rule: str  # "unknown_product", "quantity", "requires", "excludes", "component_of"
    sku: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "sku": self.sku, "message": self.message}


@dataclass(frozen=True)
class Catalog:
    product_lines: Mapping[str, str]  # id -> name
    products: Mapping[str, Product] = field(default_factory=dict)

    def product(self, sku: str) -> Product | None:
        return self.products.get(sku)

    def violations(self, quantities: Mapping[str, int]) -> list[Violation]:
        found: list[Violation] = []
        for sku, qty in quantities.items():
            product = self.products.get(sku)
            if product is None:
                found.append(Violation("unknown_product", sku, f"{sku} is not in the catalog"))
                continue
            if qty < product.min_quantity:
                found.append(
                    Violation(
                        "quantity",
                        sku,
                        f"{sku}: quantity {qty} is below the minimum of {product.min_quantity}",
                    )
                )
            if product.max_quantity is not None and qty > product.max_quantity:
                found.append(
                    Violation(
                        "quantity",
                        sku,
                        f"{sku}: quantity {qty} is above the maximum of {product.max_quantity}",
                    )
                )
            for needed in product.requires:
                if needed not in quantities:
                    found.append(Violation("requires", sku, f"{sku} requires {needed}"))
            for excluded in product.excludes:
                # Report an exclusion once, from the SKU that sorts first.
                if excluded in quantities and (
                    sku < excluded or sku not in self._excludes_of(excluded)
                ):
                    found.append(
                        Violation("excludes", sku, f"{sku} cannot be sold with {excluded}")
                    )
            if product.component_of and not any(p in quantities for p in product.component_of):
                parents = " or ".join(product.component_of)
                found.append(
                    Violation(
                        "component_of",
                        sku,
                        f"{sku} is a component of {parents}; the configuration has none of them",
                    )
                )
        return found

    def _excludes_of(self, sku: str) -> tuple[str, ...]:
        product = self.products.get(sku)
        return product.excludes if product else ()
