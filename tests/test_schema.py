"""The SDL snapshot is current, and the schema keeps every name of the contract."""

from pathlib import Path

from graphql import build_ast_schema, build_schema, find_breaking_changes, parse
from graphql.language import DocumentNode

from schema.export import SNAPSHOT, sdl

CONTRACT = Path(__file__).resolve().parents[1] / "schema" / "contract.graphql"  # the clients' contract (a copy)
PENDING = Path(__file__).with_name("contract_pending.txt")


def pending_names() -> set[str]:
    lines = (line.split("#", 1)[0].strip() for line in PENDING.read_text().splitlines())
    return {line for line in lines if line}


def prune(document: DocumentNode, names: set[str]) -> DocumentNode:
    """The contract without the pending types and fields."""
    definitions = []
    for definition in document.definitions:
        name = definition.name.value
        if name in names:
            continue
        fields = getattr(definition, "fields", None)
        if fields is not None:
            kept = tuple(f for f in fields if f"{name}.{f.name.value}" not in names)
            definition = definition.__class__(
                **{**{k: getattr(definition, k) for k in definition.keys}, "fields": kept}
            )
        definitions.append(definition)
    return DocumentNode(definitions=tuple(definitions))


def test_sdl_snapshot_is_current():
    assert SNAPSHOT.read_text() == sdl(), "schema/schema.graphql is stale: run `make schema` (mcs export-schema)"


def test_schema_keeps_the_contract():
    ours = build_schema(sdl())
    contract = build_ast_schema(prune(parse(CONTRACT.read_text()), pending_names()))
    breaking = [
        c.description
        for c in find_breaking_changes(contract, ours)
        if c.description != "Standard scalar Float was removed because it is not referenced anymore."
    ]
    assert breaking == []


def test_pending_names_are_really_pending():
    """A name that the schema now has must leave contract_pending.txt."""
    ours = build_schema(sdl())
    present = []
    for name in pending_names():
        type_name, _, field = name.partition(".")
        graphql_type = ours.get_type(type_name)
        if graphql_type is not None and (not field or field in getattr(graphql_type, "fields", {})):
            present.append(name)
    assert present == []
