"""Duplicate detection: normalised keys that identify a person or a company.

A lead (or an account) claims its keys; a new lead whose key is already claimed is a
duplicate candidate, and the key says why ("same email", "same phone", ...).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kernel.phones import is_usable_phone, normalise_phone

FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "proton.me",
        "protonmail.com",
        "qq.com",
        "163.com",
        "126.com",
        "sina.com",
        "foxmail.com",
        "yandex.ru",
    }
)

_LEGAL_SUFFIXES = (
    "incorporated",
    "corporation",
    "company",
    "limited",
    "gmbh",
    "inc",
    "ltd",
    "llc",
    "corp",
    "co",
    "ag",
    "sa",
    "bv",
    "plc",
    "kg",
    "sarl",
    "srl",
    "oy",
    "ab",
    "pty",
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团",
    "公司",
)
_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)

KEY_REASONS = {
    "email": "same email address",
    "phone": "same phone number",
    "company_domain": "same company name and web domain",
}


@dataclass(frozen=True, order=True)
class MatchKey:
    kind: str  # "email", "phone", "company_domain"
    value: str

    @property
    def reason(self) -> str:
        return KEY_REASONS[self.kind]


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_company(name: str) -> str:
    """Lowercase, no accents or punctuation, no legal-form suffixes ('ACME Inc.' -> 'acme')."""
    text = unicodedata.normalize("NFKC", name).lower()
    text = _PUNCTUATION.sub(" ", text)
    words = text.split()
    while len(words) > 1 and words[-1] in _LEGAL_SUFFIXES:
        words.pop()
    joined = " ".join(words)
    for suffix in _LEGAL_SUFFIXES:  # CJK names carry the suffix without a space
        if not suffix.isascii() and joined.endswith(suffix) and len(joined) > len(suffix):
            joined = joined[: -len(suffix)]
    return joined.strip()


def web_domain(website: str = "", email: str = "") -> str:
    """The company's web domain, from its website or else a non-free-mail email address."""
    if website.strip():
        host = re.sub(r"^[a-z]+://", "", website.strip().lower()).split("/")[0].split(":")[0]
        return host.removeprefix("www.")
    if "@" in email:
        domain = normalise_email(email).rsplit("@", 1)[1]
        if domain not in FREE_MAIL_DOMAINS:
            return domain
    return ""


def match_keys(email: str, phone: str, company: str, website: str) -> list[MatchKey]:
    keys = []
    if email.strip():
        keys.append(MatchKey("email", normalise_email(email)))
    if is_usable_phone(phone):
        keys.append(MatchKey("phone", normalise_phone(phone)))
    company_norm, domain = normalise_company(company), web_domain(website, email)
    if company_norm and domain:
        keys.append(MatchKey("company_domain", f"{company_norm}|{domain}"))
    return keys
