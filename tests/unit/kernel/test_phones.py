import pytest

from kernel.phones import is_usable_phone, normalise_phone


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("+49 (30) 1234-5678", "+493012345678"),
        ("0049 30 12345678", "+493012345678"),
        ("030/1234 5678", "03012345678"),
        ("+86 138 0013 8000", "+8613800138000"),
    ],
)
def test_phone_numbers_keep_only_digits_and_the_international_prefix(
    raw: str, normalised: str
) -> None:
    assert normalise_phone(raw) == normalised


def test_short_codes_and_extensions_do_not_identify_a_line() -> None:
    assert not is_usable_phone("110")
    assert not is_usable_phone("+49 123")
    assert is_usable_phone("030 1234567")
