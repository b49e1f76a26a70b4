"""Billing: orders booked from won deals, invoices, payments posted back by the ERP."""
