"""Fuzzing the scenario loader: whatever the file, it loads or raises a well-shaped ScenarioError (or the
TopologyError of the topology file it names), quickly.

Every case goes through :func:`qnet_dqnn.scenario.load_scenario` on a real file, in a folder laid out like the
repository (``scenarios/`` beside ``topologies/``) so the shipped relative topology paths resolve.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qnet_dqnn.errors import ConfigError, ScenarioError, TopologyError
from qnet_dqnn.scenario import Scenario, load_scenario
from tests.reliability.yaml_fuzz import (
    ROOT,
    SHIPPED_SCENARIOS,
    SHIPPED_TOPOLOGIES,
    AliasBomb,
    Nested,
    byte_mutated,
    checked_load_or_clean_error,
    fuzz_settings,
    junk,
    line_mutated,
    mutated,
    shipped_data,
    to_flow_yaml,
)

TEXTS = {path.name: path.read_text(encoding="utf-8") for path in SHIPPED_SCENARIOS}
DATA = {path.name: shipped_data(path) for path in SHIPPED_SCENARIOS}
TOPOLOGY_DATA = {path.name: shipped_data(path) for path in SHIPPED_TOPOLOGIES}

#: Values for the ``topology:`` field: shipped ones, missing files, folders, devices, odd and huge names.
TOPOLOGY_NAMES = st.one_of(
    st.sampled_from([f"../topologies/{p.name}" for p in SHIPPED_TOPOLOGIES]),
    st.sampled_from([f"../topologies/{p.name}" for p in SHIPPED_TOPOLOGIES]),
    st.sampled_from(
        [
            "../topologies",
            "../topologies/",
            "/dev/null",
            "/dev/zero",
            "/",
            ".",
            "missing.yaml",
            "../topologies/missing.yaml",
            "../scenarios/" + (SHIPPED_SCENARIOS[0].name if SHIPPED_SCENARIOS else "x.yaml"),
            "a\x00b.yaml",
            "t" * 5000,
            "../" * 300 + "etc/hostname",
            "ünïcødé/名前.yaml",
        ]
    ),
    st.text(max_size=60),
)


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch copy of the repository layout: ``scenarios/`` (the fuzzed files) and ``topologies/`` (a link)."""
    root = tmp_path_factory.mktemp("layout")
    (root / "scenarios").mkdir()
    (root / "topologies").symlink_to(ROOT / "topologies", target_is_directory=True)
    (root / "fuzzed_topologies").mkdir()
    return root


def _expected_source(scenario_file: Path) -> object:
    def source(exc: ConfigError) -> str:
        if isinstance(exc, TopologyError):  # the named topology is bad: its own file is the source
            assert Path(exc.source).is_file(), exc.source
            return exc.source
        return str(scenario_file)

    return source


def _checked_load(layout: Path, content: str | bytes) -> Scenario | ConfigError:
    path = layout / "scenarios" / "fuzzed.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    return checked_load_or_clean_error(
        lambda: load_scenario(path), (ScenarioError, TopologyError), _expected_source(path)
    )


def test_shipped_scenarios_load_as_the_fuzzers_starting_point(layout: Path) -> None:
    assert len(TEXTS) >= 3
    for text in TEXTS.values():
        assert isinstance(_checked_load(layout, text), Scenario)


@fuzz_settings(200)
@given(text=st.text(max_size=400))
def test_random_unicode_text(layout: Path, text: str) -> None:
    _checked_load(layout, text)


@fuzz_settings(200)
@given(name=st.sampled_from(sorted(TEXTS)), fraction=st.floats(min_value=0.0, max_value=1.0, exclude_max=True))
def test_truncated_shipped_scenarios(layout: Path, name: str, fraction: float) -> None:
    text = TEXTS[name]
    _checked_load(layout, text[: int(fraction * len(text))])


@fuzz_settings(200)
@given(text=st.sampled_from(sorted(TEXTS)).flatmap(lambda name: line_mutated(TEXTS[name])))
def test_line_mutations_of_shipped_scenarios(layout: Path, text: str) -> None:
    _checked_load(layout, text)


@fuzz_settings(400)
@given(data=st.sampled_from(sorted(DATA)).flatmap(lambda name: mutated(DATA[name])))
def test_data_mutations_of_shipped_scenarios(layout: Path, data: object) -> None:
    _checked_load(layout, to_flow_yaml(data))


@fuzz_settings(150)
@given(
    base=st.sampled_from(sorted(DATA)).map(lambda name: DATA[name]),
    topology=TOPOLOGY_NAMES,
    seed=st.one_of(st.integers(min_value=0, max_value=2**63 - 1), st.integers(-(2**70), 2**70), junk),
    stop=st.one_of(st.floats(min_value=1e-9, max_value=1.0), st.floats(allow_nan=True, allow_infinity=True), junk),
)
def test_topology_seed_and_stop_fields(layout: Path, base: dict, topology: str, seed: object, stop: object) -> None:
    data = {**base, "topology": topology, "seed": seed, "stop": {"simulated_time_s": stop}}
    _checked_load(layout, to_flow_yaml(data))


@fuzz_settings(150)
@given(
    scenario=st.sampled_from(sorted(DATA)).map(lambda name: DATA[name]),
    topology=st.sampled_from(sorted(TOPOLOGY_DATA)).flatmap(lambda name: mutated(TOPOLOGY_DATA[name])),
)
def test_scenarios_naming_a_mutated_topology(layout: Path, scenario: dict, topology: object) -> None:
    (layout / "fuzzed_topologies" / "t.yaml").write_text(to_flow_yaml(topology), encoding="utf-8")
    result = _checked_load(layout, to_flow_yaml({**scenario, "topology": "../fuzzed_topologies/t.yaml"}))
    if isinstance(result, TopologyError):
        assert result.source.endswith("t.yaml")


@fuzz_settings(100)
@given(
    content=st.one_of(
        st.sampled_from(sorted(TEXTS)).flatmap(lambda name: byte_mutated(TEXTS[name])),
        st.binary(max_size=300),
    )
)
def test_random_bytes_on_disk(layout: Path, content: bytes) -> None:
    _checked_load(layout, content)


@pytest.mark.parametrize(
    "value",
    [AliasBomb(9, 12), AliasBomb(9, 12, mapping=True), AliasBomb(4, 5), Nested(1000), Nested(1000, mapping=True)],
    ids=["list bomb", "mapping bomb", "small bomb", "deep lists", "deep mappings"],
)
@pytest.mark.parametrize("field", ["name", "description", "seed", "stop", "workload", "sweep", "extra"])
def test_bombs_and_deep_junk_in_every_field(layout: Path, field: str, value: object) -> None:
    base = DATA[sorted(DATA)[0]]
    data = {**base, field: value}
    if field == "workload":
        data[field] = {"type": "characterize", "storage_time_s": value}
    result = _checked_load(layout, to_flow_yaml(data))
    assert isinstance(result, ScenarioError)


def _nested_type_fields(value: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths of every mapping with a ``type`` key inside a workload (the workload itself included)."""
    found = []
    if isinstance(value, dict):
        if "type" in value:
            found.append(path)
        for key, child in value.items():
            found += _nested_type_fields(child, (*path, str(key)))
    return found


#: Every ``type:`` selector in the shipped workloads. (This test found ``check_train`` testing
#: ``kind not in STRATEGIES`` on an unhashable ``strategy.type``: a TypeError, since fixed in scenario/train.py.)
_TYPE_FIELDS = [
    pytest.param(name, path, id=f"{Path(name).stem}:{'.'.join(('workload', *path))}.type")
    for name in sorted(DATA)
    for path in _nested_type_fields(DATA[name]["workload"])
]


@pytest.mark.parametrize(("name", "path"), _TYPE_FIELDS)
@pytest.mark.parametrize(
    "value", [["x"], [], {"a": 1}, 5, None, ""], ids=["list", "empty list", "map", "int", "null", "empty"]
)
def test_type_fields_of_every_kind_are_clean_errors(
    layout: Path, name: str, path: tuple[str, ...], value: object
) -> None:
    """Every ``type:`` selector in a workload (workload, strategy, optimizer, ...) given a value of the wrong kind."""
    data = shipped_data(SHIPPED_SCENARIOS[[p.name for p in SHIPPED_SCENARIOS].index(name)])
    target = data["workload"]
    for key in path:
        target = target[key]
    target["type"] = value
    assert isinstance(_checked_load(layout, to_flow_yaml(data)), ScenarioError)
