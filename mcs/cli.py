"""The `mcs` command: serve, migrate, demo, create-admin, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys

from core.settings import Settings


def cmd_migrate(settings: Settings, args) -> int:
    from mcs.migrations import migrate

    migrate(settings.database_url)
    print("Base de datos al día.")
    return 0


def cmd_serve(settings: Settings, args) -> int:
    from mcs.migrations import migrate
    from mcs.workers import check_workers

    workers = args.workers
    if problem := check_workers(settings, workers):
        # refused rather than run as one process: whoever asked for N processes sized the host for
        # them, and one process quietly serving instead would only show up as slowness
        print(f"Error: {problem}", file=sys.stderr)
        return 2
    if not args.no_migrate:
        migrate(settings.database_url)
    if args.demo_if_empty:
        from mcs.demo import load_demo

        asyncio.run(load_demo(settings, only_if_empty=True))
    if workers > 1:
        from mcs.workers import serve_workers

        return serve_workers(settings, args.host, args.port, workers)
    from mcs.serve import serve

    return serve(settings, args.host, args.port)


def cmd_demo(settings: Settings, args) -> int:
    from mcs.demo import load_demo
    from mcs.migrations import migrate

    if args.show_users:
        return show_demo_users(settings)
    migrate(settings.database_url)
    asyncio.run(load_demo(settings, only_if_empty=not args.force))
    return 0


def show_demo_users(settings: Settings) -> int:
    """The demo accounts that still have the demo password; loads nothing."""
    from mcs.demo_users import demo_accounts, format_accounts
    from models.db import Database

    async def read():
        db = Database(settings.database_url)
        try:
            return await demo_accounts(db)
        finally:
            await db.dispose()

    if accounts := asyncio.run(read()):
        print(format_accounts(accounts))
        return 0
    print(
        "Esta base de datos no tiene cuentas de demostración con la contraseña de demostración "
        "(se cargan con `mcs demo`).",
        file=sys.stderr,
    )
    return 1


def read_password() -> str:
    if password := os.environ.get("MCS_ADMIN_PASSWORD"):
        return password
    if sys.stdin.isatty():
        first = getpass.getpass("Contraseña: ")
        if first != getpass.getpass("Repita la contraseña: "):
            raise SystemExit("Las contraseñas no coinciden.")
        return first
    return sys.stdin.readline().rstrip("\n")


def cmd_create_admin(settings: Settings, args) -> int:
    from mcs.bootstrap import create_admin
    from mcs.migrations import migrate
    from models.errors import DomainError

    migrate(settings.database_url)
    password = read_password()
    try:
        unit = asyncio.run(
            create_admin(
                settings,
                args.username,
                password,
                full_name=args.full_name,
                root_code=args.code,
                root_acronym=args.acronym,
                root_name=args.name,
            )
        )
    except DomainError as error:
        print(f"Error: {error.message}", file=sys.stderr)
        return 1
    print(f"Administrador «{args.username.strip().lower()}» creado en {unit.acronym} ({unit.name}).")
    return 0


def cmd_export_schema(settings: Settings, args) -> int:
    from schema.export import SNAPSHOT, sdl

    SNAPSHOT.write_text(sdl())
    print(f"Esquema escrito en {SNAPSHOT}")
    return 0


def cmd_stats_rebuild(settings: Settings, args) -> int:
    """PostgreSQL keeps the indicators' daily table by triggers; this refills it from the rows
    (after a bulk load with triggers off) in MCS_TIMEZONE (after changing it)."""
    from sqlalchemy import text

    from models.db import Database

    async def rebuild() -> bool:
        db = Database(settings.database_url)
        try:
            if db.is_sqlite:
                return False
            async with db.transaction() as session:
                await session.execute(text("SELECT mcs_stats_set_timezone(:tz)"), {"tz": settings.timezone})
            return True
        finally:
            await db.dispose()

    if asyncio.run(rebuild()):
        print(f"Indicadores diarios recalculados ({settings.timezone}).")
    else:
        print("SQLite cuenta los indicadores directamente de los registros: nada que recalcular.")
    return 0


def cmd_fsck(settings: Settings, args) -> int:
    """Check that the attachment rows and the files' store agree (exit 1 when a file is missing
    or damaged)."""
    from files.storage import LocalStorage
    from mcs.fsck import check
    from models.db import Database

    async def run():
        db = Database(settings.database_url)
        try:
            return await check(
                db, LocalStorage(settings.files_dir), quick=args.quick, delete_orphans=args.delete_orphans
            )
        finally:
            await db.dispose()

    report = asyncio.run(run())
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


def cmd_notify(settings: Settings, args) -> int:
    from mcs.notify import instant, notify_at

    try:
        at = instant(args.at, settings.timezone)
    except ValueError:
        print(f"Fecha y hora no válida: {args.at!r} (ejemplo: 2026-03-02T08:00 o 2026-03-02T14:00:00+00:00).")
        return 2
    summary = asyncio.run(notify_at(settings, at))
    print(
        f"{at.isoformat()}: {summary.deadline_events} avisos de plazo, {summary.digests} resúmenes diarios, "
        f"{summary.notifications} notificaciones nuevas; {summary.sent} enviadas."
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="mcs", description="Módulo de Correspondencia y Seguimiento")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP/websocket server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-migrate", action="store_true", help="do not migrate before serving")
    serve.add_argument("--demo-if-empty", action="store_true", help="load the demo data into an empty database")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="N processes sharing the port (default 1); N > 1 needs PostgreSQL and MCS_REDIS_URL",
    )
    serve.set_defaults(run=cmd_serve)

    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(run=cmd_migrate)

    demo = sub.add_parser("demo", help="load the demo data (Spanish) into an empty database")
    demo.add_argument("--force", action="store_true", help="load even if the database has data")
    demo.add_argument("--show-users", action="store_true", help="only list the demo accounts (loads nothing)")
    demo.set_defaults(run=cmd_demo)

    admin = sub.add_parser("create-admin", help="create an ADMIN (and the root unit on an empty database)")
    admin.add_argument("username")
    admin.add_argument("--full-name", default="Administración del sistema")
    admin.add_argument("--code", default="0", help="root unit code, on an empty database")
    admin.add_argument("--acronym", default="INST")
    admin.add_argument("--name", default="Institución")
    admin.set_defaults(run=cmd_create_admin)

    sub.add_parser("export-schema", help="write schema/schema.graphql").set_defaults(run=cmd_export_schema)
    sub.add_parser("stats-rebuild", help="PostgreSQL: refill the indicators' daily table in MCS_TIMEZONE").set_defaults(
        run=cmd_stats_rebuild
    )

    notify = sub.add_parser("notify", help="send what is due at an instant: deadline notices, digests, notifications")
    notify.add_argument(
        "--at", required=True, metavar="ISO", help="e.g. 2026-03-02T08:00 (MCS_TIMEZONE unless an offset is given)"
    )
    notify.set_defaults(run=cmd_notify)

    fsck = sub.add_parser("fsck", help="check that every attachment row has its file, intact, and report orphans")
    fsck.add_argument("--quick", action="store_true", help="compare sizes only, do not hash every file")
    fsck.add_argument(
        "--delete-orphans", action="store_true", help="delete stored files no row names (older than an hour)"
    )
    fsck.set_defaults(run=cmd_fsck)

    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as error:  # a setting that cannot be used: say which, before anything starts
        print(f"Configuración no válida: {error}", file=sys.stderr)
        return 2
    return args.run(settings, args)


if __name__ == "__main__":
    sys.exit(main())
