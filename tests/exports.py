"""Excel exports as a client sees them: start one, wait for it, download it and read the workbook
back (tests/test_exports.py and the tests of what an export shows: boxes, hidden answers)."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from resolvers.exports.runner import export_runner

START = """mutation($input: ExportInput!) { startExport(input: $input) {
  export { id status progress rows totalRows url error filename }
  errors { code field message } } }"""
NODE = (
    """query($id: ID!) { node(id: $id) { ... on Export { id status progress rows totalRows url error filename } } }"""
)
PROGRESS = (
    """subscription($id: ID!) { exportProgress(exportId: $id) { id status progress rows totalRows url error } }"""
)


async def start(api, world, user, value: dict) -> dict:
    return (await api.ok(START, {"input": value}, token=world.tokens[user]))["startExport"]


async def finished(api, services, world, user, export_id) -> dict:
    await export_runner(services).wait_idle()
    return (await api.ok(NODE, {"id": export_id}, token=world.tokens[user]))["node"]


async def run_export(api, services, world, user, value: dict):
    """Start, wait for DONE, download: (the export, the workbook)."""
    started = await start(api, world, user, value)
    assert started["errors"] == [], started
    assert started["export"]["status"] == "PENDING"
    export = await finished(api, services, world, user, started["export"]["id"])
    assert export["status"] == "DONE", export
    response = await api.client.get(export["url"])
    assert response.status_code == 200, response.text
    return export, load_workbook(BytesIO(response.content))


def records(ws) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def indicators(wb) -> dict:
    return {
        row[0]: row[1] for row in wb["Indicadores"].iter_rows(values_only=True) if row and row[0] and row[1] is not None
    }
