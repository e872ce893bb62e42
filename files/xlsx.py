"""Excel workbooks (.xlsx) written in streaming mode: memory stays flat whatever the row count.

The workbook is an openpyxl write-only workbook (styles, sheet views, frozen panes, column
widths, autofilter, the package and its zip are openpyxl's). The one thing done here instead of
openpyxl is the serialization of a table sheet's rows: openpyxl builds a Cell object and XML
elements per cell, about 370 µs a row of 17 cells here (37 s for 100,000 rows), while our rows
have a fixed column layout known in advance, so each chunk of rows is rendered as one string of
SpreadsheetML and written straight into the sheet's stream (about 20 µs a row). Nothing else in
the package changes, and the tests read every file back with openpyxl.

Every sheet's XML goes to a temporary file under the directory the caller gives (not the system
temp dir), and `discard()` removes them all: a failed export leaves nothing behind.

Nothing here knows documents or turnos: a sheet is a list of `Column`s and rows of plain values.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO, Iterable, Sequence
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import xmlfile

from models.columns import Column, Kind

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows minus the header
MAX_CELL_CHARS = 32_767  # Excel shows no more in a cell
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
DATE_FORMAT = "dd/mm/yyyy"
# speed over a few percent of size: level 1 deflates the ~600 bytes of XML per row 3x faster than 6
COMPRESS_LEVEL = 1

TEXT_CACHE_ENTRIES, TEXT_CACHE_CHARS = 20_000, 200  # at most ~4 MB of rendered texts per sheet
# characters XML 1.0 does not allow (tab, line feed and carriage return are fine)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_EPOCH = datetime(1899, 12, 30)
_EXCEL_EPOCH_ORDINAL = date(1899, 12, 30).toordinal()


# the semáforo: Excel's own "good / neutral / bad" colors, fill and font
LIGHT_FILLS = {
    "Verde": ("C6EFCE", "006100"),
    "Amarillo": ("FFEB9C", "9C5700"),
    "Rojo": ("FFC7CE", "9C0006"),
}
HEADER_FILL = "D9E1F2"


def excel_datetime(value: datetime) -> float:
    """A naive datetime as Excel's serial number (days since 1899-12-30, 1900 date system)."""
    return (value - _EXCEL_EPOCH).total_seconds() / 86400


def excel_date(value: date) -> int:
    return value.toordinal() - _EXCEL_EPOCH_ORDINAL


def _t(value) -> str:
    """A text as an inline string's <t> element: escaped, cut at Excel's cell limit, its edge
    spaces kept."""
    if value.__class__ is not str:
        value = str(value)
    if not value.isprintable():  # a line break, or (rare) a control character XML does not allow
        value = _ILLEGAL.sub("", value)
    if len(value) > MAX_CELL_CHARS:
        value = value[:MAX_CELL_CHARS]
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if value[:1].isspace() or value[-1:].isspace():
        return f'<t xml:space="preserve">{value}</t>'
    return f"<t>{value}</t>"


def _row_renderer(
    letters: list[str], kinds: list[Kind], datetime_style: str, date_style: str, light_styles: dict[str, str]
):
    """A function rendering rows of this column layout as SpreadsheetML, generated once per sheet:
    one `if` and one f-string per cell, no per-cell dispatch on the kind (about half the cost of
    a generic loop, and this is the hot loop of an export)."""
    names = [f"v{i}" for i in range(len(kinds))]
    lines = [
        "def render(rows, r):",
        "    parts = []",
        "    add = parts.append",
        "    for row in rows:",
        f"        {', '.join(names)}{',' if len(names) == 1 else ''} = row",
        "        r += 1",
        "        n = str(r)",
        "        add(f'<row r=\"{n}\">')",
    ]
    for letter, kind, v in zip(letters, kinds, names):
        ref = f'r="{letter}{{n}}"'
        if kind is Kind.TEXT or kind is Kind.LIGHT:
            style = f'{{_light({v}, "")}}' if kind is Kind.LIGHT else ""
            lines += [
                f"        if {v} is not None and {v} != '':",
                f"            t = _seen({v}) or _text({v})",
                f"            add(f'<c {ref}{style} t=\"inlineStr\"><is>{{t}}</is></c>')",
            ]
        elif kind is Kind.DATETIME:
            lines += [
                f"        if {v} is not None:",
                f"            add(f'<c {ref} s=\"{datetime_style}\"><v>{{_datetime({v})!r}}</v></c>')",
            ]
        elif kind is Kind.DATE:
            lines += [
                f"        if {v} is not None:",
                f"            add(f'<c {ref} s=\"{date_style}\"><v>{{_date({v})}}</v></c>')",
            ]
        else:  # INTEGER
            lines += [f"        if {v} is not None:", f"            add(f'<c {ref}><v>{{int({v})}}</v></c>')"]
    lines += ["        add('</row>')", "    return parts, r"]
    # most text cells repeat (labels, units, senders): each short text is escaped once per sheet
    seen: dict = {}

    def text(value) -> str:
        rendered = _t(value)
        if len(seen) < TEXT_CACHE_ENTRIES and len(rendered) <= TEXT_CACHE_CHARS:
            seen[value] = rendered
        return rendered

    namespace = {
        "_seen": seen.get,
        "_text": text,
        "_datetime": excel_datetime,
        "_date": excel_date,
        "_light": {label: f' s="{style}"' for label, style in light_styles.items()}.get,
    }
    exec(compile("\n".join(lines), f"<xlsx rows {''.join(k.value[0] for k in kinds)}>", "exec"), namespace)
    return namespace["render"]


class _SheetWriter(WorksheetWriter):
    """openpyxl's worksheet writer, with its XML stream opened on a file object of ours at a
    path of ours: a table sheet can then append rendered rows to the same file between the
    elements openpyxl writes (after flushing lxml's buffer)."""

    def __init__(self, ws, out: Path):
        self.path = out  # openpyxl's `out` is typed as any of its targets: this one is a path
        self.fh: BinaryIO | None = None
        super().__init__(ws, out=str(out))

    def get_stream(self):
        fh = self.fh = open(self.path, "wb")
        try:
            with xmlfile(fh) as xf:
                with xf.element("worksheet", xmlns=SHEET_MAIN_NS):
                    try:
                        while True:
                            el = yield
                            if el is True:
                                yield xf
                            elif el is None:
                                continue
                            else:
                                xf.write(el)
                    except GeneratorExit:
                        pass
        finally:
            fh.close()

    def cleanup(self):
        """Called by openpyxl once the sheet is in the package (the temp file is ours, not in
        openpyxl's list of temp files)."""
        _remove(self.path)


def _raw_rows(writer: _SheetWriter):
    """What openpyxl's WriteOnlyWorksheet._write_rows does, taking rendered XML instead of cells."""
    xf = writer.xf.send(True)
    fh = writer.fh
    # get_stream, started by WorksheetWriter.__init__, opened the file and yields its xmlfile for True
    assert xf is not None and fh is not None
    with xf.element("sheetData"):
        try:
            while True:
                chunk = yield
                xf.flush()
                fh.write(chunk)
        except GeneratorExit:
            pass
    writer.xf.send(None)


class TableSheet:
    """One header row (bold, frozen, with an autofilter) and then rows of plain values in the
    columns' order: str, naive datetime, date, int or None (an empty cell)."""

    def __init__(self, book: "XlsxBook", title: str, columns: Sequence[Column]):
        self.book, self.columns = book, list(columns)
        ws = self.ws = book.wb.create_sheet(title)
        ws.freeze_panes = "A2"
        self.letters = [get_column_letter(i) for i in range(1, len(self.columns) + 1)]
        for letter, column in zip(self.letters, self.columns):
            ws.column_dimensions[letter].width = column.width
        writer = ws._writer = _SheetWriter(ws, book.temp_path(".sheet"))
        writer.write_top()
        self._rows = ws._rows = _raw_rows(writer)
        next(self._rows)
        self.row_count = 0  # data rows written
        header_style = style_id(
            ws,
            font=Font(bold=True),
            fill=PatternFill("solid", fgColor=HEADER_FILL),
            alignment=Alignment(vertical="center"),
        )
        self._write(
            "".join(
                [
                    '<row r="1">',
                    *(
                        f'<c r="{letter}1" s="{header_style}" t="inlineStr"><is>{_t(c.header)}</is></c>'
                        for letter, c in zip(self.letters, self.columns)
                    ),
                    "</row>",
                ]
            )
        )
        light_styles = {
            label: style_id(ws, fill=PatternFill("solid", fgColor=fill), font=Font(color=font))
            for label, (fill, font) in LIGHT_FILLS.items()
        }
        self._render = _row_renderer(
            self.letters,
            [c.kind for c in self.columns],
            style_id(ws, number_format=DATETIME_FORMAT),
            style_id(ws, number_format=DATE_FORMAT),
            light_styles,
        )

    def append_rows(self, rows: Iterable[Sequence]) -> int:
        """Render and write rows (each exactly one value per column); returns how many."""
        parts, last = self._render(rows, self.row_count + 1)
        written = last - 1 - self.row_count
        if last - 1 > MAX_DATA_ROWS:
            raise ValueError("Excel admite a lo más 1,048,575 filas por hoja.")
        self._write("".join(parts))
        self.row_count += written
        return written

    def _write(self, xml: str) -> None:
        self._rows.send(xml.encode("utf-8", "replace"))

    def finish(self) -> None:
        """The autofilter over the used range (header included); called before saving."""
        self.ws.auto_filter.ref = f"A1:{self.letters[-1]}{self.row_count + 1}"


class XlsxBook:
    """A write-only workbook whose temporary files live in `work_dir` until `save` or `discard`."""

    def __init__(self, work_dir: Path):
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.wb = Workbook(write_only=True)
        self._temp: list[Path] = []
        self._tables: list[TableSheet] = []

    def temp_path(self, suffix: str) -> Path:
        path = self.work_dir / f".{uuid.uuid4().hex}{suffix}"
        self._temp.append(path)
        return path

    def table(self, title: str, columns: Sequence[Column]) -> TableSheet:
        sheet = TableSheet(self, title, columns)
        self._tables.append(sheet)
        return sheet

    def key_values(self, title: str, rows: Iterable[tuple], widths: Sequence[float] = (48, 16)) -> None:
        """A small sheet of (label, value) rows; a row of one value is a bold section title, an
        empty tuple a blank line. Written through openpyxl's own cells (it is short)."""
        ws = self.wb.create_sheet(title)
        for i, width in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws._writer = _SheetWriter(ws, self.temp_path(".sheet"))
        ws._writer.write_top()
        bold = Font(bold=True)
        for row in rows:
            if len(row) == 1:
                cell = WriteOnlyCell(ws, value=row[0])
                cell.font = bold
                ws.append([cell])
                continue
            cells = []
            for value in row:
                cell = WriteOnlyCell(ws, value=value)
                if isinstance(value, datetime):
                    cell.number_format = DATETIME_FORMAT
                elif isinstance(value, date):
                    cell.number_format = DATE_FORMAT
                cells.append(cell)
            ws.append(cells)

    def save(self, target: Path) -> int:
        """Write the package to `target` (a temporary name the caller renames); its size."""
        for sheet in self._tables:
            sheet.finish()
        try:
            with ZipFile(target, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=COMPRESS_LEVEL) as archive:
                ExcelWriter(self.wb, archive).save()
        finally:
            self.discard(keep=target)
        return os.path.getsize(target)

    def discard(self, keep: Path | None = None) -> None:
        """Close every stream and remove every temporary file (a failed export leaves nothing)."""
        for ws in self.wb.worksheets:
            writer = getattr(ws, "_writer", None)
            if not isinstance(writer, _SheetWriter) or writer.fh is None or writer.fh.closed:
                continue
            # the sheet's row generator: openpyxl's private `_rows`, which its stubs do not declare
            rows = getattr(ws, "_rows", None)
            for close in (getattr(rows, "close", None), writer.xf.close):
                try:
                    if close is not None:
                        close()
                except Exception:  # noqa: BLE001 - a broken stream is being thrown away anyway
                    pass
            writer.fh.close()
        for path in self._temp:
            if path != keep:
                _remove(path)


def style_id(ws, **style) -> str:
    """The workbook's index of a cell style (registered on first use)."""
    cell = WriteOnlyCell(ws)
    for name, value in style.items():
        setattr(cell, name, value)
    return str(cell.style_id)


def _remove(path: Path) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
