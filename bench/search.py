"""Full-text search latency on N documents, PostgreSQL and SQLite, through the resolver.

    .venv/bin/python -m bench.search [--documents N] [--runs R] [--backend postgresql|sqlite] [--no-like]

1. PostgreSQL: drop and recreate `mcs_bench_search`, migrate, build the org tree and users of
   bench.core, COPY N documents (bench.core's generator) with their chain and registration
   event, and one attachment with extracted text for one document in five (triggers index them
   as they arrive, as in production). SQLite: a fresh file, migrated, the same rows inserted.
2. For each query (a common word, a rare word, two words, a word typed without its accent, a
   folio, page 2 of the common word, and no search at all for the floor), R runs of `resolvers.documents.list_documents`
   (first: 50, ranked) as the HEAD of the root (every visibility and confidentiality predicate
   runs), timing the page alone and the page plus its totalCount; p50 and p99.
3. For comparison, the same words through the LIKE search this replaced (folded copies of the
   fields in two columns added to this database only, `LIKE '%word%'` on them and on the
   attachments' text, newest first).

It prints figures and asserts nothing about speed. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
from sqlalchemy import and_, create_engine, exists, insert, or_, select
from sqlalchemy.sql import column

from bench.core import (
    HEAD_USERNAME,
    MUNICIPALITIES,
    DOCUMENT_COLUMNS,
    FINISH_LOAD,
    copy_batch,
    create_org_and_users,
    document_record,
    generate_documents,
    libpq_dsn,
    recreate_database,
)
from mcs.app import build_services
from mcs.migrations import migrate
from core.settings import Settings
from models.attachments import Attachment, TextStatus
from models.clock import Clock
from models.db import SharedSession
from models.documents import Document, DocumentOrder, DocumentUnit
from models.filters import DocumentFilterSpec
from models.permissions import confidential_readable, visible_documents
from models.text import fold
from models.users import User
from models.principals import load_principal
from resolvers.context import Context
from resolvers.documents import DOCUMENT_ORDER, list_documents
from resolvers.pagination import keyset_page

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/mcs_bench_search"
BATCH = 5_000
FILE_SHARE = 5  # one document in five has a file with text
RARE_WORD = "ahuehuete"  # in about one file in 400 (0.05% of the documents)

SENTENCES = [
    "Por medio del presente se informa que la solicitud fue turnada al área competente.",
    "Se anexa copia del expediente para su conocimiento y atención procedente.",
    "La dependencia solicita información adicional sobre el programa de vivienda.",
    "En atención a su oficio se remite la documentación requerida por la auditoría.",
    "Se convoca a la reunión de seguimiento del comité de obras públicas.",
    "El ayuntamiento manifiesta su interés en el convenio de colaboración.",
    "Se notifica la resolución administrativa dictada en el expediente citado.",
    "Los beneficiarios del padrón deberán presentar identificación oficial vigente.",
    "La construcción del pozo de agua potable presenta un avance del sesenta por ciento.",
    "Se solicita la validación del presupuesto para el ejercicio fiscal correspondiente.",
    "Sin otro particular, aprovecho la ocasión para enviarle un cordial saludo.",
    "Atentamente, la Dirección de Desarrollo Urbano y Obras Públicas.",
]

# (label, search, order, page): page 2 continues from page 1's cursor
QUERIES = [
    ("no search (the floor)", None, None, 1),
    ("common word", "solicitud", None, 1),
    ("common word, page 2", "solicitud", None, 2),
    ("common word, newest first", "solicitud", DocumentOrder.RECEIVED, 1),
    ("rare word (files)", RARE_WORD, None, 1),
    ("two words", "vivienda toluca", None, 1),
    ("accentless", "informacion", None, 1),
    ("folio (public field)", "DG1D1/2025/000010", None, 1),
]


def attachment_text(rng: random.Random) -> str:
    """About 1-2 KB of an official letter, folded as text extraction stores it."""
    parts = rng.sample(SENTENCES, rng.randint(6, 12))
    parts.insert(rng.randrange(len(parts)), f"Municipio de {rng.choice(MUNICIPALITIES)}.")
    if rng.random() < 1 / 400:
        parts.append(f"Se autoriza la poda del {RARE_WORD} ubicado en el parque central.")
    return fold(" ".join(parts))


def attachment_rows(documents: list[Document], rng: random.Random, first_id: int) -> list[dict]:
    rows = []
    for document in documents:
        if rng.random() < 1 / FILE_SHARE:
            content = attachment_text(rng)
            rows.append(
                dict(
                    id=first_id + len(rows),
                    document_id=document.id,
                    response_id=None,
                    sha256=f"{rng.getrandbits(256):064x}",
                    filename="oficio.pdf",
                    content_type="application/pdf",
                    size=len(content) * 3,
                    pages=1,
                    unreadable=False,
                    uploaded_at=document.created_at,
                    uploaded_by_id=document.registered_by_id,
                    text_status=TextStatus.DONE.value,
                    text=content,
                )
            )
    return rows


def like_columns(document: Document) -> dict:
    """What refresh_derived stored for the LIKE search before migration 0005."""
    parts = [
        document.subject,
        document.summary,
        document.sender_name,
        document.sender_position,
        document.sender_organization,
        document.reference,
        document.folio,
        document.addressee,
    ]
    return {
        "id": document.id,
        "search_text": " ".join(fold(p) for p in parts if p),
        "public_search_text": " ".join(fold(p) for p in (document.folio, document.reference, document.addressee) if p),
    }


ATTACHMENT_COLUMNS = [c.name for c in Attachment.__table__.columns]
ADD_LIKE_COLUMNS = [
    "ALTER TABLE documents ADD COLUMN search_text TEXT",
    "ALTER TABLE documents ADD COLUMN public_search_text TEXT",
]


# --- loading -------------------------------------------------------------------------------


async def load_postgresql(url: str, n: int, seed: int, with_like: bool) -> float:
    """After recreate_database and migrate."""
    world = await create_org_and_users(url)
    lineage = {u.id: u.lineage_ids for u in world.units}
    rng = random.Random(seed + 1)
    started = time.perf_counter()
    conn = await asyncpg.connect(libpq_dsn(url))
    try:
        if with_like:
            for statement in ADD_LIKE_COLUMNS:
                await conn.execute(statement)
        async with conn.transaction():
            batch: list[Document] = []
            attachments = 0

            async def flush():
                nonlocal attachments
                await copy_batch(conn, batch, lineage)
                rows = attachment_rows(batch, rng, attachments + 1)
                attachments += len(rows)
                await conn.copy_records_to_table(
                    "attachments",
                    columns=ATTACHMENT_COLUMNS,
                    records=[tuple(r[c] for c in ATTACHMENT_COLUMNS) for r in rows],
                )
                if with_like:
                    await conn.execute(
                        "CREATE TEMP TABLE IF NOT EXISTS like_text (id bigint, search_text text, "
                        "public_search_text text) ON COMMIT DROP"
                    )
                    await conn.execute("TRUNCATE like_text")
                    await conn.copy_records_to_table(
                        "like_text",
                        records=[
                            (v["id"], v["search_text"], v["public_search_text"]) for v in map(like_columns, batch)
                        ],
                    )
                    await conn.execute(
                        "UPDATE documents d SET search_text = l.search_text, "
                        "public_search_text = l.public_search_text FROM like_text l WHERE d.id = l.id"
                    )

            for document in generate_documents(world, n, seed, Clock()):
                batch.append(document)
                if len(batch) == BATCH:
                    await flush()
                    batch = []
            if batch:
                await flush()
            await conn.execute(FINISH_LOAD)
            await conn.execute(
                "SELECT setval(pg_get_serial_sequence('attachments', 'id'), (SELECT max(id) FROM attachments))"
            )
        await conn.execute("VACUUM ANALYZE")
        seconds = time.perf_counter() - started
        sizes = await conn.fetchrow(
            "SELECT pg_size_pretty(pg_table_size('document_search')) AS heap, "
            "pg_size_pretty(pg_relation_size('ix_document_search_search_vector')) AS gin, "
            "pg_size_pretty(pg_relation_size('ix_document_search_public_search_vector')) AS public_gin, "
            "(SELECT count(*) FROM attachments) AS files"
        )
        print(
            f"  postgresql: {n} documents and {sizes['files']} files loaded in {seconds:.1f} s (triggers included); "
            f"document_search {sizes['heap']}, GIN {sizes['gin']} + {sizes['public_gin']}",
            flush=True,
        )
    finally:
        await conn.close()
    return seconds


def load_sqlite(url: str, path: Path, n: int, seed: int, with_like: bool) -> float:
    migrate(url)
    world = asyncio.run(create_org_and_users(url))
    rng = random.Random(seed + 1)
    engine = create_engine(f"sqlite:///{path}")
    started = time.perf_counter()
    files = 0
    with engine.begin() as conn:
        if with_like:
            for statement in ADD_LIKE_COLUMNS:
                conn.exec_driver_sql(statement)
        batch: list[Document] = []

        def flush():
            nonlocal files
            conn.execute(
                insert(Document.__table__),
                [dict(zip((c.key for c in DOCUMENT_COLUMNS), document_record(d))) for d in batch],
            )
            conn.execute(insert(DocumentUnit.__table__), [{"document_id": d.id, "unit_id": d.unit_id} for d in batch])
            rows = attachment_rows(batch, rng, files + 1)
            files += len(rows)
            if rows:
                conn.execute(insert(Attachment.__table__), rows)
            if with_like:
                conn.exec_driver_sql(
                    "UPDATE documents SET search_text = ?, public_search_text = ? WHERE id = ?",
                    [(v["search_text"], v["public_search_text"], v["id"]) for v in map(like_columns, batch)],
                )

        for document in generate_documents(world, n, seed, Clock()):
            batch.append(document)
            if len(batch) == BATCH:
                flush()
                batch = []
        if batch:
            flush()
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    seconds = time.perf_counter() - started
    print(
        f"  sqlite: {n} documents and {files} files loaded in {seconds:.1f} s (triggers included); "
        f"file {path.stat().st_size / 2**20:.0f} MB",
        flush=True,
    )
    return seconds


# --- measuring -----------------------------------------------------------------------------


def like_clause(search: str, principal):
    """The search before migration 0005 (models/filters.py search_clause), on the bench's copies."""
    search_text, public_text = column("search_text"), column("public_search_text")
    readable = confidential_readable(principal, Document)

    def in_files(term: str):
        return exists(
            select(1).where(Attachment.document_id == Document.id, Attachment.text.contains(term, autoescape=True))
        )

    return and_(
        *[
            or_(
                readable & or_(search_text.contains(term, autoescape=True), in_files(term)),
                public_text.contains(term, autoescape=True),
            )
            for term in fold(search).split()
        ]
    )


def slug(name: str) -> str:
    """A RESULT line's name for a query: «common word, page 2 «solicitud»» -> common_word_page_2."""
    return re.sub(r"[^a-z0-9]+", "_", name.split("«")[0].lower()).strip("_")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(url: str, runs: int, with_like: bool, label: str) -> None:
    with tempfile.TemporaryDirectory(prefix="mcs-bench-search-") as workdir:
        settings = Settings.from_env(
            database_url=url,
            redis_url=None,
            secret_key="bench-search-secret-key-long-enough-for-hs256",
            files_dir=Path(workdir),
        )
        services = build_services(settings)
        try:
            async with services.db.session() as session:
                user_id = (await session.execute(select(User.id).where(User.username == HEAD_USERNAME))).scalar_one()
                principal = await load_principal(session, user_id)

            async def one(search: str, order, page: int, like: bool) -> tuple[float, float, int]:
                async with services.db.session() as session:
                    ctx = Context(
                        services=services, session=SharedSession(session), principal=principal, request_id="bench"
                    )
                    started = time.perf_counter()
                    after = None
                    for i in range(page):
                        if like:
                            query = select(Document).where(visible_documents(principal), like_clause(search, principal))
                            result = await keyset_page(
                                ctx.session,
                                query,
                                DOCUMENT_ORDER,
                                descending=True,
                                first=50,
                                after=after,
                                default_size=50,
                                max_size=100,
                            )
                        else:
                            result = await list_documents(
                                ctx, DocumentFilterSpec(search=search), first=50, after=after, order=order
                            )
                        after = result.cursors[-1] if result.cursors else None
                        if page > 1 and i == 0:
                            started = time.perf_counter()  # page 2 alone: page 1 only gave its cursor
                    page_done = time.perf_counter()
                    total = await result.total_count()
                    return page_done - started, time.perf_counter() - started, total

            print(f"\n{label}: {runs} runs each, documents(first: 50) as the HEAD of the root; ms")
            print(f"  {'query':<38}{'matches':>9}{'page p50':>10}{'p99':>9}{'+count p50':>12}{'p99':>9}")
            variants = [
                (f"{name} «{search}»" if search else name, search, order, page, False)
                for name, search, order, page in QUERIES
            ]
            if with_like:
                variants += [
                    (f"LIKE {name} «{search}»", search, None, page, True)
                    for name, search, order, page in QUERIES
                    if order is None and search
                ]
            results = []
            for name, search, order, page, like in variants:
                for _ in range(3):  # warm-up: plans, caches
                    await one(search, order, page, like)
                pages, totals, matches = [], [], 0
                for _ in range(runs):
                    page_s, total_s, matches = await one(search, order, page, like)
                    pages.append(page_s)
                    totals.append(total_s)
                print(
                    f"  {name:<38}{matches:>9}{percentile(pages, 0.5):>10.1f}{percentile(pages, 0.99):>9.1f}"
                    f"{percentile(totals, 0.5):>12.1f}{percentile(totals, 0.99):>9.1f}",
                    flush=True,
                )
                results.append(
                    f"RESULT search.{label}.{slug(name)} matches={matches} page_p50_ms={percentile(pages, 0.5):.1f} "
                    f"page_p99_ms={percentile(pages, 0.99):.1f} with_count_p50_ms={percentile(totals, 0.5):.1f} "
                    f"with_count_p99_ms={percentile(totals, 0.99):.1f}"
                )
            print("\n".join(results), flush=True)
        finally:
            await services.hub.close()
            await services.db.dispose()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000, help="documents to load (default 100000)")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per query (default 30)")
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument(
        "--backend",
        choices=["postgresql", "sqlite"],
        action="append",
        help="only this backend (repeatable; default both)",
    )
    parser.add_argument("--pg-url", default=PG_URL, help=f"PostgreSQL database to DROP and recreate (default {PG_URL})")
    parser.add_argument("--no-like", action="store_true", help="skip the LIKE comparison")
    parser.add_argument(
        "--reuse-postgresql",
        action="store_true",
        help="measure the database a previous run loaded (same --documents, LIKE columns included)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    backends = args.backend or ["postgresql", "sqlite"]
    with_like = not args.no_like
    if "postgresql" in backends:
        if not args.reuse_postgresql:
            print(f"postgresql: recreating mcs_bench_search, loading {args.documents} documents…", flush=True)
            asyncio.run(recreate_database(args.pg_url))
            migrate(args.pg_url)  # Alembic runs its own event loop: outside ours
            asyncio.run(load_postgresql(args.pg_url, args.documents, args.seed, with_like))
        asyncio.run(measure(args.pg_url, args.runs, with_like, "postgresql"))
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory(prefix="mcs-bench-search-") as workdir:
            path = Path(workdir) / "search.sqlite3"
            url = f"sqlite+aiosqlite:///{path}"
            print(f"\nsqlite: {path}, loading {args.documents} documents…", flush=True)
            load_sqlite(url, path, args.documents, args.seed, with_like)
            asyncio.run(measure(url, args.runs, with_like, "sqlite"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
