"""Hypothesis strategies that damage YAML documents: structural mutations of a real file's tree, and
text mutations (truncation, insertion, deletion) of its bytes."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import strategies as st


class TextLoader(yaml.SafeLoader):
    """Safe loader leaving timestamps as text, so a dumped tree reads back the same."""


TextLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in rs if tag != "tag:yaml.org,2002:timestamp"]
    for ch, rs in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_text(data: bytes):
    """Parse YAML with dates left as text."""
    return yaml.load(data, Loader=TextLoader)  # noqa: S506 - a SafeLoader subclass


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.sampled_from([0, -1, 10**30, 1e308, -0.0]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["2026-02-30", "2026-03-29T02:30:00", "", "weibull", "alleo", "nope", "1e999"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, prefix + (i,))
    return out


@st.composite
def mutated_trees(draw, tree: Any, max_mutations: int = 3) -> Any:
    """`tree` with 1..max_mutations random edits: delete, replace, add an unknown key, wrap in a list."""
    t = copy.deepcopy(tree)
    for _ in range(draw(st.integers(1, max_mutations))):
        paths = _paths(t)
        path = draw(st.sampled_from(paths))
        if not path:
            if draw(st.booleans()):
                return draw(values)
            continue
        parent = t
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        op = draw(st.sampled_from(["delete", "replace", "unknown", "wrap", "rename"]))
        if op == "delete":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(values)
        elif op == "wrap":
            parent[key] = [parent[key]]
        elif op == "unknown" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = draw(values)
        elif op == "rename" and isinstance(parent, dict):
            parent[str(key) + draw(st.sampled_from(["_", "s", "X"]))] = parent.pop(key)
    return t


def dump(tree: Any) -> bytes:
    return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False).encode("utf-8")


@st.composite
def damaged_text(draw, text: bytes) -> bytes:
    """Bytes of `text` truncated, with a slice removed, or with junk inserted."""
    op = draw(st.sampled_from(["truncate", "cut", "insert", "tabs", "bom", "latin1"]))
    i = draw(st.integers(0, len(text)))
    if op == "truncate":
        return text[:i]
    if op == "cut":
        return text[:i] + text[i + draw(st.integers(1, 40)) :]
    if op == "insert":
        junk = draw(
            st.sampled_from(
                [
                    b":",
                    b"- ",
                    b"\t",
                    b"{",
                    b"]",
                    b"&a",
                    b"*a",
                    b"!!python/object:os.system",
                    b"\x00",
                    b"\xff",
                    b"'",
                    b"\n  x: [",
                    b"<<: *x\n",
                ]
            )
            | st.binary(max_size=8)
        )
        return text[:i] + junk + text[i:]
    if op == "tabs":
        return text.replace(b"  ", b"\t", draw(st.integers(1, 3)))
    if op == "bom":
        return b"\xef\xbb\xbf" + text
    return text.decode("utf-8").replace("e", "é").encode("latin-1", "replace")
