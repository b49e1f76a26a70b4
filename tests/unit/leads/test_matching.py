import pytest

from services.leads.domain.matching import (
    MatchKey,
    match_keys,
    normalise_company,
    normalise_email,
    web_domain,
)


def test_emails_match_whatever_their_case_and_spacing() -> None:
    assert normalise_email("  Mei.Chen@Example.COM ") == "mei.chen@example.com"


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("ACME Inc.", "acme"),
        ("Acme, Inc", "acme"),
        ("Nordic Freight AB", "nordic freight"),
        ("Müller GmbH & Co. KG", "müller"),
        ("杭州机器人有限公司", "杭州机器人"),
        ("Co", "co"),
    ],
)
def test_company_names_lose_case_punctuation_and_legal_forms(raw: str, normalised: str) -> None:
    assert normalise_company(raw) == normalised


def test_the_web_domain_comes_from_the_website_or_a_business_email_never_a_free_mailer() -> None:
    assert web_domain("https://www.acme.com/contact") == "acme.com"
    assert web_domain("", "ann@acme.com") == "acme.com"
    assert web_domain("", "ann@gmail.com") == ""
    assert web_domain("", "ann@qq.com") == ""


def test_a_contact_yields_a_key_per_way_it_can_be_recognised() -> None:
    keys = match_keys("Ann@Acme.com", "+49 30 1234567", "ACME Inc.", "")
    assert keys == [
        MatchKey("email", "ann@acme.com"),
        MatchKey("phone", "+49301234567"),
        MatchKey("company_domain", "acme|acme.com"),
    ]
    assert [k.reason for k in keys] == [
        "same email address",
        "same phone number",
        "same company name and web domain",
    ]


def test_short_phone_numbers_and_companies_without_a_domain_give_no_key() -> None:
    assert match_keys("", "12345", "Acme", "") == []
