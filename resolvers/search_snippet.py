"""Document.searchSnippet: why a document matched a search, as a short excerpt with the words marked.

The excerpt comes from what a result does not already show (its folio and subject are on the
row): the summary, the sender, the reference, the addressee, the text read from the document's
own files and from its answers' files. Whose words may appear follows the search's own rule
(models/search.py), decided by models.permissions:

- a confidential document's summary and sender only for who may read it (`confidential_readable`,
  the SQL twin of can_see_confidential); its reference and addressee are public fields;
- a file's text only for who may see that file (`visible_attachments`: the document's rule, and
  for an answer's file, its turno visible too);
- and nothing at all of a document the caller may not see (`visible_documents`).

The fields are chosen in SQL with those predicates, so a hidden word never reaches this process,
then the part holding the most of the query's terms gives the excerpt (ties: summary, files,
answers' files, sender, reference, addressee). PostgreSQL marks it with ts_headline
(`mcs_spanish`), SQLite with models.search.highlight. One DataLoader per search text: a page of
results costs two statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sqlalchemy import case, func, select
from strawberry.dataloader import DataLoader

from models.attachments import Attachment
from models.documents import Document
from models.permissions import confidential_readable, visible_attachments, visible_documents
from models.search import (
    SNIPPET_TEXT_LIMIT,
    SearchQuery,
    Segment,
    headline,
    highlight,
    marked_segments,
    parse_search,
)
from models.text import fold
from resolvers.context import Context

EDGE = 200  # characters of a text's start and end fetched with its headline, to tell whether it was cut


class SnippetSource(str, Enum):
    SUMMARY = "SUMMARY"
    SENDER = "SENDER"
    REFERENCE = "REFERENCE"
    ADDRESSEE = "ADDRESSEE"
    FILE = "FILE"
    ANSWER_FILE = "ANSWER_FILE"


# ties between parts holding as many terms: this order
PREFERENCE = [
    SnippetSource.SUMMARY,
    SnippetSource.FILE,
    SnippetSource.ANSWER_FILE,
    SnippetSource.SENDER,
    SnippetSource.REFERENCE,
    SnippetSource.ADDRESSEE,
]
PROTECTED = {SnippetSource.SUMMARY, SnippetSource.SENDER}  # a confidential document's protected fields
FIELDS = [SnippetSource.SUMMARY, SnippetSource.SENDER, SnippetSource.REFERENCE, SnippetSource.ADDRESSEE]


@dataclass(frozen=True)
class Snippet:
    source: SnippetSource
    segments: list[Segment]
    file_name: str | None = None


@dataclass(frozen=True)
class _Part:
    document_id: int
    source: SnippetSource
    segments: list[Segment]
    file_name: str | None = None
    order: int = 0  # the attachment's id, for files

    @property
    def score(self) -> tuple:
        """Most distinct words marked first, then the preferred field, then the older file."""
        return (-len({fold(text) for text, match in self.segments if match}), PREFERENCE.index(self.source), self.order)


class SnippetLoader(DataLoader):
    """Snippets of documents by id for one search text (None: nothing to show)."""

    def __init__(self, ctx: Context, search: SearchQuery):
        self.ctx, self.search = ctx, search
        super().__init__(load_fn=self.batch_load)

    async def batch_load(self, keys):
        if self.ctx.principal is None or not self.search.terms:
            return [None] * len(keys)
        sqlite = self.ctx.services.db.is_sqlite
        parts = await (self._marked_here(keys) if sqlite else self._marked_in_sql(keys))
        best: dict[int, _Part] = {}
        for part in parts:
            if part.document_id not in best or part.score < best[part.document_id].score:
                best[part.document_id] = part
        return [Snippet(p.source, p.segments, p.file_name) if (p := best.get(k)) else None for k in keys]

    # --- which texts the caller may read: decided in SQL ---------------------------------------

    def _fields(self) -> tuple:
        """The readable flag, and each field of FIELDS as the caller may read it: a confidential
        document's summary and sender are NULL for who may not read them, in the database."""
        readable = confidential_readable(self.ctx.require_principal())
        sender = (
            func.coalesce(Document.sender_name, "")
            + " "
            + func.coalesce(Document.sender_position, "")
            + " "
            + func.coalesce(Document.sender_organization, "")
        )  # (no concat_ws in SQLite 3.40)
        columns = {
            SnippetSource.SUMMARY: Document.summary,
            SnippetSource.SENDER: sender,
            SnippetSource.REFERENCE: Document.reference,
            SnippetSource.ADDRESSEE: Document.addressee,
        }
        return readable, [case((readable, columns[s]), else_=None) if s in PROTECTED else columns[s] for s in FIELDS]

    def _documents(self, keys, columns):
        return select(Document.id, *columns).where(
            Document.id.in_(keys), visible_documents(self.ctx.require_principal())
        )

    def _files(self, keys, columns):
        return select(
            Attachment.id, Attachment.document_id, Attachment.response_id, Attachment.filename, *columns
        ).where(
            Attachment.document_id.in_(keys),
            Attachment.text.is_not(None),
            visible_attachments(self.ctx.require_principal()),
        )

    @staticmethod
    def _file_source(row) -> SnippetSource:
        return SnippetSource.FILE if row.response_id is None else SnippetSource.ANSWER_FILE

    # --- SQLite: the readable texts come here and are marked in Python -------------------------

    async def _marked_here(self, keys) -> list[_Part]:
        session, search = self.ctx.session, self.search
        readable, fields = self._fields()
        parts = []
        for row in (await session.execute(self._documents(keys, [readable.label("readable"), *fields]))).all():
            for i, source in enumerate(FIELDS):
                if source in PROTECTED and not row.readable:
                    continue  # NULL already; and never shown
                if segments := highlight(row[2 + i], search):
                    parts.append(_Part(row.id, source, segments))
        text = func.substr(Attachment.text, 1, SNIPPET_TEXT_LIMIT + 1)  # one more: is there more?
        for row in (await session.execute(self._files(keys, [text]))).all():
            if segments := highlight(row[4], search):
                parts.append(_Part(row.document_id, self._file_source(row), segments, row.filename, row.id))
        return parts

    # --- PostgreSQL: ts_headline marks them in the database ------------------------------------

    async def _marked_in_sql(self, keys) -> list[_Part]:
        session, search = self.ctx.session, self.search

        def marked(column) -> list:  # its headline, and its start and end (was it cut?)
            return [headline(column, search), func.left(column, EDGE), func.right(column, EDGE)]

        readable, fields = self._fields()
        parts = []
        query = self._documents(keys, [readable.label("readable"), *[c for f in fields for c in marked(f)]])
        for row in (await session.execute(query)).all():
            for i, source in enumerate(FIELDS):
                if source in PROTECTED and not row.readable:
                    continue
                at = 2 + 3 * i
                if segments := marked_segments(row[at], row[at + 1] or "", row[at + 2] or ""):
                    parts.append(_Part(row.id, source, segments))
        text = Attachment.text
        files = [headline(func.left(text, SNIPPET_TEXT_LIMIT), search), func.left(text, EDGE), func.right(text, EDGE)]
        for row in (await session.execute(self._files(keys, files))).all():
            if segments := marked_segments(row[4], row[5] or "", row[6] or ""):
                parts.append(_Part(row.document_id, self._file_source(row), segments, row.filename, row.id))
        return parts


def snippet_loader(ctx: Context, search: str) -> SnippetLoader | None:
    """The request's loader for this search text (None: the text holds no word to look for)."""
    query = parse_search(search)
    if query is None or not query.terms:
        return None
    loaders = ctx.loaders
    by_text = loaders.__dict__.setdefault("search_snippets", {})
    if query not in by_text:
        by_text[query] = SnippetLoader(ctx, query)
    return by_text[query]


async def search_snippet(ctx: Context, document_id: int, search: str) -> Snippet | None:
    loader = snippet_loader(ctx, search)
    return await loader.load(document_id) if loader else None
