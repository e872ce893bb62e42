"""full-text search: document_search (tsvector + GIN on PostgreSQL, FTS5 on SQLite), kept by
triggers; drops the folded LIKE columns documents.search_text and public_search_text

PostgreSQL: the extension unaccent (trusted: the database owner may create it), the text
search configuration mcs_spanish (spanish with unaccent before the stemmer), the table
document_search with two GIN-indexed tsvectors, and triggers on documents and attachments that
refresh a document's row. SQLite: the FTS5 table document_search (rowid = document id) and
triggers doing the same. Both are filled for the documents already registered.

Every statement may run again (IF NOT EXISTS, OR REPLACE, upserts): a run cut short halfway
is finished by the next `mcs migrate`.

On SQLite, a later migration that batch-alters (copies) documents or attachments drops their
triggers with the old table: it must create them again (SQLITE_TRIGGERS below).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00
"""

from alembic import op
import sqlalchemy as sa

from migrations.frozen import fold


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# --- PostgreSQL -----------------------------------------------------------------------------

PG_CONFIGURATION = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'mcs_spanish'
                       AND cfgnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())) THEN
            CREATE TEXT SEARCH CONFIGURATION mcs_spanish (COPY = spanish);
        END IF;
    END $$""",
    # accents off before the Spanish stemmer, so "información" and "informacion" stem alike
    "ALTER TEXT SEARCH CONFIGURATION mcs_spanish ALTER MAPPING FOR hword, hword_part, word WITH unaccent, spanish_stem",
    "ALTER TEXT SEARCH CONFIGURATION mcs_spanish ALTER MAPPING FOR numword, numhword, hword_numpart WITH unaccent, simple",
]

PG_TABLE = [
    """CREATE TABLE IF NOT EXISTS document_search (
        document_id BIGINT NOT NULL,
        search_vector TSVECTOR NOT NULL,
        public_search_vector TSVECTOR NOT NULL,
        CONSTRAINT pk_document_search PRIMARY KEY (document_id),
        CONSTRAINT fk_document_search_document_id_documents FOREIGN KEY (document_id)
            REFERENCES documents (id) ON DELETE CASCADE
    )""",
    "CREATE INDEX IF NOT EXISTS ix_document_search_search_vector ON document_search USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS ix_document_search_public_search_vector ON document_search USING gin (public_search_vector)",
]

PG_FUNCTIONS = [
    # words are letters and digits: "JUZ-3/2026" is juz, 3 and 2026 (not one "file" token), as on
    # SQLite. Without its accent the Spanish stemmer no longer sees the suffix of "información"
    # (left whole) but still sees the plural's, "informaciones" (cut to "inform"): the plurals in
    # -aciones and -uciones are made singular first. The query gets the same (models/search.py).
    """CREATE OR REPLACE FUNCTION mcs_search_vector(value text, weight "char") RETURNS tsvector
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector('mcs_spanish', regexp_replace(
            regexp_replace(coalesce(value, ''), '[[:punct:]]+', ' ', 'g'), '([au])ciones\\M', '\\1cion', 'gi')), weight)
    $$""",
    """CREATE OR REPLACE FUNCTION mcs_refresh_document_search(doc bigint) RETURNS void
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
            FROM attachments a WHERE a.document_id = doc AND a.text IS NOT NULL;
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
    END $$""",
    """CREATE OR REPLACE FUNCTION mcs_documents_search_trigger() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM mcs_refresh_document_search(NEW.id);
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION mcs_attachments_search_trigger() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            PERFORM mcs_refresh_document_search(OLD.document_id);
        END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.document_id IS DISTINCT FROM OLD.document_id) THEN
            PERFORM mcs_refresh_document_search(NEW.document_id);
        END IF;
        RETURN NULL;
    END $$""",
]

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
_CHANGED = " OR ".join(f"OLD.{f} IS DISTINCT FROM NEW.{f}" for f in DOCUMENT_FIELDS)

PG_TRIGGERS = {
    (
        "documents_search_insert",
        "documents",
    ): "AFTER INSERT ON documents FOR EACH ROW EXECUTE FUNCTION mcs_documents_search_trigger()",
    (
        "documents_search_update",
        "documents",
    ): f"AFTER UPDATE OF {', '.join(DOCUMENT_FIELDS)} ON documents FOR EACH ROW WHEN ({_CHANGED}) "
    "EXECUTE FUNCTION mcs_documents_search_trigger()",
    (
        "attachments_search_insert",
        "attachments",
    ): "AFTER INSERT ON attachments FOR EACH ROW WHEN (NEW.text IS NOT NULL) EXECUTE FUNCTION mcs_attachments_search_trigger()",
    ("attachments_search_update", "attachments"): "AFTER UPDATE OF text, document_id ON attachments FOR EACH ROW "
    "WHEN (OLD.text IS DISTINCT FROM NEW.text OR OLD.document_id IS DISTINCT FROM NEW.document_id) "
    "EXECUTE FUNCTION mcs_attachments_search_trigger()",
    (
        "attachments_search_delete",
        "attachments",
    ): "AFTER DELETE ON attachments FOR EACH ROW WHEN (OLD.text IS NOT NULL) EXECUTE FUNCTION mcs_attachments_search_trigger()",
}

PG_BACKFILL = "SELECT mcs_refresh_document_search(id) FROM documents ORDER BY id"

PG_DROP = [
    *[f"DROP TRIGGER IF EXISTS {name} ON {table_name}" for name, table_name in PG_TRIGGERS],
    "DROP FUNCTION IF EXISTS mcs_attachments_search_trigger()",
    "DROP FUNCTION IF EXISTS mcs_documents_search_trigger()",
    "DROP FUNCTION IF EXISTS mcs_refresh_document_search(bigint)",
    'DROP FUNCTION IF EXISTS mcs_search_vector(text, "char")',
    "DROP TABLE IF EXISTS document_search",
    # the extension unaccent stays: it may serve others, and it costs nothing
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS mcs_spanish",
]

# --- SQLite ---------------------------------------------------------------------------------

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS document_search USING fts5("
    "subject, summary, sender, public, files, tokenize = 'unicode61 remove_diacritics 2')"
)


def _sqlite_values(row: str) -> str:
    """The FTS5 columns of document `row` (NEW, OLD or a table alias)."""

    def joined(*fields):
        return " || ' ' || ".join(f"coalesce({row}.{f}, '')" for f in fields)

    return (
        f"{row}.subject, {row}.summary, {joined('sender_name', 'sender_position', 'sender_organization')}, "
        f"{joined('folio', 'reference', 'addressee')}, "
        f"(SELECT group_concat(a.text, ' ') FROM attachments a WHERE a.document_id = {row}.id)"
    )


def _sqlite_files(document_id: str) -> str:
    return (
        f"UPDATE document_search SET files = (SELECT group_concat(a.text, ' ') FROM attachments a "
        f"WHERE a.document_id = {document_id}) WHERE rowid = {document_id};"
    )


SQLITE_TRIGGERS = {
    "documents_search_insert": f"""AFTER INSERT ON documents BEGIN
        INSERT INTO document_search (rowid, subject, summary, sender, public, files) VALUES (NEW.id, {_sqlite_values("NEW")});
    END""",
    "documents_search_update": f"""AFTER UPDATE OF {", ".join(DOCUMENT_FIELDS)} ON documents BEGIN
        DELETE FROM document_search WHERE rowid = OLD.id;
        INSERT INTO document_search (rowid, subject, summary, sender, public, files) VALUES (NEW.id, {_sqlite_values("NEW")});
    END""",
    "documents_search_delete": """AFTER DELETE ON documents BEGIN
        DELETE FROM document_search WHERE rowid = OLD.id;
    END""",
    "attachments_search_insert": f"""AFTER INSERT ON attachments WHEN NEW.text IS NOT NULL BEGIN
        {_sqlite_files("NEW.document_id")}
    END""",
    "attachments_search_update": f"""AFTER UPDATE OF text, document_id ON attachments BEGIN
        {_sqlite_files("OLD.document_id")}
        {_sqlite_files("NEW.document_id")}
    END""",
    "attachments_search_delete": f"""AFTER DELETE ON attachments WHEN OLD.text IS NOT NULL BEGIN
        {_sqlite_files("OLD.document_id")}
    END""",
}

SQLITE_BACKFILL = [
    "DELETE FROM document_search",
    f"INSERT INTO document_search (rowid, subject, summary, sender, public, files) SELECT d.id, {_sqlite_values('d')} FROM documents d",
]


def _run(statement: str) -> None:
    """Raw DDL: colons are SQL (::regconfig, :=, [[:punct:]]), not bind parameters."""
    op.execute(sa.text(statement.replace(":", "\\:")))


def _columns(table_name: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table_name)}


def upgrade() -> None:
    # the LIKE search's folded copies go: the index below replaces them
    dead = {"search_text", "public_search_text"} & _columns("documents")
    if dead:
        with op.batch_alter_table("documents", schema=None) as batch_op:
            for name in sorted(dead):
                batch_op.drop_column(name)

    if op.get_bind().dialect.name == "postgresql":
        for statement in [*PG_CONFIGURATION, *PG_TABLE, *PG_FUNCTIONS]:
            _run(statement)
        for (name, table_name), body in PG_TRIGGERS.items():
            _run(f"DROP TRIGGER IF EXISTS {name} ON {table_name}")
            _run(f"CREATE TRIGGER {name} {body}")
        _run(PG_BACKFILL)
    else:
        _run(SQLITE_TABLE)
        for name, body in SQLITE_TRIGGERS.items():
            _run(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
        for statement in SQLITE_BACKFILL:
            _run(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_DROP:
            _run(statement)
    else:
        for name in SQLITE_TRIGGERS:
            _run(f"DROP TRIGGER IF EXISTS {name}")
        _run("DROP TABLE IF EXISTS document_search")

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("public_search_text", sa.Text(), server_default="", nullable=False))

    # fill them again as the application used to (models.documents.refresh_derived before 0005)
    documents = sa.table(
        "documents", *[sa.column(c) for c in ["id", *DOCUMENT_FIELDS, "search_text", "public_search_text"]]
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(documents.c.id, *[documents.c[f] for f in DOCUMENT_FIELDS])).fetchall()
    for row in rows:
        parts = [
            row.subject,
            row.summary,
            row.sender_name,
            row.sender_position,
            row.sender_organization,
            row.reference,
            row.folio,
            row.addressee,
        ]
        connection.execute(
            documents.update()
            .where(documents.c.id == row.id)
            .values(
                search_text=" ".join(fold(p) for p in parts if p),
                public_search_text=" ".join(fold(p) for p in (row.folio, row.reference, row.addressee) if p),
            )
        )
