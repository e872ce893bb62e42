"""Excel exports: startExport, the workbook read back with openpyxl, exportProgress over a real
websocket, downloads, the per-user limit, failures and the TTL clean-up."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from files.xlsx import CONTENT_TYPE
from models.exports import INTERNAL_ERROR, SHUTDOWN_ERROR, STALE_ERROR, Export, ExportStatus
from resolvers.exports import runner, sources
from resolvers.exports.cleanup import clean_exports
from resolvers.exports.runner import export_runner
from schema.ids import to_global_id
from tests.exports import NODE, PROGRESS, START, finished, indicators, records, run_export, start
from tests.live import WsClient, start_server
from tests.workflow import Flow

DOCUMENT_HEADERS = (
    "Folio",
    "Fecha de recepción",
    "Fecha del documento",
    "Tipo",
    "Origen",
    "Referencia",
    "Asunto",
    "Síntesis",
    "Remitente",
    "Dependencia del remitente",
    "Nivel del remitente",
    "Destinatario",
    "Unidad",
    "Prioridad",
    "Confidencial",
    "Estado",
    "Fecha límite",
    "Semáforo",
    "Fecha de conclusión",
)
TURNO_HEADERS = (
    "Número",
    "Fecha de envío",
    "De",
    "Para",
    "Instrucción",
    "Indicaciones",
    "Prioridad",
    "Estado",
    "Fecha de recepción",
    "Fecha límite",
    "Días hábiles restantes",
    "Semáforo",
    "Fecha de conclusión",
    "Tipo de documento",
    "Asunto del documento",
    "Remitente",
)
FILLS = {"Verde": "00C6EFCE", "Amarillo": "00FFEB9C", "Rojo": "00FFC7CE"}


# --- helpers ----------------------------------------------------------------------------------


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
async def history(api, world):
    """Documents of DA, SRH (confidential) and DJ, each with its own light (today is Monday 2 March 2026)."""
    flow = Flow(api, world)
    docs = {
        "red": await flow.register(
            user="da_reg",
            unit="DA",
            reference="R/1",
            receivedAt="2026-02-20T10:00:00-06:00",
            dueDate="2026-02-25",
            subject="Vencido",
        ),
        "yellow": await flow.register(
            user="da_reg",
            unit="DA",
            reference="R/2",
            receivedAt="2026-02-27T09:30:00-06:00",
            dueDate="2026-03-03",
            subject="Por vencer",
            documentDate="2026-02-26",
        ),
        "confidential": await flow.register(
            user="srh_reg",
            unit="SRH",
            reference="R/3",
            receivedAt="2026-03-01T12:00:00-06:00",
            dueDate="2026-03-20",
            confidential=True,
            subject="Asunto reservado",
        ),
        "none": await flow.register(
            user="da_reg",
            unit="DA",
            reference="R/4",
            receivedAt="2026-03-02T09:00:00-06:00",
            priority="URGENT",
            subject="Agua & drenaje <urgente>",
        ),
        "other": await flow.register(user="dj_reg", unit="DJ", reference="R/5", subject="De otra dirección"),
    }
    return flow, docs


# --- the workbook ----------------------------------------------------------------------------


async def test_documents_workbook_contents(api, services, world, history):
    _, docs = history
    export, wb = await run_export(api, services, world, "da_viewer", {"documents": {}})
    assert export["filename"] == "documentos-2026-03-02.xlsx"
    assert export["progress"] == 1.0 and export["rows"] == 4 and export["totalRows"] == 4
    assert wb.sheetnames == ["Documentos", "Indicadores"]
    ws = wb["Documentos"]
    assert next(ws.iter_rows(max_row=1, values_only=True)) == DOCUMENT_HEADERS
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:S5"
    assert ws.column_dimensions["G"].width == 50  # Asunto

    rows = records(ws)
    # newest received first; the DJ document (not visible to a DA viewer) is not there at all
    assert [r["Folio"] for r in rows] == [docs[k]["folio"] for k in ("none", "confidential", "yellow", "red")]
    assert "De otra dirección" not in {r["Asunto"] for r in rows}
    by_folio = {r["Folio"]: r for r in rows}
    yellow = by_folio[docs["yellow"]["folio"]]
    # real dates, local time of Mexico City, with a number format
    assert yellow["Fecha de recepción"] == datetime(2026, 2, 27, 9, 30)
    assert yellow["Fecha del documento"] == datetime(2026, 2, 26)
    assert yellow["Fecha límite"] == datetime(2026, 3, 3)
    assert (yellow["Tipo"], yellow["Origen"], yellow["Referencia"]) == ("Oficio", "Externo", "R/2")
    assert (yellow["Remitente"], yellow["Dependencia del remitente"], yellow["Nivel del remitente"]) == (
        "Lic. María Pérez",
        "Secretaría de Desarrollo Urbano",
        "Estatal",
    )
    assert (yellow["Unidad"], yellow["Prioridad"], yellow["Estado"], yellow["Confidencial"]) == (
        "DA",
        "Normal",
        "Registrado",
        "No",
    )
    assert by_folio[docs["none"]["folio"]]["Asunto"] == "Agua & drenaje <urgente>"
    assert by_folio[docs["none"]["folio"]]["Prioridad"] == "Urgente"
    row_of = {r["Folio"]: i + 2 for i, r in enumerate(rows)}
    assert ws.cell(row_of[docs["yellow"]["folio"]], 2).number_format == "dd/mm/yyyy hh:mm"
    assert ws.cell(row_of[docs["yellow"]["folio"]], 17).number_format == "dd/mm/yyyy"

    # the semáforo: its Spanish name on a green / yellow / red fill, as the API says
    for key, label in (("red", "Rojo"), ("yellow", "Amarillo"), ("confidential", "Verde"), ("none", "Sin semáforo")):
        assert {"RED": "Rojo", "YELLOW": "Amarillo", "GREEN": "Verde", "NONE": "Sin semáforo"}[
            docs[key]["trafficLight"]
        ] == label
        cell = ws.cell(row_of[docs[key]["folio"]], 18)
        assert cell.value == label
        assert (cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None) == FILLS.get(label)

    # a VIEWER of DA above the confidential SRH document sees the row, not its protected fields
    hidden = by_folio[docs["confidential"]["folio"]]
    assert hidden["Confidencial"] == "Sí" and hidden["Unidad"] == "SRH" and hidden["Referencia"] == "R/3"
    for column in ("Asunto", "Síntesis", "Remitente", "Dependencia del remitente", "Nivel del remitente"):
        assert hidden[column] == "Confidencial"
    # ... exactly as the API answers them
    body = await api.gql(
        "query($id: ID!) { node(id: $id) { ... on Document { subject } } }",
        {"id": docs["confidential"]["id"]},
        token=world.tokens["da_viewer"],
    )
    assert body["data"]["node"]["subject"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    numbers = indicators(wb)
    assert numbers["Filas"] == 4
    assert (numbers["Registrado"], numbers["En trámite"], numbers["Concluido"]) == (4, 0, 0)
    assert (numbers["Verde"], numbers["Amarillo"], numbers["Rojo"], numbers["Sin semáforo"]) == (1, 1, 1, 1)
    assert (numbers["Normal"], numbers["Urgente"], numbers["Oficio"]) == (3, 1, 4)
    assert numbers["Vencidos (abiertos en rojo)"] == 1
    assert isinstance(numbers["Generada el"], datetime)


async def test_a_head_above_reads_the_confidential_fields(api, services, world, history):
    _, docs = history
    _, wb = await run_export(api, services, world, "da_head", {"documents": {}})
    row = {r["Folio"]: r for r in records(wb["Documentos"])}[docs["confidential"]["folio"]]
    assert row["Asunto"] == "Asunto reservado"
    assert row["Remitente"] == "Lic. María Pérez"


async def test_the_filter_is_the_list_filter(api, services, world, history):
    _, docs = history
    value = {"documents": {"trafficLight": ["RED", "YELLOW"], "period": {"from": "2026-02-21"}}}
    _, wb = await run_export(api, services, world, "da_head", value)
    listed = await api.ok(
        "query($f: DocumentFilter) { documents(filter: $f) { edges { node { folio } } } }",
        {"f": value["documents"]},
        token=world.tokens["da_head"],
    )
    assert [r["Folio"] for r in records(wb["Documentos"])] == [e["node"]["folio"] for e in listed["documents"]["edges"]]
    assert [r["Folio"] for r in records(wb["Documentos"])] == [docs["yellow"]["folio"]]
    numbers = indicators(wb)
    assert numbers["Filas"] == 1 and numbers["Amarillo"] == 1
    assert "Semáforo: Rojo, Amarillo" in numbers["Filtro"] and "de 21/02/2026" in numbers["Filtro"]

    # the whole institution for an ADMIN; nothing of DA for a DJ user
    _, everything = await run_export(api, services, world, "admin", {"documents": {}})
    assert len(records(everything["Documentos"])) == 5
    _, dj = await run_export(api, services, world, "dj_staff", {"documents": {}})
    assert [r["Asunto"] for r in records(dj["Documentos"])] == ["De otra dirección"]


async def test_an_export_of_nothing_is_a_valid_file_with_headers(api, services, world, history):
    export, wb = await run_export(api, services, world, "da_head", {"documents": {"search": "inexistente"}})
    assert export["rows"] == 0 and export["progress"] == 1.0
    ws = wb["Documentos"]
    assert list(ws.iter_rows(values_only=True)) == [DOCUMENT_HEADERS]
    assert ws.auto_filter.ref == "A1:S1" and ws.freeze_panes == "A2"
    assert indicators(wb)["Filas"] == 0
    _, empty = await run_export(api, services, world, "drh_staff", {"turnos": {}})
    assert list(empty["Turnos"].iter_rows(values_only=True)) == [TURNO_HEADERS]


async def test_turnos_workbook(api, services, world, history):
    flow, docs = history
    sent = await flow.send(
        "da_reg",
        document=docs["yellow"]["id"],
        recipients=[
            {"unitId": "SRH", "instruction": "RESPONSE", "dueDate": "2026-03-04", "notes": "Atender & informar"},
            {"unitId": "DJ", "instruction": "KNOWLEDGE"},
        ],
    )
    assert sent["errors"] == []
    secret = await flow.send(
        "srh_reg",
        document=docs["confidential"]["id"],
        recipients=[{"unitId": "DRH", "instruction": "OPINION", "businessDays": 10}],
    )
    assert secret["errors"] == []

    # STAFF of SRH: the turnos from or to SRH only
    _, wb = await run_export(api, services, world, "srh_staff", {"turnos": {}})
    ws = wb["Turnos"]
    assert next(ws.iter_rows(max_row=1, values_only=True)) == TURNO_HEADERS
    rows = records(ws)
    assert [r["Número"] for r in rows] == [secret["turnos"][0]["number"], sent["turnos"][0]["number"]]
    srh = rows[1]
    assert (srh["De"], srh["Para"], srh["Instrucción"], srh["Indicaciones"], srh["Estado"]) == (
        "DA",
        "SRH",
        "Respuesta",
        "Atender & informar",
        "Enviado",
    )
    assert srh["Fecha de envío"] == datetime(2026, 3, 2, 10, 0)  # 16:00 UTC
    assert srh["Fecha límite"] == datetime(2026, 3, 4)
    assert srh["Días hábiles restantes"] == sent["turnos"][0]["businessDaysLeft"] == 2
    assert srh["Semáforo"] == "Amarillo" and ws.cell(3, 12).fill.fgColor.rgb == FILLS["Amarillo"]
    assert srh["Asunto del documento"] == "Por vencer"
    assert rows[0]["Asunto del documento"] == "Asunto reservado"  # SRH is on its chain
    numbers = indicators(wb)
    assert (numbers["Filas"], numbers["Enviado"], numbers["Pendientes de respuesta"]) == (2, 2, 2)
    assert (numbers["Respuesta"], numbers["Opinión"], numbers["Conocimiento"]) == (1, 1, 0)

    # a VIEWER of DA: every turno below DA, the confidential subject masked; the filter applies
    _, wb = await run_export(api, services, world, "da_viewer", {"turnos": {}})
    rows = {r["Número"]: r for r in records(wb["Turnos"])}
    assert set(rows) == {t["number"] for t in sent["turnos"] + secret["turnos"]}
    assert rows[secret["turnos"][0]["number"]]["Asunto del documento"] == "Confidencial"
    assert rows[secret["turnos"][0]["number"]]["Remitente"] == "Confidencial"
    _, wb = await run_export(
        api, services, world, "da_viewer", {"turnos": {"instruction": ["KNOWLEDGE"], "unitId": world.unit_id("DJ")}}
    )
    assert [r["Número"] for r in records(wb["Turnos"])] == [sent["turnos"][1]["number"]]
    assert records(wb["Turnos"])[0]["Semáforo"] == "Sin semáforo"


# --- rules ------------------------------------------------------------------------------------


async def test_exactly_one_kind_and_a_known_unit(api, world):
    for value in ({}, {"documents": {}, "turnos": {}}):
        payload = await start(api, world, "da_head", value)
        assert payload["export"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "input")]
    missing = await start(api, world, "da_head", {"documents": {"unitId": to_global_id("OrgUnit", 999_999)}})
    assert [e["code"] for e in missing["errors"]] == ["NOT_FOUND"]
    anonymous = await api.ok(START, {"input": {"documents": {}}})
    assert [e["code"] for e in anonymous["startExport"]["errors"]] == ["UNAUTHENTICATED"]


async def test_exports_per_user_are_limited_and_a_dead_job_does_not_count(api, services, world):
    services.settings = dataclasses.replace(services.settings, export_max_per_user=1)
    now = services.clock.now()
    async with services.db.transaction() as session:
        running = Export(
            user_id=world.users["da_head"].id,
            kind="DOCUMENTS",
            filter="{}",
            status="RUNNING",
            rows=0,
            progress=0.0,
            filename="documentos.xlsx",
            created_at=now,
            heartbeat_at=now,
            expires_at=now + timedelta(hours=24),
        )
        session.add(running)
    refused = await start(api, world, "da_head", {"documents": {}})
    assert refused["export"] is None and [e["code"] for e in refused["errors"]] == ["THROTTLED"]
    assert "máximo es 1" in refused["errors"][0]["message"]
    # another user is not limited by it
    other = await start(api, world, "da_reg", {"documents": {}})
    assert other["errors"] == []

    # the job's process died: no heartbeat for longer than MCS_EXPORT_STALE_SECONDS
    services.clock.advance(seconds=services.settings.export_stale_seconds + 1)
    node = (await api.ok(NODE, {"id": to_global_id("Export", running.id)}, token=world.tokens["da_head"]))["node"]
    assert node["status"] == "FAILED" and node["error"] == STALE_ERROR
    accepted = await start(api, world, "da_head", {"documents": {}})
    assert accepted["errors"] == []
    await export_runner(services).wait_idle()


async def test_the_cleaner_fails_dead_jobs(services, world):
    now = services.clock.now()
    async with services.db.transaction() as session:
        session.add(
            Export(
                user_id=world.users["da_head"].id,
                kind="TURNOS",
                filter="{}",
                status="PENDING",
                rows=0,
                progress=0.0,
                filename="turnos.xlsx",
                created_at=now,
                heartbeat_at=now - timedelta(hours=1),
                expires_at=now + timedelta(hours=24),
            )
        )
    result = await clean_exports(services)
    assert result.failed == 1
    async with services.db.session() as session:
        export = (await session.execute(select(Export))).scalar_one()
    assert export.status == ExportStatus.FAILED.value and export.error == STALE_ERROR


async def test_only_the_owner_sees_the_export(api, services, world, history):
    export, _ = await run_export(api, services, world, "da_head", {"documents": {}})
    assert (await api.ok(NODE, {"id": export["id"]}, token=world.tokens["admin"]))["node"] is None
    assert (await api.ok(NODE, {"id": export["id"]}, token=world.tokens["da_reg"]))["node"] is None


# --- downloads --------------------------------------------------------------------------------


async def test_download_rules(api, services, world, history):
    export, _ = await run_export(api, services, world, "da_head", {"documents": {}})
    url = export["url"]
    path = url.split("?")[0]
    owner = await api.client.get(url)
    assert owner.status_code == 200
    assert owner.headers["content-type"] == CONTENT_TYPE
    assert owner.headers["content-disposition"].startswith('attachment; filename="documentos-2026-03-02.xlsx"')
    assert (
        await api.client.get(path, headers={"Authorization": f"Bearer {world.tokens['da_head']}"})
    ).status_code == 200

    missing = await api.client.get(
        f"/exports/{to_global_id('Export', 999_999)}", headers={"Authorization": f"Bearer {world.tokens['da_head']}"}
    )
    assert missing.status_code == 404
    # another user, even an ADMIN, gets exactly what a missing export gets
    for user in ("admin", "da_reg"):
        other = await api.client.get(path, headers={"Authorization": f"Bearer {world.tokens[user]}"})
        assert (other.status_code, other.text) == (missing.status_code, missing.text)
    # a forged or altered signature, or one signed for another export
    payload, signature = url.split("?t=")[1].split(".")
    for token in (f"{payload}.{'A' * len(signature)}", f"{payload[:-2]}xx.{signature}", "garbage"):
        assert (await api.client.get(f"{path}?t={token}")).status_code == 404
    second, _ = await run_export(api, services, world, "da_head", {"documents": {"priority": "URGENT"}})
    assert (await api.client.get(second["url"].split("?")[0] + "?t=" + url.split("?t=")[1])).status_code == 404
    assert (await api.client.get(path)).status_code == 401  # no credentials at all

    # the link dies with the owner's access
    done = await api.ok(
        "mutation($id: ID!) { updateUser(input: {id: $id, active: false}) { errors { code } } }",
        {"id": world.user_id("da_head")},
        token=world.tokens["admin"],
    )
    assert done["updateUser"]["errors"] == []
    assert (await api.client.get(url)).status_code == 404


async def test_expired_exports_are_deleted_with_their_file(api, services, world, history):
    export, _ = await run_export(api, services, world, "da_head", {"documents": {}})
    directory = Path(services.settings.files_dir) / "exports"
    assert [p.name.endswith(".xlsx") for p in files_under(directory)] == [True]
    services.clock.advance(hours=23)
    assert (await clean_exports(services)).deleted == 0
    services.clock.advance(hours=2)  # past MCS_EXPORT_TTL_HOURS (24)
    result = await clean_exports(services)
    assert (result.deleted, result.files) == (1, 1)
    assert files_under(directory) == []
    assert (await api.ok(NODE, {"id": export["id"]}, token=world.tokens["da_head"]))["node"] is None
    assert (
        await api.client.get(
            export["url"].split("?")[0], headers={"Authorization": f"Bearer {world.tokens['da_head']}"}
        )
    ).status_code == 404


# --- failures ---------------------------------------------------------------------------------


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(sources, "CHUNK", 2)


async def test_a_failure_leaves_no_file(api, services, world, history, small_chunks, monkeypatch):
    calls = []
    real = runner._write_chunk

    def broken(sheet, *args):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disco lleno")
        return real(sheet, *args)

    monkeypatch.setattr(runner, "_write_chunk", broken)
    started = await start(api, world, "da_head", {"documents": {}})
    export = await finished(api, services, world, "da_head", started["export"]["id"])
    assert (export["status"], export["error"], export["url"]) == ("FAILED", INTERNAL_ERROR, None)
    assert export["rows"] == 2  # what was written before the failure
    assert files_under(Path(services.settings.files_dir) / "exports") == []


async def test_a_shutdown_fails_the_running_job_and_removes_its_files(
    api, services, world, history, small_chunks, monkeypatch
):
    real = runner._write_chunk

    def slow(*args):
        time.sleep(0.2)
        return real(*args)

    monkeypatch.setattr(runner, "_write_chunk", slow)
    started = await start(api, world, "da_head", {"documents": {}})
    await asyncio.sleep(0.3)
    await export_runner(services).shutdown()
    export = (await api.ok(NODE, {"id": started["export"]["id"]}, token=world.tokens["da_head"]))["node"]
    assert (export["status"], export["error"]) == ("FAILED", SHUTDOWN_ERROR)
    assert files_under(Path(services.settings.files_dir) / "exports") == []


# --- exportProgress over a real websocket -------------------------------------------------------


@pytest.fixture
async def server(services):
    services.settings = dataclasses.replace(services.settings, deadline_watch_seconds=0)
    live = await start_server(services)
    yield live
    await live.stop()


async def test_progress_over_a_websocket_until_done(server, api, services, world, history, small_chunks, monkeypatch):
    real = runner._write_chunk

    def slow(*args):
        time.sleep(0.5)  # a chunk takes long enough for the polls to see it
        return real(*args)

    monkeypatch.setattr(runner, "_write_chunk", slow)
    started = await start(api, world, "da_head", {"documents": {}})
    export_id = started["export"]["id"]
    client = await WsClient.connect(server.ws_url, world.tokens["da_head"])
    await client.subscribe(PROGRESS, {"id": export_id})
    stranger = await WsClient.connect(server.ws_url, world.tokens["admin"])
    await stranger.subscribe(PROGRESS, {"id": export_id})

    seen = []
    while True:
        message = await client.receive(timeout=10)
        if message["type"] == "complete":
            break
        assert message["type"] == "next", message
        seen.append(message["payload"]["data"]["exportProgress"])
    assert [s["id"] for s in seen] == [export_id] * len(seen)
    last = seen[-1]
    assert (last["status"], last["progress"], last["rows"], last["totalRows"], last["error"]) == (
        "DONE",
        1.0,
        4,
        4,
        None,
    )
    assert last["url"].startswith("/exports/")
    running = [s for s in seen if s["status"] == "RUNNING"]
    assert running and all(0 <= s["progress"] < 1 and s["url"] is None for s in running)
    assert any(0 < s["progress"] < 1 for s in running)
    rows = [s["rows"] for s in seen]
    assert rows == sorted(rows)
    assert len(seen) == len({(s["status"], s["rows"], s["totalRows"]) for s in seen})  # only changes

    # another user's subscription to it: NOT_FOUND, like a missing export
    message = await stranger.receive()
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"

    # the url works against the real server; and a finished export answers once, then completes
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as http:
        response = await http.get(last["url"])
    assert response.status_code == 200 and response.headers["content-type"] == CONTENT_TYPE
    assert len(records(load_workbook(BytesIO(response.content))["Documentos"])) == 4
    await client.subscribe(PROGRESS, {"id": export_id})
    assert (await client.next())["data"]["exportProgress"]["status"] == "DONE"
    assert (await client.receive())["type"] == "complete"
    await client.close()
    await stranger.close()


async def test_progress_reports_a_failure(server, api, services, world, history, monkeypatch):
    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "_write_chunk", broken)
    started = await start(api, world, "da_reg", {"documents": {}})
    client = await WsClient.connect(server.ws_url, world.tokens["da_reg"])
    await client.subscribe(PROGRESS, {"id": started["export"]["id"]})
    states = []
    while (message := await client.receive(timeout=10))["type"] == "next":
        states.append(message["payload"]["data"]["exportProgress"])
    assert message["type"] == "complete"
    assert (states[-1]["status"], states[-1]["error"], states[-1]["url"]) == ("FAILED", INTERNAL_ERROR, None)
    await client.close()
