"""The README's topic table, generated from the catalog (``kernel/catalog.py``).

python -m devenv.catalog write    # rewrite the table in README.md (`make catalog`)
python -m devenv.catalog check    # exit 1 when README.md's table is not the generated one
"""

from __future__ import annotations

import sys
from pathlib import Path

from kernel.catalog import catalog

README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN = "<!-- topics: generated from kernel/topics.py and proto/ by `make catalog` -->"
END = "<!-- /topics -->"


def _short(name: str) -> str:
    return name.removeprefix("l2c.v1.")


def render() -> str:
    entries = catalog()
    rows = [
        "| topic | key | value | event types | headers |",
        "| --- | --- | --- | --- | --- |",
    ]
    dead_letters = [e for e in entries if e.name.endswith(".dlq")]
    for entry in entries:
        if entry in dead_letters:
            continue
        types = ", ".join(f"`{_short(t)}`" for t in entry.event_types)
        headers = ", ".join(f"`{h}`" for h in entry.headers) or "—"
        rows.append(
            f"| `{entry.name}` | {entry.key} | `{entry.value}`: {entry.description} "
            f"| {types} | {headers} |"
        )
    if dead_letters:
        names = ", ".join(f"`{e.name}`" for e in dead_letters)
        headers = ", ".join(f"`{h}`" for h in dead_letters[0].headers)
        rows.append(
            f"| {names} | as received | the rejected record unchanged (it may not decode) "
            f"| as on the source topic | the source record's, and {headers} |"
        )
    return "\n".join([BEGIN, *rows, END])


def current(text: str) -> str:
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[start:end]


def main(argv: list[str]) -> int:
    text = README.read_text()
    if argv[:1] == ["write"]:
        README.write_text(text.replace(current(text), render()))
        return 0
    if current(text) != render():
        print("README.md's topic table is not the generated one: run `make catalog`")
        return 1
    print("README.md's topic table matches the catalog")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
