"""Shared pieces of the loader fuzzers: hypothesis settings, a flow-style YAML writer that can also write
junk PyYAML cannot (1000-level nesting, alias bombs), mutation strategies, and the error-shape check.

Every fuzzed input must either load or raise a :class:`~qnet_dqnn.errors.ConfigError` subclass whose
message is one line per problem, each ``source: field.path: reason`` (or ``source: reason`` for problems
with the whole file) — never another exception, never a hang.

Runs are reproducible by default (``derandomize=True``, no example database); set ``QNET_FUZZ_RANDOM=1``
to explore with fresh random cases and ``QNET_FUZZ_SCALE=10`` for ten times as many.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, currently_in_test_context, event, settings
from hypothesis import strategies as st

from qnet_dqnn.config import parse_yaml
from qnet_dqnn.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_TOPOLOGIES = sorted((ROOT / "topologies").glob("*.yaml"))
SHIPPED_SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

#: Multiplies every ``max_examples`` (``QNET_FUZZ_SCALE``); 1 in the regular suite.
SCALE = float(os.environ.get("QNET_FUZZ_SCALE", "1"))
#: Fresh random cases on every run instead of the fixed, reproducible set (``QNET_FUZZ_RANDOM=1``).
RANDOM = os.environ.get("QNET_FUZZ_RANDOM", "") == "1"
#: A case still running after HARD_LIMIT_S is interrupted: a guard against hangs, not a speed claim (no test
#: asserts wall time: the machines are shared; bounded work is checked by memory peaks and refusal messages).
HARD_LIMIT_S = 120.0


def fuzz_settings(max_examples: int) -> settings:
    """Hypothesis settings for a fuzz test with ``max_examples`` cases (times ``QNET_FUZZ_SCALE``)."""
    return settings(
        max_examples=max(1, int(max_examples * SCALE)),
        deadline=None,
        database=None,
        derandomize=not RANDOM,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


class Hang(BaseException):
    """A case ran past :data:`HARD_LIMIT_S` (a BaseException, so no ``except Exception`` in the library eats it)."""


@contextlib.contextmanager
def time_bound(seconds: float = HARD_LIMIT_S) -> Iterator[None]:
    """Interrupt the body with :class:`Hang` after ``seconds`` of wall time (SIGALRM; main thread only)."""

    def alarm(_signum: int, _frame: Any) -> None:
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_error_shape(exc: ConfigError, source: str) -> None:
    """Assert the documented shape: one line per problem, ``source: path: reason`` or ``source: reason``."""
    assert exc.source == source, (exc.source, source)
    assert exc.problems, "a ConfigError must name at least one problem"
    lines = str(exc).split("\n")
    assert len(lines) == len(exc.problems), f"a problem spans several lines: {str(exc)!r}"
    for line, (path, reason) in zip(lines, exc.problems, strict=True):
        assert isinstance(path, str) and isinstance(reason, str)
        assert reason.strip(), f"empty reason in {line!r}"
        assert reason.isprintable() and path.isprintable(), f"control characters in {line!r}"
        expected = f"{source}: {path}: {reason}" if path else f"{source}: {reason}"
        assert line == expected, (line, expected)


def record(outcome: Any) -> None:
    """Count the outcome of a fuzz case (shown by ``--hypothesis-show-statistics``)."""
    if currently_in_test_context():
        event(type(outcome).__name__)


def checked_load_or_clean_error(
    load: Callable[[], Any],
    error: type[ConfigError] | tuple[type[ConfigError], ...],
    source: str | Callable[[ConfigError], str],
) -> Any:
    """Run ``load`` under the time bound: return what it loads, or check and return the error it raises.

    ``source`` is the file name the error must give, or a function of the error giving it (a scenario's
    errors name the scenario file, or the topology file when that one is bad). Any exception other than
    ``error`` propagates and fails the test.
    """
    try:
        with time_bound():
            try:
                result = load()
            except error as exc:
                check_error_shape(exc, source(exc) if callable(source) else source)
                result = exc
    except Hang as hang:  # raised deep in a recursive parse: pytest cannot format that traceback (INTERNALERROR)
        raise Hang(str(hang)) from None
    record(result)
    return result


# ------------------------------------------------------------------------------------------------------
# a flow-style YAML writer for fuzzed data
# ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Nested:
    """``depth`` nested empty lists (or mappings), written directly so no Python recursion is needed."""

    depth: int
    mapping: bool = False


@dataclass(frozen=True)
class AliasBomb:
    """A "billion laughs" value: ``levels`` levels, each a list (or mapping) of ``width`` aliases of the level
    below; it expands to ``width ** levels`` leaves."""

    width: int
    levels: int
    mapping: bool = False
    leaf: str = "lol"


@dataclass(frozen=True)
class Raw:
    """YAML text inserted as is (tags, anchors, odd scalars)."""

    text: str


_anchor_ids = itertools.count()


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    # JSON strings are valid YAML double-quoted scalars
    return json.dumps(str(value), ensure_ascii=False)


def to_flow_yaml(value: Any) -> str:
    """Write plain data (plus :class:`Nested`, :class:`AliasBomb`, :class:`Raw`) as one flow-style YAML value."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Nested):
        return (
            ("{a: " * value.depth + "1" + "}" * value.depth) if value.mapping else "[" * value.depth + "]" * value.depth
        )
    if isinstance(value, AliasBomb):
        tag = f"b{next(_anchor_ids)}_"
        if value.mapping:
            text = f"&{tag}0 {{" + ", ".join(f"k{i}: {value.leaf}" for i in range(value.width)) + "}"
            for level in range(1, value.levels):
                refs = "".join(f", k{i}: *{tag}{level - 1}" for i in range(1, value.width))
                text = f"&{tag}{level} {{k0: {text}{refs}}}"
            return text
        text = f"&{tag}0 [" + ", ".join([value.leaf] * value.width) + "]"
        for level in range(1, value.levels):
            text = f"&{tag}{level} [{text}, " + ", ".join([f"*{tag}{level - 1}"] * (value.width - 1)) + "]"
        return text
    if isinstance(value, dict):
        return "{" + ", ".join(f"{to_flow_yaml(k)}: {to_flow_yaml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(to_flow_yaml(v) for v in value) + "]"
    return _scalar(value)


# ------------------------------------------------------------------------------------------------------
# strategies
# ------------------------------------------------------------------------------------------------------

#: Values no field of a topology or scenario accepts all of: wrong types, extremes, non-finite numbers.
EXTREME_NUMBERS = [
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    1.7976931348623157e308,
    5e-324,
    -0.0,
    10**30,
    -(10**30),
    2**63,
    2**63 - 1,
    2**64,
    -1,
    0,
    1,
    0.25,
    1e-300,
]

#: YAML snippets that exercise the parser's constructors: tags, odd scalars, refused python objects.
RAW_SNIPPETS = [
    "!!python/object/apply:os.system ['echo pwned']",
    "!!python/name:os.system",
    "!!python/tuple [1, 2]",
    "!!binary aGVsbG8=",
    "!!binary '%%%'",
    "!!set {a, b}",
    "!!omap [{a: 1}, {b: 2}]",
    "!!timestamp 2001-13-45",
    "2001-02-30",
    "2001-12-14t21:59:43.10-05:00",
    "!!int abc",
    "!!float abc",
    "!!bool maybe",
    "!!str [1]",
    "!!int [1]",
    "!custom {a: 1}",
    "1:30:00",
    "0x1F",
    "0o17",
    "0b101",
    "1e400",
    "-1e400",
    "1" + "0" * 5000,
    "1_000_000",
    ".NaN",
    "~",
    "''",
    "yes",
    "off",
    "*undefined_alias",
    "&a [*a]",
    "{<<: {qubits: 1}}",
    '"\\ud800"',
    '"a\\x00b"',
    '"line\\nbreak"',
    "{? [1, 2]: x}",
    "{? {a: 1}: x}",
    "{a: 1, a: 2}",
]

leaf_junk = st.one_of(
    st.sampled_from(EXTREME_NUMBERS),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=80),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=200),
    st.sampled_from(["", " ", "qpu", "repeater", "midpoint", "at_node", "characterize", "ünï©ødé", "名前", "🧪"]),
    st.builds(Raw, st.sampled_from(RAW_SNIPPETS)),
)

_plain_junk = st.recursive(
    leaf_junk,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=12), st.integers(), st.booleans(), st.none()), children, max_size=4),
    ),
    max_leaves=12,
)
#: Junk for any field: mostly plain values and small trees, one draw in five a nesting or an alias bomb.
#: Nesting stays below PyYAML's recursion limit here, so it reaches validation; deeper nesting (refused by
#: the parser in about a second, PyYAML's scanner being quadratic in depth) has its own explicit tests.
junk = st.one_of(
    _plain_junk,
    _plain_junk,
    _plain_junk,
    _plain_junk,
    st.one_of(
        st.builds(Nested, st.sampled_from([1, 3, 30, 120, 250]), st.booleans()),
        # small bombs load (and are walked once per reference); large ones must be refused up front
        st.builds(
            AliasBomb, st.integers(min_value=2, max_value=10), st.integers(min_value=1, max_value=14), st.booleans()
        ),
    ),
)


def shipped_data(path: Path) -> Any:
    """A shipped file parsed as the loaders parse it (the fuzzers' starting point; plain ``yaml.safe_load``
    would read ``1.0e9`` as a string)."""
    return parse_yaml(path.read_text(encoding="utf-8"), str(path), ConfigError)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every location in a tree of dicts and lists, the root included."""
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _paths(value, (*prefix, i))
    return out


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_copy(v) for v in data]
    return data


MUTATIONS = ("replace", "delete", "add_key", "rename_key", "duplicate_item", "wrap_in_list", "empty")


@st.composite
def mutated(draw: st.DrawFn, base: Any, rounds: int = 3) -> Any:
    """``base`` with 1..``rounds`` random mutations at random places (structure, keys or values)."""
    data = _copy(base)
    for _ in range(draw(st.integers(min_value=1, max_value=rounds))):
        path = draw(st.sampled_from(_paths(data)))
        op = draw(st.sampled_from(MUTATIONS))
        if not path:  # the root itself
            if op in ("replace", "empty"):
                data = draw(junk) if op == "replace" else {}
            continue
        parent, last = _get(data, path[:-1]), path[-1]
        if op == "replace":
            parent[last] = draw(junk)
        elif op == "delete":
            del parent[last]
        elif op == "add_key" and isinstance(parent[last], dict):
            parent[last][draw(st.one_of(st.text(max_size=20), st.sampled_from(["name", "qubits", "type", "x"])))] = (
                draw(junk)
            )
        elif op == "rename_key" and isinstance(parent, dict):
            parent[draw(st.text(max_size=20))] = parent.pop(last)
        elif op == "duplicate_item" and isinstance(parent, list):
            parent.insert(last, _copy(parent[last]))
        elif op == "wrap_in_list":
            parent[last] = [parent[last]]
        elif op == "empty":
            parent[last] = type(parent[last])() if isinstance(parent[last], dict | list | str) else None
        if not isinstance(data, dict | list):
            break
    return data


@st.composite
def line_mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` with a line deleted, duplicated (duplicate keys, repeated items), moved, re-indented or cut."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        if not lines:
            break
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "move", "indent", "dedent", "cut", "splice"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "move":
            lines.insert(draw(st.integers(min_value=0, max_value=len(lines))), lines.pop(i))
        elif op == "indent":
            lines[i] = " " * draw(st.integers(min_value=1, max_value=4)) + lines[i]
        elif op == "dedent":
            lines[i] = lines[i].lstrip()
        elif op == "cut":
            lines[i] = lines[i][: draw(st.integers(min_value=0, max_value=max(len(lines[i]) - 1, 0)))]
        else:
            lines[i] = lines[i] + draw(st.sampled_from([":", " &x", " *x", " !!int", " {", " ]", " # ", "\t", "'"]))
    return "\n".join(lines)


@st.composite
def byte_mutated(draw: st.DrawFn, text: str) -> bytes:
    """The UTF-8 bytes of ``text`` with random bytes overwritten, inserted or removed (invalid UTF-8 too)."""
    data = bytearray(text.encode("utf-8"))
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        i = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        op = draw(st.sampled_from(["set", "insert", "remove"]))
        byte = draw(st.integers(min_value=0, max_value=255))
        if op == "set" and data:
            data[i] = byte
        elif op == "insert":
            data.insert(i, byte)
        elif data:
            del data[i]
    return bytes(data)
