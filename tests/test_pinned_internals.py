"""Two libraries whose internals we build on, pinned below their next minor version in
pyproject.toml. When a new version is allowed in, these fail first and say what to re-check,
instead of the exports or the error masking breaking somewhere downstream."""

import inspect

from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from strawberry.extensions import MaskErrors

from schema.build import MaskUnexpectedErrors


def test_strawberry_masks_results_through_the_method_we_override():
    """schema/build.py MaskUnexpectedErrors overrides MaskErrors._process_result (strawberry's
    costs an isinstance against a runtime Protocol per result) and calls _process_errors."""
    assert "_process_result" in vars(MaskErrors) and "_process_errors" in vars(MaskErrors)
    assert list(inspect.signature(MaskErrors._process_result).parameters) == ["self", "result"]
    assert "self._process_result(result)" in inspect.getsource(MaskErrors.on_operation)
    assert MaskUnexpectedErrors._process_result is not MaskErrors._process_result


def test_openpyxl_writes_sheets_the_way_files_xlsx_streams_into():
    """files/xlsx.py _SheetWriter subclasses WorksheetWriter: it opens the XML stream itself
    (get_stream), and _raw_rows stands in for WriteOnlyWorksheet._write_rows."""
    for name in ("get_stream", "write_top", "cleanup", "write"):
        assert callable(getattr(WorksheetWriter, name, None)), name
    assert list(inspect.signature(WorksheetWriter.__init__).parameters) == ["self", "ws", "out"]
    source = inspect.getsource(WorksheetWriter.__init__)
    assert "self.xf = self.get_stream()" in source and "next(self.xf)" in source
    assert "xf.send(True)" in inspect.getsource(WriteOnlyWorksheet._write_rows)
