"""Full-text search over documents: what a search box means, the match predicate and the rank.

The index lives beside `documents`, one row per document, kept up to date by database
triggers (migration 0005) whenever a document's searchable fields change and whenever the
text of one of its attachments is stored:

- PostgreSQL: table `document_search(document_id, search_vector, public_search_vector)`,
  tsvectors of the text search configuration `mcs_spanish` (Spanish stemming after
  `unaccent`), GIN-indexed. `search_vector` holds every searchable field plus the text of the
  attachments, weighted (subject, folio and reference A; summary B; sender and addressee C;
  attachments D); `public_search_vector` only the fields a confidential document shows to
  everyone who sees its row (folio, reference, addressee).
- SQLite: FTS5 table `document_search(subject, summary, sender, public, files)`, rowid = the
  document's id, tokenizer `unicode61 remove_diacritics 2`. No stemming: every word of the
  query matches as a prefix instead ("nomina" finds "nóminas").

Both sides split text on anything that is not a letter or a digit ("JUZ-3/2026" is the words
juz, 3 and 2026), fold case and accents, and drop the same Spanish stop words from the query.
Plurals in -aciones/-uciones count as their singular (the stemmer, once accents are gone, would
stem "informaciones" but not "información"). A query is the AND of its terms: words, and
phrases for words joined by punctuation ("JUZ-3/2026"); there is no syntax, so no input can
make it fail.

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
from dataclasses import dataclass
from functools import reduce

from sqlalchemy import ColumnElement, Float, Select, and_, bindparam, case, false, func, literal_column, or_
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import column, table
from sqlalchemy.sql.functions import FunctionElement

from models.text import fold

TS_CONFIG = "mcs_spanish"
SEARCH_TABLE = "document_search"
FTS_COLUMNS = ("subject", "summary", "sender", "public", "files")
# bm25 weights of the FTS5 columns: for who may read everything, and for who sees the public
# fields only (the same weight on `public`, so both kinds of rows rank on one scale)
FTS_WEIGHTS_ALL = (10.0, 4.0, 2.0, 5.0, 1.0)
FTS_WEIGHTS_PUBLIC = (0.0, 0.0, 0.0, 5.0, 0.0)

# PostgreSQL's Spanish stop words (Snowball's list) as `mcs_spanish` applies them: after
# unaccent, so only the entries without accents ever match a word.
STOP_WORDS = frozenset("""
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
""".split())

_WORD = re.compile(r"[^\W_]+")  # letters and digits: what both indexes call a word
# the plurals the index makes singular before stemming (migration 0005, mcs_search_vector)
_PLURAL = re.compile(r"([au])ciones$")
MAX_TERMS = 16  # a query is a few words; more is not a search, and each one costs a lookup
MAX_PHRASE = 16


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

    def fts(self, columns: tuple[str, ...] | None = None) -> str:
        """An FTS5 query (SQLite): each term a quoted phrase (no operator or syntax can come
        through, a phrase of one word is that word) whose last word may be a prefix; all terms
        required; optionally within some columns."""
        expression = " ".join(f'"{" ".join(term)}"*' for term in self.terms)
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
    """`document_id IN (documents whose index matches)`; compiled per backend. Arguments: the
    document id column, the FTS5 query, then one PostgreSQL text per term."""

    # no Boolean type on purpose: SQLite would compare it "= 1", and the IN could no longer
    # drive the query from the index
    inherit_cache = True
    vector = "search_vector"
    fts_columns: tuple[str, ...] | None = None


class matches_all(_matches):
    """Any searchable field, attachments included."""

    inherit_cache = True


class matches_public(_matches):
    """The fields a confidential document shows to everyone who sees its row."""

    inherit_cache = True
    vector = "public_search_vector"
    fts_columns = ("public",)


@compiles(_matches)
def _matches_unsupported(element, compiler, **kw):
    raise CompileError(f"full-text search is implemented for PostgreSQL and SQLite, not {compiler.dialect.name}")


@compiles(_matches, "postgresql")
def _matches_postgresql(element, compiler, **kw):
    document_id, _fts, *texts = list(element.clauses)
    ts_query = " && ".join(f"phraseto_tsquery('{TS_CONFIG}', {compiler.process(t, **kw)})" for t in texts)
    return (f"{compiler.process(document_id, **kw)} IN (SELECT {SEARCH_TABLE}.document_id FROM {SEARCH_TABLE} "
            f"WHERE {SEARCH_TABLE}.{element.vector} @@ ({ts_query}))")


@compiles(_matches, "sqlite")
def _matches_sqlite(element, compiler, **kw):
    document_id, fts, *_texts = list(element.clauses)
    return (f"{compiler.process(document_id, **kw)} IN (SELECT {SEARCH_TABLE}.rowid FROM {SEARCH_TABLE} "
            f"WHERE {SEARCH_TABLE} MATCH {compiler.process(fts, **kw)})")


def _match(kind: type[_matches], document_id, query: SearchQuery) -> ColumnElement[bool]:
    return kind(document_id, bindparam(None, query.fts(kind.fts_columns)), *[bindparam(None, t) for t in query.texts])


def search_clause(query: SearchQuery | None, readable: ColumnElement[bool], document_id) -> ColumnElement[bool] | None:
    """The search filter as a WHERE predicate (no rank): every term in the document's fields,
    the protected ones only where `readable` holds. As `search_vector` holds the public fields
    too, "(readable AND all) OR public" is "all AND (readable OR public)", which lets the
    database start from the index."""
    if query is None:
        return None
    if not query.terms:
        return false()
    return and_(_match(matches_all, document_id, query), or_(readable, _match(matches_public, document_id, query)))


# --- ranked lists ---------------------------------------------------------------------------

_pg_index = table(SEARCH_TABLE, column("document_id"), column("search_vector"), column("public_search_vector"))
_fts_index = table(SEARCH_TABLE, column("rowid"))
_fts_table = literal_column(SEARCH_TABLE)  # FTS5's hidden column named after the table


def ranked(query: Select, search: SearchQuery, readable: ColumnElement[bool], document, dialect: str) -> tuple[Select, ColumnElement]:
    """`query` (which selects `document`) narrowed to the matches of `search` and with their
    relevance as a second column, labelled search_rank; higher is better. Returns the query and
    the rank (to sort and paginate on). Replaces search_clause for that query."""
    if not search.terms:  # only stop words: nothing matches
        rank = literal_column("0.0", Float)
        query = query.where(false())
    elif dialect == "postgresql":
        config = literal_column(f"'{TS_CONFIG}'::regconfig")
        ts_query = reduce(lambda a, b: a.op("&&")(b),
                          [func.phraseto_tsquery(config, bindparam(None, t), type_=TSQUERY) for t in search.texts])
        rank = case((readable, func.ts_rank(_pg_index.c.search_vector, ts_query, type_=Float)),
                    else_=func.ts_rank(_pg_index.c.public_search_vector, ts_query, type_=Float))
        query = query.join(_pg_index, _pg_index.c.document_id == document.id).where(
            _pg_index.c.search_vector.op("@@")(ts_query),
            or_(readable, _pg_index.c.public_search_vector.op("@@")(ts_query)))
    elif dialect == "sqlite":
        def bm25(weights):  # FTS5's bm25 is lower for better matches
            return -func.bm25(_fts_table, *[literal_column(repr(w)) for w in weights], type_=Float)

        rank = case((readable, bm25(FTS_WEIGHTS_ALL)), else_=bm25(FTS_WEIGHTS_PUBLIC))
        query = query.join(_fts_index, _fts_index.c.rowid == document.id).where(
            _fts_table.match(bindparam(None, search.fts())),
            or_(readable, _match(matches_public, document.id, search)))
    else:
        raise CompileError(f"full-text search is implemented for PostgreSQL and SQLite, not {dialect}")
    labelled = rank.label("search_rank")
    return query.add_columns(labelled), labelled
