"""Phone numbers as the platform compares them: digits, with "+" for international ones."""

from __future__ import annotations

import re

MIN_DIGITS = 7


def normalise_phone(phone: str) -> str:
    """Digits only, with a leading + for international numbers ('0049…' -> '+49…')."""
    raw = phone.strip()
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    return digits


def is_usable_phone(phone: str) -> bool:
    """Long enough to identify a line (short codes and extensions are not)."""
    return len(normalise_phone(phone).lstrip("+")) >= MIN_DIGITS
