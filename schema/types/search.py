"""SearchSnippet: why a document matched a search (Document.searchSnippet)."""

from __future__ import annotations

import strawberry

from resolvers.search_snippet import Snippet, SnippetSource

# marks the domain's class itself (strawberry.enum returns it), so SnippetSource stays a type to mypy
strawberry.enum(
    SnippetSource,
    name="SnippetSource",
    description=(
        "Where a search snippet's text comes from: SUMMARY, SENDER (name, position, organization), REFERENCE, "
        "ADDRESSEE, FILE (the text read from one of the document's own files), ANSWER_FILE (from a file of an "
        "answer)."
    ),
)


@strawberry.type(
    name="SnippetSegment",
    description=(
        "A piece of a snippet's text: `match` when it is a word the search found. Render as text (never as HTML), "
        "the matches marked (e.g. <mark>)."
    ),
)
class SnippetSegment:
    text: str
    match: bool


@strawberry.type(
    name="SearchSnippet",
    description=(
        "A short excerpt (about 30 words) of one field or file, the words the search found marked. Its pieces, "
        "joined, are the excerpt; an ellipsis (…) opens or closes it when the text goes on."
    ),
)
class SearchSnippet:
    source: SnippetSource
    file_name: str | None = strawberry.field(description="The file's name, for FILE and ANSWER_FILE.")
    segments: list[SnippetSegment]

    @classmethod
    def from_snippet(cls, snippet: Snippet) -> "SearchSnippet":
        return cls(
            source=snippet.source,
            file_name=snippet.file_name,
            segments=[SnippetSegment(text=text, match=match) for text, match in snippet.segments],
        )
