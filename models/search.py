"""Full-text search over documents: what a search box means, the match predicate and the rank.

The index lives beside `documents`, one row per document, kept up to date by database
triggers (migrations 0005 and 0011) whenever a document's searchable fields change and whenever
the text of one of its own files is stored:

- PostgreSQL: table `document_search(document_id, search_vector, public_search_vector)`,
  tsvectors of the text search configuration `mcs_spanish` (Spanish stemming after
  `unaccent`), GIN-indexed. `search_vector` holds every searchable field plus the text of the
  document's own files, weighted (subject, folio and reference A; summary B; sender and
  addressee C; files D); `public_search_vector` only the fields a confidential document shows
  to everyone who sees its row (folio, reference, addressee).
- SQLite: FTS5 table `document_search(subject, summary, sender, public, files)`, rowid = the
  document's id, tokenizer `unicode61 remove_diacritics 2`. No stemming: every word of the
  query matches as a prefix instead ("nomina" finds "nóminas").

The files of answers have an index of their own, one row per file (migration 0011):
`response_file_search(attachment_id, search_vector)` on PostgreSQL, the FTS5 table
`response_file_search(files)` with rowid = the attachment's id on SQLite. An answer is not seen
by everyone who sees its document (a STAFF sees the turnos of their own unit only), so its
words count for a caller only through files they may see (`visible_attachments`, given by the
caller as `visible_files`): one text per document could not tell whose words are whose.

Both sides split text on anything that is not a letter or a digit ("JUZ-3/2026" is the words
juz, 3 and 2026), fold case and accents, and drop the same Spanish stop words from the query.
Plurals in -aciones/-uciones count as their singular (the stemmer, once accents are gone, would
stem "informaciones" but not "información"). A query is the AND of its terms: words, and
phrases for words joined by punctuation ("JUZ-3/2026"); there is no syntax, so no input can
make it fail. Each term may be found in the document's index or in one of its answers' files
the caller may see ("contrato" in the subject and "finiquito" in an answer find it together).

Confidential documents: their protected fields (subject, summary, sender, attachments) match
only for callers who may read them (`confidential_readable`); the public fields match for
everyone who sees the row. A caller who may not read the protected fields is also ranked on
the public fields only, so the order of a list never tells what a hidden subject contains.

The tables are not ORM models (an FTS5 table is virtual, the PostgreSQL one holds tsvectors):
they are described here as lightweight tables for queries only, and Alembic's autogenerate
ignores them (migrations/env.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from typing import Any, overload

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    and_,
    any_,
    bindparam,
    case,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql import column, table
from sqlalchemy.sql.functions import FunctionElement

from models.attachments import Attachment
from models.text import fold

TS_CONFIG = "mcs_spanish"
SEARCH_TABLE = "document_search"
ANSWER_FILES_TABLE = "response_file_search"  # the text of answers' files, one row per file
FTS_COLUMNS = ("subject", "summary", "sender", "public", "files")
# bm25 weights of the FTS5 columns: for who may read everything, and for who sees the public
# fields only (the same weight on `public`, so both kinds of rows rank on one scale)
FTS_WEIGHTS_ALL = (10.0, 4.0, 2.0, 5.0, 1.0)
FTS_WEIGHTS_PUBLIC = (0.0, 0.0, 0.0, 5.0, 0.0)

# PostgreSQL's Spanish stop words (Snowball's list) as `mcs_spanish` applies them: after
# unaccent, so only the entries without accents ever match a word.
STOP_WORDS = frozenset(
    """
de la que el en y a los del se las por un para con no una su al lo como pero sus le ya o este porque esta
entre cuando muy sin sobre me hasta hay donde quien desde todo nos durante todos uno les ni contra otros ese
eso ante ellos e esto antes algunos unos yo otro otras otra tanto esa estos mucho quienes nada muchos cual
poco ella estar estas algunas algo nosotros mi mis te ti tu tus ellas nosotras vosostros vosostras os tuyo
tuya tuyos tuyas suyo suya suyos suyas nuestro nuestra nuestros nuestras vuestro vuestra vuestros vuestras
esos esas estoy estamos estemos estaremos estaba estabas estabais estaban estuve estuviste estuvo estuvimos
estuvisteis estuvieron estuviera estuvieras estuvierais estuvieran estuviese estuvieses estuvieseis
estuviesen estando estado estada estados estadas estad he has ha hemos han haya hayas hayamos hayan habremos
hube hubiste hubo hubimos hubisteis hubieron hubiera hubieras hubierais hubieran hubiese hubieses hubieseis
hubiesen habiendo habido habida habidos habidas soy eres es somos sois son sea seas seamos sean seremos era
eras erais eran fui fuiste fue fuimos fuisteis fueron fuera fueras fuerais fueran fuese fueses fueseis
fuesen sintiendo sentido sentida sentidos sentidas siente sentid tengo tienes tiene tenemos tienen tenga
tengas tengamos tengan tendremos tuve tuviste tuvo tuvimos tuvisteis tuvieron tuviera tuvieras tuvierais
tuvieran tuviese tuvieses tuvieseis tuviesen teniendo tenido tenida tenidos tenidas tened
""".split()
)

_WORD = re.compile(r"[^\W_]+")  # letters and digits: what both indexes call a word
# the plurals the index makes singular before stemming (migration 0005, mcs_search_vector)
_PLURAL = re.compile(r"([au])ciones$")
MAX_TERMS = 16  # a query is a few words; more is not a search, and each one costs a lookup
MAX_PHRASE = 16
RANK_WINDOW = 1_000  # PostgreSQL ranks the newest this many matches of a search (ranked())


@dataclass(frozen=True)
class SearchQuery:
    """A search box read as terms, all required. A term is a word, or the words of one piece
    of text joined by punctuation ("JUZ-3/2026", "DA/2026/000015"), which must then appear
    together and in that order (a phrase): a folio finds its document, not every document
    whose fields hold its three numbers somewhere. Words are folded; a lone stop word is no
    term. No terms left (only stop words) matches nothing, as PostgreSQL would."""

    terms: tuple[tuple[str, ...], ...]

    @property
    def texts(self) -> list[str]:
        """For phraseto_tsquery (PostgreSQL), one per term, ANDed (&&)."""
        return [" ".join(term) for term in self.terms]

    def fts(self, columns: tuple[str, ...] | None = None, *, any_term: bool = False) -> str:
        """An FTS5 query (SQLite): each term a quoted phrase (no operator or syntax can come
        through, a phrase of one word is that word) whose last word may be a prefix; all terms
        required (or, `any_term`, one of them); optionally within some columns."""
        expression = (" OR " if any_term else " ").join(f'"{" ".join(term)}"*' for term in self.terms)
        return f"{{{' '.join(columns)}}} : ({expression})" if columns else expression


def parse_search(text: str | None) -> SearchQuery | None:
    """None when the box holds no word at all (empty, spaces, punctuation): no filter."""
    terms, any_word = [], False
    for piece in fold(text).split():
        words = [_PLURAL.sub(r"\1cion", w) for w in _WORD.findall(piece)][:MAX_PHRASE]
        any_word = any_word or bool(words)
        if words and not all(w in STOP_WORDS for w in words):
            terms.append(tuple(words))
    if not any_word:
        return None
    return SearchQuery(tuple(dict.fromkeys(terms))[:MAX_TERMS])


# --- the match predicate (plain SQL, either backend) ---------------------------------------


class _matches(FunctionElement):
    """`key IN (rows of an index that match)`; compiled per backend. Arguments: the key column
    (a document's id, or an attachment's for the answers' files), the FTS5 query, then one
    PostgreSQL text per term."""

    # no Boolean type on purpose: SQLite would compare it "= 1", and the IN could no longer
    # drive the query from the index
    inherit_cache = True
    table_name = SEARCH_TABLE
    pg_key = "document_id"  # SQLite's key is the FTS5 rowid
    vector = "search_vector"
    fts_columns: tuple[str, ...] | None = None
    any_term = False  # the terms ANDed, or (True) ORed


class matches_all(_matches):
    """Any searchable field, the document's own files included."""

    inherit_cache = True


class matches_public(_matches):
    """The fields a confidential document shows to everyone who sees its row."""

    inherit_cache = True
    vector = "public_search_vector"
    fts_columns = ("public",)


class answer_file_matches(_matches):
    """An answer's file whose text matches (the key is the attachment's id)."""

    inherit_cache = True
    table_name = ANSWER_FILES_TABLE
    pg_key = "attachment_id"


class answer_file_matches_any(answer_file_matches):
    """An answer's file whose text matches one of the terms at least."""

    inherit_cache = True
    any_term = True


class row_matches_all(_matches):
    """`EXISTS` this document's own index row matching: a lookup by key, for a few documents."""

    inherit_cache = True


class matches_all_or_answers(_matches):
    """`document_id IN (documents whose own index matches UNION ALL the given SELECT of document
    ids)`. Arguments: the document id column, that SELECT (as a scalar subquery), the FTS5
    query, one PostgreSQL text per term. One IN over a UNION, not two INs under an OR, so that
    the database can still start from both indexes."""

    inherit_cache = True


def _condition(element, compiler, fts, texts, **kw) -> str:
    """The WHERE of `element`'s index rows that match."""
    name = element.table_name
    if compiler.dialect.name == "postgresql":
        join = " || " if element.any_term else " && "
        ts_query = join.join(f"phraseto_tsquery('{TS_CONFIG}', {compiler.process(t, **kw)})" for t in texts)
        return f"{name}.{element.vector} @@ ({ts_query})"
    return f"{name} MATCH {compiler.process(fts, **kw)}"


def _key(element, compiler) -> str:
    return f"{element.table_name}.{element.pg_key if compiler.dialect.name == 'postgresql' else 'rowid'}"


def _index_rows(element, compiler, fts, texts, **kw) -> str:
    """The SELECT of the keys of `element`'s index that match."""
    return (
        f"SELECT {_key(element, compiler)} FROM {element.table_name} "
        f"WHERE {_condition(element, compiler, fts, texts, **kw)}"
    )


@compiles(_matches)
def _matches_unsupported(element, compiler, **kw):
    raise CompileError(f"full-text search is implemented for PostgreSQL and SQLite, not {compiler.dialect.name}")


@compiles(_matches, "postgresql")
@compiles(_matches, "sqlite")
def _matches_supported(element, compiler, **kw):
    key, fts, *texts = list(element.clauses)
    return f"{compiler.process(key, **kw)} IN ({_index_rows(element, compiler, fts, texts, **kw)})"


@compiles(row_matches_all, "postgresql")
@compiles(row_matches_all, "sqlite")
def _row_matches_all(element, compiler, **kw):
    key, fts, *texts = list(element.clauses)
    return (
        f"EXISTS (SELECT 1 FROM {element.table_name} WHERE {_key(element, compiler)} = "
        f"{compiler.process(key, **kw)} AND {_condition(element, compiler, fts, texts, **kw)})"
    )


@compiles(matches_all_or_answers, "postgresql")
@compiles(matches_all_or_answers, "sqlite")
def _matches_all_or_answers(element, compiler, **kw):
    document_id, answers, fts, *texts = list(element.clauses)
    # the bare SELECT: SQLite takes no parenthesized member in a compound SELECT
    return (
        f"{compiler.process(document_id, **kw)} IN ({_index_rows(element, compiler, fts, texts, **kw)} "
        f"UNION ALL {compiler.process(answers.element, **kw)})"
    )


def _match(kind: type[_matches], key, query: SearchQuery, *extra) -> ColumnElement[bool]:
    return kind(
        key,
        *extra,
        bindparam(None, query.fts(kind.fts_columns, any_term=kind.any_term)),
        *[bindparam(None, t) for t in query.texts],
    )


VisibleFiles = Callable[[Any], ColumnElement[bool]]  # an Attachment (or alias) -> may the caller see it
_OTHER_FILE = aliased(Attachment, name="other_file")  # made once (a new alias costs milliseconds); one per subquery


def _found_through_answers(query: SearchQuery, visible_files: VisibleFiles) -> Select:
    """The documents a query finds once their answers' files count: those with a file the caller
    may see that holds a term, and whose every term is in their own index or in such a file.
    Only a few documents have such a file, so each is checked term by term with lookups; every
    other document is found (or not) by the one lookup of its own index, as without answers."""
    found = select(Attachment.document_id).where(
        _match(answer_file_matches_any, Attachment.id, query),
        Attachment.response_id.is_not(None),
        visible_files(Attachment),
    )
    if len(query.terms) > 1:
        for term in query.terms:
            one = SearchQuery((term,))
            other = _OTHER_FILE
            found = found.where(
                or_(
                    _match(row_matches_all, Attachment.document_id, one),
                    exists(
                        select(1).where(
                            other.document_id == Attachment.document_id,
                            other.response_id.is_not(None),
                            _match(answer_file_matches, other.id, one),
                            visible_files(other),
                        )
                    ),
                )
            )
    return found


@overload
def search_clause(
    query: SearchQuery, readable: ColumnElement[bool], document_id, visible_files: VisibleFiles | None = None
) -> ColumnElement[bool]: ...
@overload
def search_clause(
    query: None, readable: ColumnElement[bool], document_id, visible_files: VisibleFiles | None = None
) -> None: ...
def search_clause(
    query: SearchQuery | None, readable: ColumnElement[bool], document_id, visible_files: VisibleFiles | None = None
) -> ColumnElement[bool] | None:
    """The search filter as a WHERE predicate (no rank): every term in the document's fields,
    the protected ones only where `readable` holds. As `search_vector` holds the public fields
    too, "(readable AND all) OR public" is "all AND (readable OR public)", which lets the
    database start from the index.

    `visible_files(attachment)`: whether the caller may see that answer's file
    (models.permissions.visible_attachments), so that its words count; None: no answer's file
    counts. A term may then be in the document's own index or in such a file. The public part
    still needs every term in the public fields: an answer's file is a protected field too."""
    if query is None:
        return None
    if not query.terms:
        return false()
    if visible_files is None:
        everywhere = _match(matches_all, document_id, query)
    else:
        everywhere = _match(
            matches_all_or_answers, document_id, query, _found_through_answers(query, visible_files).scalar_subquery()
        )
    return and_(everywhere, or_(readable, _match(matches_public, document_id, query)))


# --- ranked lists ---------------------------------------------------------------------------

_pg_index = table(SEARCH_TABLE, column("document_id"), column("search_vector"), column("public_search_vector"))
_pg_own_index = _pg_index.alias("own_index")
_fts_index = table(SEARCH_TABLE, column("rowid"))
_fts_table: ColumnClause[Any] = literal_column(SEARCH_TABLE)  # FTS5's hidden column named after the table


def _pg_phrases(search: SearchQuery) -> list[ColumnElement[str]]:
    """PostgreSQL: one phraseto_tsquery per text of the search, in the index's configuration."""
    config: ColumnClause[str] = literal_column(f"'{TS_CONFIG}'::regconfig")
    return [func.phraseto_tsquery(config, bindparam(None, t), type_=TSQUERY) for t in search.texts]


def _pg_ts_query(search: SearchQuery) -> ColumnElement[str]:
    return reduce(lambda a, b: a.op("&&")(b), _pg_phrases(search))


def newest_matches(
    query: Select,
    search: SearchQuery,
    readable: ColumnElement[bool],
    document,
    visible_files: VisibleFiles | None,
    size: int,
    *after: ColumnElement[bool],
) -> ColumnElement:
    """PostgreSQL: an array of the ids of the newest `size` documents of `query` (which selects
    `document`) whose own index holds every term (past the `after` conditions), and of those
    found through answers' files (a few): a superset of the next page by date, and the window a
    ranking reads. The own-index test is a per-row EXISTS whose estimate comes from the words'
    statistics: PostgreSQL walks the documents by date for a common word (it stops after a few
    thousand) and starts from the GIN index for a rare one; the `IN (… UNION ALL …)` form of
    search_clause reads every match first (13 s by date for a common word in 3,000,000
    documents, bench/STATE.md). As one array, so that the page looks them up by key."""
    ts_query, own = _pg_ts_query(search), _pg_own_index

    def own_index_holds(vector) -> ColumnElement[bool]:
        return exists(select(1).select_from(own).where(own.c.document_id == document.id, vector.op("@@")(ts_query)))

    # `readable` stays outside: a subquery correlates with the query right around it only
    own_match = and_(own_index_holds(own.c.search_vector), or_(readable, own_index_holds(own.c.public_search_vector)))
    candidates = [
        query.where(own_match, *after)
        .with_only_columns(document.id)
        .order_by(document.received_at.desc(), document.id.desc())
        .limit(size)
    ]
    if visible_files is not None:
        candidates.append(
            query.where(
                document.id.in_(_found_through_answers(search, visible_files)),
                or_(readable, _match(matches_public, document.id, search)),
                *after,
            ).with_only_columns(document.id)
        )
    found = union_all(*[select(c.subquery().c.id) for c in candidates]).subquery()
    return func.coalesce(select(func.array_agg(found.c.id)).scalar_subquery(), literal_column("'{}'::bigint[]"))


def ranked(
    query: Select,
    search: SearchQuery,
    readable: ColumnElement[bool],
    document,
    dialect: str,
    visible_files: VisibleFiles | None = None,
) -> tuple[Select, ColumnElement]:
    """`query` (which selects `document`) narrowed to the matches of `search` (search_clause,
    answers' files included) and with their relevance as a second column, labelled
    search_rank; higher is better. Returns the query and the rank (to sort and paginate on).
    Replaces search_clause for that query. The rank is the document's own index's: a document
    found only through an answer's words ranks as a weak match (PostgreSQL: ts_rank of what its
    own fields hold; SQLite: 0), which the id then orders, so pages stay deterministic."""
    rank: ColumnElement[float]
    if not search.terms:  # only stop words: nothing matches
        rank = literal_column("0.0", Float)
        query = query.where(false())
    elif dialect == "postgresql":
        ts_query = _pg_ts_query(search)
        rank = case(
            (readable, func.ts_rank(_pg_index.c.search_vector, ts_query, type_=Float)),
            else_=func.ts_rank(_pg_index.c.public_search_vector, ts_query, type_=Float),
        )
        # Ranking costs a read of each match's vector: 0.6 s for the 47,000 matches of a common
        # word in 100,000 documents, seconds at a million (bench/SEARCH.md). So the newest
        # RANK_WINDOW matches are ranked (newest_matches).
        ids = newest_matches(query, search, readable, document, visible_files, RANK_WINDOW)
        # every document has its row (a trigger writes it with the document)
        query = select(document).join(_pg_index, _pg_index.c.document_id == document.id).where(document.id == any_(ids))
    elif dialect == "sqlite":

        def bm25(weights):  # FTS5's bm25 is lower for better matches
            return -func.bm25(_fts_table, *[literal_column(repr(w)) for w in weights], type_=Float)

        # bm25 needs its own MATCH: the documents whose own fields hold every term, ranked once
        # (SQLite keeps a virtual table on the right of a LEFT JOIN as a subquery of its own)
        own = (
            select(
                _fts_index.c.rowid.label("document_id"),
                bm25(FTS_WEIGHTS_ALL).label("rank_all"),
                bm25(FTS_WEIGHTS_PUBLIC).label("rank_public"),
            )
            .where(_fts_table.match(bindparam(None, search.fts())))
            .subquery("own_rank")
        )
        zero = literal_column("0.0", Float)
        rank = case((readable, func.coalesce(own.c.rank_all, zero)), else_=func.coalesce(own.c.rank_public, zero))
        query = query.outerjoin(own, own.c.document_id == document.id).where(
            search_clause(search, readable, document.id, visible_files)
        )
    else:
        raise CompileError(f"full-text search is implemented for PostgreSQL and SQLite, not {dialect}")
    labelled = rank.label("search_rank")
    return query.add_columns(labelled), labelled


# --- snippets: why a document matched ---------------------------------------------------------
# A short excerpt of one field (or one file's text) with the words the query finds marked, as
# segments {text, match}: clients render them as text, never as HTML. Which fields and files may
# give it is the caller's business (resolvers/search_snippet.py asks models.permissions); here
# only how one text is cut and marked. PostgreSQL marks with ts_headline in `mcs_spanish`, so its
# stemming decides ("nóminas" marks for "nomina"); SQLite with `highlight` below, the FTS5 rule
# (accents and case folded, each term's last word a prefix).

SNIPPET_WORDS = 30  # words around the best match
SNIPPET_MAX_SEGMENTS = 2 * SNIPPET_WORDS + 1  # every word marked, and the text between (schema/cost.py)
# characters of a file's text a snippet looks at, about six pages: ts_headline parses the whole text
# (100 KB take 0.1 s), for each file of each result. A word found only further on still finds the
# document, without a snippet from that file.
SNIPPET_TEXT_LIMIT = 20_000
_START, _STOP = "\ue000", "\ue001"  # private-use characters: markers no text holds (removed from it first)
_SPLIT = "\ue002"  # put after punctuation for ts_headline, so that it splits words as the index does; removed after
HEADLINE_OPTIONS = (
    f"StartSel={_START}, StopSel={_STOP}, MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, "
    "ShortWord=2, MaxFragments=1, HighlightAll=false"
)
HEADLINE_WHOLE = f"StartSel={_START}, StopSel={_STOP}, HighlightAll=true"
SNIPPET_SHORT_TEXT = 240  # characters: a text this short is shown whole (about SNIPPET_WORDS words)
_SPACE = re.compile(r"\s+")

Segment = tuple[str, bool]  # (text, is a match)


def headline_tsquery(search: SearchQuery) -> ColumnElement[str]:
    """PostgreSQL: the query's terms ORed (a field holds some of them; the document held all)."""
    return reduce(lambda a, b: a.op("||")(b), _pg_phrases(search))


def headline(text_column, search: SearchQuery):
    """PostgreSQL: the excerpt of `text_column` marked by ts_headline (the markers taken out of
    the text first), or NULL when it holds none of the query's terms (decided by the index's own
    function, mcs_search_vector: punctuation and plurals as indexed)."""
    config: ColumnClause[str] = literal_column(f"'{TS_CONFIG}'::regconfig")
    query = headline_tsquery(search)
    # the index reads "JUZ-3/2026" as juz, 3 and 2026 (punctuation is a space to it); the parser of
    # ts_headline would read "-3" and "/2026": a separator after each punctuation mark fixes that
    clean = func.regexp_replace(
        func.translate(text_column, _START + _STOP + _SPLIT, ""), "([[:punct:]]+)", "\\1" + _SPLIT, "g"
    )
    matches = func.mcs_search_vector(text_column, literal_column("'D'")).op("@@")(query)
    # a short text whole (the fragment mode would drop its last word), a long one cut around the best match
    whole = func.ts_headline(config, clean, query, literal_column(f"'{HEADLINE_WHOLE}'"))
    cut = func.ts_headline(config, clean, query, literal_column(f"'{HEADLINE_OPTIONS}'"))
    return case((~matches, None), (func.length(text_column) <= SNIPPET_SHORT_TEXT, whole), else_=cut)


def _squeeze(segments: list[Segment]) -> list[Segment]:
    """Runs of spaces (OCR's line breaks) as one; neighbours of one kind merged; empty ones out;
    at most SNIPPET_MAX_SEGMENTS."""
    out: list[Segment] = []
    for text, match in segments:
        text = _SPACE.sub(" ", text)
        if not text:
            continue
        if out and out[-1][1] == match:
            out[-1] = (out[-1][0] + text, match)
        else:
            out.append((text, match))
    if out:
        out[0] = (out[0][0].lstrip(), out[0][1])
        out[-1] = (out[-1][0].rstrip(), out[-1][1])
    return [s for s in out if s[0]][:SNIPPET_MAX_SEGMENTS]


def marked_segments(marked: str | None, text_start: str, text_end: str) -> list[Segment] | None:
    """Segments of a ts_headline result; None when it marks nothing. An ellipsis says the excerpt
    starts after the text's beginning or ends before its end (`text_start`, `text_end`: the
    text's first and last characters, to compare with)."""
    if not marked or _START not in marked:
        return None
    marked = marked.replace(_SPLIT, "")
    segments: list[Segment] = []
    for i, piece in enumerate(marked.split(_START)):
        if i == 0:
            segments.append((piece, False))
            continue
        word, _, rest = piece.partition(_STOP)
        segments += [(word, True), (rest, False)]
    plain = _SPACE.sub(" ", "".join(t for t, _ in segments)).strip()
    start, end = _SPACE.sub(" ", text_start).strip(), _SPACE.sub(" ", text_end).strip()
    if plain and not start.startswith(plain[:40]):
        segments.insert(0, ("… ", False))
    if plain and not end.endswith(plain[-40:]):
        segments.append((" …", False))
    # the words of a phrase ("JUZ-3/2026") come marked one by one: one mark, punctuation included
    for i in range(1, len(segments) - 1):
        text, match = segments[i]
        if (
            not match
            and text
            and segments[i - 1][1]
            and segments[i + 1][1]
            and not any(c.isalnum() or c.isspace() for c in text)
        ):
            segments[i] = (text, True)
    return _squeeze(segments)


def highlight(text: str | None, search: SearchQuery, words: int = SNIPPET_WORDS) -> list[Segment] | None:
    """The excerpt of `text` around its best match, the words the query finds marked; None when
    it holds none. A term's words must follow one another (a phrase), the last one as a prefix,
    folded: what FTS5 matches (SQLite)."""
    if not text or not search.terms:
        return None
    cut = len(text) > SNIPPET_TEXT_LIMIT  # the text goes on past what is looked at
    text = text[:SNIPPET_TEXT_LIMIT]
    tokens = [(m.start(), m.end(), fold(m.group())) for m in _WORD.finditer(text)]
    marked: dict[int, int] = {}  # token index -> the term it belongs to
    joined: set[int] = set()  # tokens whose gap to the next one is inside a phrase found ("JUZ-3/2026")
    for number, term in enumerate(search.terms):
        last = len(term) - 1
        for i in range(len(tokens) - last):
            if all(tokens[i + k][2] == w if k < last else tokens[i + k][2].startswith(w) for k, w in enumerate(term)):
                for k in range(len(term)):
                    marked.setdefault(i + k, number)
                joined.update(range(i, i + last))
    if not marked:
        return None
    # the window of `words` tokens with the most distinct terms (then the most marks), from a few
    # words before its first mark
    lead = words // 4
    positions, span = sorted(marked), words - lead
    best, best_score = positions[0], (0, 0)
    counts: dict[int, int] = {}
    k = 0
    for j, first in enumerate(positions):  # a sliding window over the marks: [j, k)
        while k < len(positions) and positions[k] < first + span:
            counts[marked[positions[k]]] = counts.get(marked[positions[k]], 0) + 1
            k += 1
        score = (len(counts), k - j)
        if score > best_score:
            best, best_score = first, score
        counts[marked[first]] -= 1
        if not counts[marked[first]]:
            del counts[marked[first]]
    begin = max(0, min(best - lead, len(tokens) - words))
    end = min(len(tokens), begin + words)
    segments: list[Segment] = []
    if begin > 0:
        segments.append(("… ", False))
    cursor = tokens[begin][0]
    for i in range(begin, end):
        start, stop, _ = tokens[i]
        if i in marked:
            if i in joined and i + 1 < end:
                stop = tokens[i + 1][0]  # the punctuation inside the phrase is part of the mark
            segments += [(text[cursor:start], False), (text[start:stop], True)]
            cursor = stop
    if end < len(tokens) or cut:
        segments += [(text[cursor : tokens[end - 1][1]], False), (" …", False)]
    else:
        segments.append((text[cursor:], False))
    return _squeeze(segments)
