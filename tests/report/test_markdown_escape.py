"""The Markdown report renders hostile case data (names, captions, titles) as inert text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from graphkit.report.blocks import Box, Card, Cards, Figure, Para, Section, Stats, Table
from graphkit.report.markdown import render_markdown

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "<a href='javascript:alert(1)'>x</a>",
    "[click me](javascript:alert(1))",
    "![pixel](https://evil.example/t.png)",
    "[ref]: https://evil.example/",
    "<https://evil.example/auto>",
    "`code` *bold* _em_ ~~strike~~",
    "pipe | in | name",
    "line\nbreak <b>x</b>",
    "&lt;img src=x onerror=alert(1)&gt;",
    "\\<img src=x>",
    "# heading",
    "- list item",
    "=====",
]


def _sections(name: str) -> list[Section]:
    png = b"\x89PNG\r\n\x1a\n"
    return [
        Section(
            "s",
            f"Section {name}",
            (
                Para(name),
                Para(name, muted=True),
                Table(("name", name), ((name, 1), (None, name)), caption=name),
                Stats(((name, name),)),
                Figure("fig", png, name),
                Box("hypothesis", name, (Para(name), Table(("x",), ((name,),)))),
                Cards((Card(name, "#fff", (Para(name),)),)),
            ),
        )
    ]


def _html(text: str) -> str:
    markdown_it = pytest.importorskip("markdown_it")
    return str(markdown_it.MarkdownIt("commonmark").enable("table").render(text))


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


ALLOWED = {"h1", "h2", "h3", "p", "em", "strong", "blockquote", "img"}
ALLOWED |= {"table", "thead", "tbody", "tr", "th", "td"}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_render_as_text(name: str) -> None:
    text, figures = render_markdown(_sections(name), title=name, subtitle=name, folder="r_files")
    assert set(figures) == {"fig.png"}
    tags = _tags(_html(text))
    # only the tags the writer means: no raw HTML, no links, no lists or rules from a name
    assert {t for t, _ in tags} <= ALLOWED, tags
    images = [attrs for t, attrs in tags if t == "img"]
    assert [a["src"] for a in images] == ["r_files/fig.png"]  # ours, and nothing else
    for _, attrs in tags:
        assert set(attrs) <= {"src", "alt", "style"}, attrs  # no href, no on* handlers
    assert sum(t == "h1" for t, _ in tags) == 1 and sum(t == "h2" for t, _ in tags) == 1


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_keep_their_text(name: str) -> None:
    """Escaping is lossless: the reader sees the name as it was (one line)."""
    import html as htmlmod

    text, _ = render_markdown(_sections(name), title="t", subtitle="s", folder="r_files")
    plain = htmlmod.unescape(re.sub(r"<[^>]*>", "", _html(text)))
    assert " ".join(name.split("\n")) in plain


def test_table_structure_survives_pipes_and_newlines() -> None:
    name = "a | b\nc"
    text, _ = render_markdown(
        [Section("s", "S", (Table(("name", "n"), ((name, 1),)),))],
        title="t",
        subtitle="s",
        folder="f",
    )
    html = _html(text)
    assert html.count("<td>") == 2
    assert "a | b c" in html


def test_figure_link_cannot_be_redirected_by_the_output_name() -> None:
    sections = [Section("s", "S", (Figure("net", b"png", "c"),))]
    text, _ = render_markdown(sections, title="t", subtitle="s", folder="my (x) report_files")
    html = _html(text)
    assert 'src="my%20(x)%20report_files/net.png"' in html or (
        'src="my%20%28x%29%20report_files/net.png"' in html
    )
