"""Finding text in our templates that a person would read untranslated (the catalog check).

Each template is parsed with the app's own Jinja environment and its tree walked in document
order. Literal template text (``TemplateData``) and string constants printed as they are
(``{{ "On" if x else "Off" }}``) are laid out as the page would be, with every other expression
replaced by a separator, and read with an HTML parser: text between tags, and the attributes
people read (``title``, ``aria-label``, ``placeholder``, ``hx-confirm``, ``data-text-*`` …),
must have no letters. Text inside ``{% trans %}`` or ``_()`` is a gettext call, not template
data, so it never counts. String constants that look like words (a space or a capital) passed
to a macro or call, or set as a macro's default, are reported too: they reach the page as a
label or help text. ``templates/sandbox/`` holds the stand-ins' pages (Pipedrive's and
Intuit's look-alikes), not ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import nodes

from extension.templating import create_templates

__all__ = ["Untranslated", "untranslated_text", "ALLOWED", "SKIPPED_FOLDERS"]

SKIPPED_FOLDERS = ("sandbox",)
# Text that is the same in every language. Keep it short: a word here is never translated.
ALLOWED: frozenset[str] = frozenset()
# The gettext family as templates call it, and calls whose string arguments are never shown.
_GETTEXT = frozenset({"_", "gettext", "ngettext", "pgettext", "npgettext"})
_NOT_SHOWN_CALLS = frozenset({"url_for", "has_route", "get"})
_READ_ATTRIBUTES = frozenset(
    {"title", "alt", "placeholder", "aria-label", "aria-description", "label", "hx-confirm"}
)
_READ_ATTRIBUTE_PREFIXES = ("data-text-", "data-confirm-")
_GAP = "\x1f"  # stands for an expression's output: neither a letter nor a space
_MARK = "\x1e"  # around a block's name where the block sits
_MARKED = re.compile(f"{_MARK}([^{_MARK}]*){_MARK}")
# A macro that writes attributes (``aria-invalid="true"``) is laid out outside any tag.
_ATTRIBUTES_WRITTEN = re.compile(r'[\w:-]+="[^"<>]*"')


@dataclass(frozen=True, slots=True)
class Untranslated:
    where: str
    text: str


def _has_words(text: str) -> bool:
    cleaned = " ".join(text.replace(_GAP, " ").split())
    return any(ch.isalpha() for ch in cleaned) and cleaned not in ALLOWED


def _looks_like_words(value: object) -> bool:
    return isinstance(value, str) and _has_words(value) and (" " in value or value != value.lower())


def _printed(expr: nodes.Node) -> Iterator[str]:
    """What an expression prints that is written in the template itself."""
    if isinstance(expr, nodes.Const) and isinstance(expr.value, str):
        yield expr.value
    elif isinstance(expr, nodes.CondExpr):
        yield from _printed(expr.expr1)
        yield _GAP
        if expr.expr2 is not None:
            yield from _printed(expr.expr2)
    elif isinstance(expr, (nodes.Or, nodes.And)):
        yield from _printed(expr.left)
        yield _GAP
        yield from _printed(expr.right)
    elif isinstance(expr, nodes.Concat):
        for part in expr.nodes:
            yield from _printed(part)
    elif isinstance(expr, nodes.Filter) and expr.node is not None:
        yield from _printed(expr.node)
        if expr.name in {"default", "d"}:
            for arg in expr.args:
                yield from _printed(arg)
    yield _GAP


def _laid_out(node: nodes.Node, hidden_blocks: frozenset[str]) -> Iterator[str]:
    """The template's literal output in document order, expressions as gaps, and each block
    marked where it sits (so a child template knows whether its override is text or part of
    a tag). Blocks that a parent places inside a tag (``class="…{% block x %}"``) are gaps."""
    if isinstance(node, nodes.Output):
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):
                yield child.data
            else:
                yield from _printed(child)
        return
    if isinstance(node, nodes.Block):
        yield f"{_MARK}{node.name}{_MARK}"
        if node.name in hidden_blocks:
            return
    for inner in node.iter_child_nodes():
        if isinstance(inner, (nodes.Stmt, nodes.Template)):
            yield from _laid_out(inner, hidden_blocks)
        else:
            yield _GAP


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.blocks_in_tags: set[str] = set()
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skipping += 1
        kind = dict(attrs).get("type") or ""
        for name, value in attrs:
            self.blocks_in_tags.update(_MARKED.findall(f"{name}={value or ''}"))
            shown = name in _READ_ATTRIBUTES or name.startswith(_READ_ATTRIBUTE_PREFIXES)
            shown = shown or (name == "value" and tag == "input" and kind in {"submit", "button"})
            text = _MARKED.sub(_GAP, value or "")
            if shown and _has_words(text):
                self.found.append(f'{name}="{text.replace(_GAP, "…")}"')

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        text = _ATTRIBUTES_WRITTEN.sub(_GAP, _MARKED.sub(_GAP, data))
        if not self._skipping and _has_words(text):
            self.found.append(" ".join(text.replace(_GAP, "…").split()))


def _callee(call: nodes.Call) -> str:
    if isinstance(call.node, nodes.Name):
        return call.node.name
    if isinstance(call.node, nodes.Getattr):
        return call.node.attr
    return ""


def _worded_constants(tree: nodes.Template) -> Iterator[str]:
    for call in tree.find_all(nodes.Call):
        if _callee(call) in _GETTEXT | _NOT_SHOWN_CALLS:
            continue
        arguments = [*call.args, *(kw.value for kw in call.kwargs)]
        for arg in arguments:
            if isinstance(arg, nodes.Const) and _looks_like_words(arg.value):
                yield f"{_callee(call)}(…{arg.value!r}…)"
    for macro in tree.find_all(nodes.Macro):
        for default in macro.defaults:
            if isinstance(default, nodes.Const) and _looks_like_words(default.value):
                yield f"default of {macro.name}(): {default.value!r}"
    for assign in tree.find_all(nodes.Assign):
        if isinstance(assign.node, nodes.Const) and _looks_like_words(assign.node.value):
            yield f"set to {assign.node.value!r}"


class _Walk:
    """Every template once, parents before the children that extend them."""

    def __init__(self, templates: Path) -> None:
        self.env = create_templates().env
        self.templates = templates
        self.found: list[Untranslated] = []
        # template name -> blocks it or its parents place inside a tag
        self._in_tags: dict[str, frozenset[str]] = {}

    def visit(self, name: str) -> frozenset[str]:
        if name in self._in_tags:
            return self._in_tags[name]
        path = self.templates / name
        tree = self.env.parse(path.read_text(encoding="utf-8"), path.name, name)
        parent = next(iter(tree.find_all(nodes.Extends)), None)
        inherited: frozenset[str] = frozenset()
        body: list[nodes.Node] = list(tree.body)
        if parent is not None and isinstance(parent.template, nodes.Const):
            inherited = self.visit(str(parent.template.value))
            # A child's output is its blocks; whatever else it holds is never rendered.
            body = [node for node in tree.body if isinstance(node, nodes.Block)]
        reader = _Reader()
        reader.feed("".join(text for node in body for text in _laid_out(node, inherited)))
        reader.close()
        where = f"templates/{name}"
        texts = (*reader.found, *_worded_constants(tree))
        self.found += [Untranslated(where, text) for text in texts]
        self._in_tags[name] = inherited | reader.blocks_in_tags
        return self._in_tags[name]


def untranslated_text(templates: Path) -> list[Untranslated]:
    walk = _Walk(templates)
    for path in sorted(templates.rglob("*.html")):
        relative = path.relative_to(templates)
        if relative.parts[0] not in SKIPPED_FOLDERS:
            walk.visit(relative.as_posix())
    return walk.found
