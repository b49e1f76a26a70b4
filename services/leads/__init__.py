"""Leads: capture, qualification (MQL, SQL) and conversion of leads."""
