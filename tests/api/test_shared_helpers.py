"""The small helpers at the bottom of the package: one S3 parser, one canonical JSON, one
lazy-export mechanism (with deprecation aliases)."""

from __future__ import annotations

import warnings

import pytest

from hitl_agent._lazy import lazy_exports
from hitl_agent.canonical import canonical_json, content_hash
from hitl_agent.errors import ConfigError, MissingExtra
from hitl_agent.s3_uri import S3Location, parse_s3_prefix, parse_s3_url, s3_uri


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("s3://b/dir/k", S3Location("b", "dir/k")),
        ("S3://b/a%20b", S3Location("b", "a%20b")),  # an s3:// key is taken as written
        ("https://s3.amazonaws.com/b/a%20b", S3Location("b", "a b")),
        ("https://b.s3.us-west-2.amazonaws.com/k", S3Location("b", "k")),
        ("s3://b", None),
        ("s3:///k", None),
        ("https://example.com/b/k", None),
        ("http://localhost:9000/b/k", None),  # a custom endpoint only when it is configured
    ],
)
def test_parse_s3_url(url: str, expected: S3Location | None) -> None:
    assert parse_s3_url(url) == expected


def test_parse_s3_url_under_a_configured_endpoint() -> None:
    endpoint = "http://localhost:9000/"
    assert parse_s3_url("http://localhost:9000/b/k%201?x=1", endpoint_url=endpoint) == S3Location(
        "b", "k 1")
    assert parse_s3_url("http://localhost:9000/b", endpoint_url=endpoint) is None
    assert parse_s3_url("http://localhost:9001/b/k", endpoint_url=endpoint) is None


def test_parse_s3_prefix_names_the_field() -> None:
    assert parse_s3_prefix("s3://b/") == S3Location("b", "")
    assert parse_s3_prefix("s3://b//p/q/").uri == "s3://b/p/q"
    assert s3_uri("b") == "s3://b"
    for bad in ("b/p", "s3://", "s3:///p", "https://s3.amazonaws.com/b/p"):
        with pytest.raises(ConfigError) as caught:
            parse_s3_prefix(bad, field="dataset")
        assert caught.value.context["field"] == "dataset"


def test_canonical_json_is_order_free_and_keeps_unicode() -> None:
    assert canonical_json({"b": [1, "é"], "a": None}) == '{"a":null,"b":[1,"é"]}'
    assert content_hash({"x": 1, "y": 2}) == content_hash({"y": 2, "x": 1})
    assert content_hash("é") != content_hash("\\u00e9")


def test_hashes_already_stored_keep_matching() -> None:
    """The two forms the package has always hashed with: UTF-8 for the ledger's input hashes,
    ASCII-escaped for A2I's InputContent and the AWS adapters' default loop names (the values
    were computed with the json.dumps calls these replaced)."""
    from hitl_agent.models.aws import default_loop_name

    value = {"text": "café ☕", "n": 1}
    assert content_hash(value) == (
        "eacf605af11a9c91e074fdcbf35e741c28e631c812f9e05f00005c5b965fbb2e")
    assert canonical_json(value, ensure_ascii=True) == '{"n":1,"text":"caf\\u00e9 \\u2615"}'
    flow = "arn:aws:sagemaker:us-east-1:1:flow-definition/f"
    assert default_loop_name(flow, value) == "hitl-0cd3b1ddabd726652417af6bc727f062e1263909"


def test_lazy_exports_load_on_first_use_and_warn_for_old_names() -> None:
    namespace: dict[str, object] = {"__name__": "pkg", "__package__": "pkg"}
    getattr_, dir_ = lazy_exports(
        namespace, {"dumps": "json"}, deprecated={"old": "json:loads", "same": "json"})
    assert getattr_("dumps") is __import__("json").dumps and "dumps" in namespace
    assert "dumps" in dir_() and "old" not in dir_()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert getattr_("old") is __import__("json").loads
    assert caught and issubclass(caught[0].category, DeprecationWarning)
    assert "json.loads" in str(caught[0].message)
    with pytest.raises(AttributeError):
        getattr_("missing")


def test_lazy_exports_name_the_extra_a_missing_module_comes_with() -> None:
    getattr_, _ = lazy_exports({"__name__": "pkg"}, {"Thing": "no_such_module_xyz"},
                               extra="agents")
    with pytest.raises(MissingExtra) as caught:
        getattr_("Thing")
    assert caught.value.extra == "agents" and "hitl-agent[agents]" in str(caught.value)
    assert isinstance(caught.value, ImportError)


def test_hitl_data_is_read_in_one_place() -> None:
    """``$HITL_DATA`` is read by ``hitl_agent.data_folder.data_dir`` only: no other module has
    the variable's name as a string literal (docstrings and help texts that mention it aside)."""
    import ast
    from pathlib import Path

    import hitl_agent

    root = Path(hitl_agent.__file__).parent
    readers = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value == "HITL_DATA":
                readers.append(path.relative_to(root).as_posix())
    assert readers == ["data_folder.py"]
