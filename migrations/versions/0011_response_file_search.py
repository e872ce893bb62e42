"""the text of answers' files gets an index of its own, out of document_search

An answer is not seen by everyone who sees its document (a STAFF sees only the turnos of their
own unit), so words of its files must match only for who may see those files. document_search
held one text per document (every attachment's): it could not tell whose words were whose.

- document_search keeps the document's own files only (attachments.response_id IS NULL): its
  refresh (PostgreSQL's function, SQLite's triggers) filters them so, and the rows of documents
  with answer files that have text are rebuilt.
- response_file_search: one row per answer's file with text, keyed by the attachment's id.
  PostgreSQL: a tsvector of mcs_spanish (as mcs_search_vector of 0005, weight D), GIN-indexed,
  removed with its attachment (ON DELETE CASCADE). SQLite: an FTS5 table (rowid = the
  attachment's id, the tokenizer of 0005). Triggers on attachments keep it; it is filled for
  the files already read. The query side (models/search.py) joins it to the attachment and asks
  models.permissions.visible_attachments whether the caller may see that file.

What this needs is frozen here (the 0005 SQL it changes, with and without the filter), not
imported from the application. Every statement may run again (IF NOT EXISTS, OR REPLACE,
upserts, delete-then-insert).

On SQLite, a later migration that batch-alters (copies) documents or attachments drops their
triggers with the old table: it must create them again (SQLITE_TRIGGERS below, as 0005 says of
its own).

Revision ID: 0011
Revises: 0010
"""

from alembic import op
import sqlalchemy as sa


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ANSWER_FILE = "response_id IS NOT NULL AND text IS NOT NULL"  # what response_file_search holds

# --- PostgreSQL -----------------------------------------------------------------------------


def _pg_refresh_document_search(own_files_only: bool) -> str:
    """0005's mcs_refresh_document_search; with `own_files_only`, the document's own files."""
    only = " AND a.response_id IS NULL" if own_files_only else ""
    return f"""CREATE OR REPLACE FUNCTION mcs_refresh_document_search(doc bigint) RETURNS void
    LANGUAGE plpgsql AS $$
    DECLARE
        d record;
        files text;
        fields tsvector;
        public_vector tsvector;
    BEGIN
        -- refreshes of one document queue up here; the next statements see what the one before
        -- committed (READ COMMITTED), so two attachments read at once both end up indexed
        PERFORM 1 FROM document_search WHERE document_id = doc FOR UPDATE;
        SELECT subject, summary, sender_name, sender_position, sender_organization, folio, reference, addressee
            INTO d FROM documents WHERE id = doc;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        SELECT string_agg(a.text, ' ' ORDER BY a.id) INTO files
            FROM attachments a WHERE a.document_id = doc AND a.text IS NOT NULL{only};
        public_vector := mcs_search_vector(concat_ws(' ', d.folio, d.reference), 'A')
                         || mcs_search_vector(d.addressee, 'C');
        fields := mcs_search_vector(d.subject, 'A') || mcs_search_vector(d.summary, 'B')
                  || mcs_search_vector(concat_ws(' ', d.sender_name, d.sender_position, d.sender_organization), 'C')
                  || public_vector;
        IF length(files) > 100000 THEN
            BEGIN  -- a tsvector holds at most 1 MB: a huge text is indexed by its beginning
                fields := fields || mcs_search_vector(files, 'D');
            EXCEPTION WHEN program_limit_exceeded THEN
                fields := fields || mcs_search_vector(left(files, 100000), 'D');
            END;
        ELSIF files IS NOT NULL THEN
            fields := fields || mcs_search_vector(files, 'D');
        END IF;
        INSERT INTO document_search (document_id, search_vector, public_search_vector)
            VALUES (doc, fields, public_vector)
            ON CONFLICT (document_id) DO UPDATE
            SET search_vector = EXCLUDED.search_vector, public_search_vector = EXCLUDED.public_search_vector;
    END $$"""


def _pg_document_file_triggers(own_files_only: bool) -> dict[tuple[str, str], str]:
    """0005's triggers on attachments for document_search. Now an answer's file (inserted or
    deleted) leaves document_search alone, and moving a file between a document and an answer
    refreshes it."""
    if not own_files_only:
        return {
            (
                "attachments_search_insert",
                "attachments",
            ): "AFTER INSERT ON attachments FOR EACH ROW WHEN (NEW.text IS NOT NULL) "
            "EXECUTE FUNCTION mcs_attachments_search_trigger()",
            (
                "attachments_search_update",
                "attachments",
            ): "AFTER UPDATE OF text, document_id ON attachments FOR EACH ROW "
            "WHEN (OLD.text IS DISTINCT FROM NEW.text OR OLD.document_id IS DISTINCT FROM NEW.document_id) "
            "EXECUTE FUNCTION mcs_attachments_search_trigger()",
            (
                "attachments_search_delete",
                "attachments",
            ): "AFTER DELETE ON attachments FOR EACH ROW WHEN (OLD.text IS NOT NULL) "
            "EXECUTE FUNCTION mcs_attachments_search_trigger()",
        }
    return {
        (
            "attachments_search_insert",
            "attachments",
        ): "AFTER INSERT ON attachments FOR EACH ROW WHEN (NEW.text IS NOT NULL AND NEW.response_id IS NULL) "
        "EXECUTE FUNCTION mcs_attachments_search_trigger()",
        (
            "attachments_search_update",
            "attachments",
        ): "AFTER UPDATE OF text, document_id, response_id ON attachments FOR EACH ROW "
        "WHEN (OLD.text IS DISTINCT FROM NEW.text OR OLD.document_id IS DISTINCT FROM NEW.document_id "
        "OR OLD.response_id IS DISTINCT FROM NEW.response_id) "
        "EXECUTE FUNCTION mcs_attachments_search_trigger()",
        (
            "attachments_search_delete",
            "attachments",
        ): "AFTER DELETE ON attachments FOR EACH ROW WHEN (OLD.text IS NOT NULL AND OLD.response_id IS NULL) "
        "EXECUTE FUNCTION mcs_attachments_search_trigger()",
    }


PG_TABLE = [
    """CREATE TABLE IF NOT EXISTS response_file_search (
        attachment_id BIGINT NOT NULL,
        search_vector TSVECTOR NOT NULL,
        CONSTRAINT pk_response_file_search PRIMARY KEY (attachment_id),
        CONSTRAINT fk_response_file_search_attachment_id_attachments FOREIGN KEY (attachment_id)
            REFERENCES attachments (id) ON DELETE CASCADE
    )""",
    "CREATE INDEX IF NOT EXISTS ix_response_file_search_search_vector ON response_file_search USING gin (search_vector)",
]

PG_FUNCTIONS = [
    # one file's text as document_search indexes files (weight D, the same 1 MB guard)
    """CREATE OR REPLACE FUNCTION mcs_file_search_vector(value text) RETURNS tsvector
    LANGUAGE plpgsql STABLE AS $$
    BEGIN
        IF length(value) > 100000 THEN
            BEGIN  -- a tsvector holds at most 1 MB: a huge text is indexed by its beginning
                RETURN mcs_search_vector(value, 'D');
            EXCEPTION WHEN program_limit_exceeded THEN
                RETURN mcs_search_vector(left(value, 100000), 'D');
            END;
        END IF;
        RETURN mcs_search_vector(value, 'D');
    END $$""",
    # one row per file, written from the row itself: no aggregate, so nothing to queue up for
    """CREATE OR REPLACE FUNCTION mcs_response_files_search_trigger() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.response_id IS NULL OR NEW.text IS NULL THEN
            DELETE FROM response_file_search WHERE attachment_id = NEW.id;
        ELSE
            INSERT INTO response_file_search (attachment_id, search_vector)
                VALUES (NEW.id, mcs_file_search_vector(NEW.text))
                ON CONFLICT (attachment_id) DO UPDATE SET search_vector = EXCLUDED.search_vector;
        END IF;
        RETURN NULL;
    END $$""",
]

PG_TRIGGERS = {
    (
        "response_files_search_insert",
        "attachments",
    ): "AFTER INSERT ON attachments FOR EACH ROW WHEN (NEW.response_id IS NOT NULL AND NEW.text IS NOT NULL) "
    "EXECUTE FUNCTION mcs_response_files_search_trigger()",
    ("response_files_search_update", "attachments"): "AFTER UPDATE OF text, response_id ON attachments FOR EACH ROW "
    "WHEN (OLD.text IS DISTINCT FROM NEW.text OR OLD.response_id IS DISTINCT FROM NEW.response_id) "
    "EXECUTE FUNCTION mcs_response_files_search_trigger()",
    # a deleted file's row goes with it (the foreign key cascades)
}

PG_BACKFILL = [
    f"""INSERT INTO response_file_search (attachment_id, search_vector)
        SELECT id, mcs_file_search_vector(text) FROM attachments WHERE {ANSWER_FILE} ORDER BY id
        ON CONFLICT (attachment_id) DO UPDATE SET search_vector = EXCLUDED.search_vector""",
]

# the documents whose row held an answer's words (upgrade) or must hold them again (downgrade)
PG_REBUILD = (
    f"SELECT mcs_refresh_document_search(document_id) FROM "
    f"(SELECT DISTINCT document_id FROM attachments WHERE {ANSWER_FILE}) AS affected ORDER BY document_id"
)

PG_DROP = [
    *[f"DROP TRIGGER IF EXISTS {name} ON {table_name}" for name, table_name in PG_TRIGGERS],
    "DROP FUNCTION IF EXISTS mcs_response_files_search_trigger()",
    "DROP FUNCTION IF EXISTS mcs_file_search_vector(text)",
    "DROP TABLE IF EXISTS response_file_search",
]

# --- SQLite ---------------------------------------------------------------------------------

DOCUMENT_FIELDS = [
    "subject",
    "summary",
    "sender_name",
    "sender_position",
    "sender_organization",
    "folio",
    "reference",
    "addressee",
]


def _sqlite_files_of(document_id: str, own_files_only: bool) -> str:
    only = " AND a.response_id IS NULL" if own_files_only else ""
    return f"(SELECT group_concat(a.text, ' ') FROM attachments a WHERE a.document_id = {document_id}{only})"


def _sqlite_values(row: str, own_files_only: bool) -> str:
    """0005's FTS5 columns of document `row` (NEW, OLD or a table alias)."""

    def joined(*fields):
        return " || ' ' || ".join(f"coalesce({row}.{f}, '')" for f in fields)

    return (
        f"{row}.subject, {row}.summary, {joined('sender_name', 'sender_position', 'sender_organization')}, "
        f"{joined('folio', 'reference', 'addressee')}, {_sqlite_files_of(f'{row}.id', own_files_only)}"
    )


def _sqlite_files(document_id: str, own_files_only: bool) -> str:
    return (
        f"UPDATE document_search SET files = {_sqlite_files_of(document_id, own_files_only)} "
        f"WHERE rowid = {document_id};"
    )


def _sqlite_document_triggers(own_files_only: bool) -> dict[str, str]:
    """0005's triggers that write document_search's `files` (documents_search_delete needs no change)."""
    o = own_files_only
    insert = "INSERT INTO document_search (rowid, subject, summary, sender, public, files)"
    return {
        "documents_search_insert": f"""AFTER INSERT ON documents BEGIN
        {insert} VALUES (NEW.id, {_sqlite_values("NEW", o)});
    END""",
        "documents_search_update": f"""AFTER UPDATE OF {", ".join(DOCUMENT_FIELDS)} ON documents BEGIN
        DELETE FROM document_search WHERE rowid = OLD.id;
        {insert} VALUES (NEW.id, {_sqlite_values("NEW", o)});
    END""",
        "attachments_search_insert": f"""AFTER INSERT ON attachments WHEN NEW.text IS NOT NULL{
            " AND NEW.response_id IS NULL" if o else ""
        } BEGIN
        {_sqlite_files("NEW.document_id", o)}
    END""",
        "attachments_search_update": f"""AFTER UPDATE OF text, document_id{", response_id" if o else ""} ON attachments BEGIN
        {_sqlite_files("OLD.document_id", o)}
        {_sqlite_files("NEW.document_id", o)}
    END""",
        "attachments_search_delete": f"""AFTER DELETE ON attachments WHEN OLD.text IS NOT NULL{
            " AND OLD.response_id IS NULL" if o else ""
        } BEGIN
        {_sqlite_files("OLD.document_id", o)}
    END""",
    }


SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS response_file_search USING fts5("
    "files, tokenize = 'unicode61 remove_diacritics 2')"
)

SQLITE_TRIGGERS = {
    **_sqlite_document_triggers(own_files_only=True),
    "response_files_search_insert": """AFTER INSERT ON attachments
        WHEN NEW.response_id IS NOT NULL AND NEW.text IS NOT NULL BEGIN
        INSERT INTO response_file_search (rowid, files) VALUES (NEW.id, NEW.text);
    END""",
    "response_files_search_update": """AFTER UPDATE OF text, response_id ON attachments BEGIN
        DELETE FROM response_file_search WHERE rowid = OLD.id;
        INSERT INTO response_file_search (rowid, files)
            SELECT NEW.id, NEW.text WHERE NEW.response_id IS NOT NULL AND NEW.text IS NOT NULL;
    END""",
    "response_files_search_delete": """AFTER DELETE ON attachments BEGIN
        DELETE FROM response_file_search WHERE rowid = OLD.id;
    END""",
}
SQLITE_NEW_TRIGGERS = ("response_files_search_insert", "response_files_search_update", "response_files_search_delete")

SQLITE_BACKFILL = [
    "DELETE FROM response_file_search",
    f"INSERT INTO response_file_search (rowid, files) SELECT id, text FROM attachments WHERE {ANSWER_FILE}",
]


def _sqlite_rebuild(own_files_only: bool) -> str:
    return (
        f"UPDATE document_search SET files = {_sqlite_files_of('document_search.rowid', own_files_only)} "
        f"WHERE rowid IN (SELECT document_id FROM attachments WHERE {ANSWER_FILE})"
    )


def _run(statement: str) -> None:
    """Raw DDL: colons are SQL (::regconfig, :=), not bind parameters."""
    op.execute(sa.text(statement.replace(":", "\\:")))


def _replace_sqlite_triggers(triggers: dict[str, str]) -> None:
    for name, body in triggers.items():
        _run(f"DROP TRIGGER IF EXISTS {name}")
        _run(f"CREATE TRIGGER {name} {body}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _run(_pg_refresh_document_search(own_files_only=True))
        for (name, table_name), body in _pg_document_file_triggers(own_files_only=True).items():
            _run(f"DROP TRIGGER IF EXISTS {name} ON {table_name}")
            _run(f"CREATE TRIGGER {name} {body}")
        for statement in [*PG_TABLE, *PG_FUNCTIONS]:
            _run(statement)
        for (name, table_name), body in PG_TRIGGERS.items():
            _run(f"DROP TRIGGER IF EXISTS {name} ON {table_name}")
            _run(f"CREATE TRIGGER {name} {body}")
        for statement in [*PG_BACKFILL, PG_REBUILD]:
            _run(statement)
    else:
        _run(SQLITE_TABLE)
        _replace_sqlite_triggers(SQLITE_TRIGGERS)
        for statement in [*SQLITE_BACKFILL, _sqlite_rebuild(own_files_only=True)]:
            _run(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_DROP:
            _run(statement)
        _run(_pg_refresh_document_search(own_files_only=False))
        for (name, table_name), body in _pg_document_file_triggers(own_files_only=False).items():
            _run(f"DROP TRIGGER IF EXISTS {name} ON {table_name}")
            _run(f"CREATE TRIGGER {name} {body}")
        _run(PG_REBUILD)
    else:
        for name in SQLITE_NEW_TRIGGERS:
            _run(f"DROP TRIGGER IF EXISTS {name}")
        _run("DROP TABLE IF EXISTS response_file_search")
        _replace_sqlite_triggers(_sqlite_document_triggers(own_files_only=False))
        _run(_sqlite_rebuild(own_files_only=False))
