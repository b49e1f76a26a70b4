"""The billing directory: quotes, orders and invoices to list and filter (a kernel
Directory built from the service's log). The clock also asks it which orders have
installments whose date has come."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import date
from typing import Any

from kernel.directory import Directory, scope_clause
from kernel.errors import NotFound
from kernel.scope import EVERYTHING, Scope
from services.billing.application.views import invoice_view, order_view, quote_view
from services.billing.domain.invoice import Invoice
from services.billing.domain.order import Order
from services.billing.domain.quote import Quote

FILTERS = {
    "quotes": ("status", "deal_id", "account", "owner_id"),
    "orders": ("status", "deal_id", "account", "owner_id"),
    "invoices": ("status", "order_id", "account", "erp_number"),
}


class BillingDirectory(Directory):
    schema = """
    CREATE TABLE IF NOT EXISTS quotes (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE, status TEXT, deal_id TEXT,
      account TEXT, owner_id TEXT, team TEXT, row TEXT);
    CREATE TABLE IF NOT EXISTS orders (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE, status TEXT, deal_id TEXT,
      account TEXT, owner_id TEXT, team TEXT, next_invoice_date TEXT, row TEXT);
    CREATE TABLE IF NOT EXISTS invoices (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE, status TEXT, order_id TEXT,
      account TEXT, erp_number TEXT, due_on TEXT, is_open INTEGER, owner_id TEXT, team TEXT,
      row TEXT);
    CREATE INDEX IF NOT EXISTS orders_next_invoice ON orders (next_invoice_date);
    """
    aggregates = ("Quote", "Order", "Invoice")
    version = 2  # 2: owner and team on every row (row-level scope)

    def _team(self, deal_id: str) -> str:
        """The team of a deal, as billing recorded it when the deal opened."""
        try:
            closing = self.app.closing_of(uuid.UUID(deal_id))  # type: ignore[attr-defined]
        except NotFound:
            return ""
        return str(getattr(closing, "team", ""))

    def upsert(self, db: sqlite3.Connection, aggregate: Any) -> None:
        if isinstance(aggregate, Quote):
            row = quote_view(aggregate)
            self._put(
                db,
                "quotes",
                row["quote_id"],
                row,
                status=row["status"],
                deal_id=row["deal_id"],
                account=row["account"],
                owner_id=row["owner_id"],
                team=self._team(row["deal_id"]),
            )
        elif isinstance(aggregate, Order):
            row = order_view(aggregate)
            dates = [
                i.terms.due_date.isoformat()
                for i in aggregate.installments
                if i.status == "planned" and i.terms.trigger == "on_date" and i.terms.due_date
            ]
            self._put(
                db,
                "orders",
                row["order_id"],
                row,
                status=row["status"],
                deal_id=row["deal_id"],
                account=row["account"],
                owner_id=row["owner_id"],
                team=self._team(row["deal_id"]),
                next_invoice_date=min(dates, default=None),
            )
        elif isinstance(aggregate, Invoice):
            row = invoice_view(aggregate)
            order = self.app.load(Order, aggregate.order_id)
            self._put(
                db,
                "invoices",
                row["invoice_id"],
                row,
                status=row["status"],
                order_id=row["order_id"],
                account=row["account"],
                erp_number=row["erp_number"],
                due_on=row["due_on"],
                is_open=int(aggregate.outstanding.is_positive),
                owner_id=order.owner_id,
                team=self._team(str(order.deal_id)),
            )

    @staticmethod
    def _put(
        db: sqlite3.Connection, table: str, key: str, row: dict[str, Any], **columns: Any
    ) -> None:
        names = ["id", *columns, "row"]
        values = [key, *columns.values(), json.dumps(row)]
        updates = ", ".join(f"{n} = excluded.{n}" for n in names[1:])
        db.execute(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
            f" ON CONFLICT (id) DO UPDATE SET {updates}",
            values,
        )

    def rows(
        self,
        table: str,
        *,
        filters: dict[str, str],
        after: int = 0,
        limit: int = 50,
        overdue_on: date | None = None,
        scope: Scope = EVERYTHING,
    ) -> dict[str, Any]:
        unknown = set(filters) - set(FILTERS[table])
        if unknown:
            raise ValueError(f"unknown filters {sorted(unknown)}")
        extra: tuple[list[str], list[Any]] = ([], [])
        if overdue_on is not None and table == "invoices":
            extra = (["due_on < ?", "is_open = 1"], [overdue_on.isoformat()])
        in_scope, scoped = scope_clause(scope, "owner_id", "team")
        return self.page(table, filters, after, limit, (extra[0] + in_scope, extra[1] + scoped))

    def orders_to_invoice(self, today: date) -> list[str]:
        """Orders with an on-date installment whose date has come."""
        self.catch_up()
        with self._connect() as db:
            rows = db.execute(
                "SELECT id FROM orders WHERE next_invoice_date <= ? AND status = 'confirmed'",
                (today.isoformat(),),
            ).fetchall()
        return [r["id"] for r in rows]
