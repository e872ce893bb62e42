"""Excel exports: start a job, run it in the background, follow it, download it, clean up.

- start.py: `start_export` checks the filter and the per-user limit, writes the PENDING row and
  starts the job in this process.
- runner.py: the jobs of this process (`export_runner(services).launch`), each read in one
  snapshot and written chunk by chunk by a worker thread, kept alive by a heartbeat.
- sources.py: the rows of each kind in keyset-ordered chunks, their traffic lights and
  confidentiality; indicators.py: the Indicadores sheet's GROUP BY; describe.py: the filter in
  words. The columns and how each cell is shaped: models/exports.py.
- progress.py: `node` and `exportProgress` read the row (a job may run on another instance) and
  FAIL a job whose process died (MCS_EXPORT_STALE_SECONDS without a heartbeat).
- download.py: the owner's signed link, and what GET /exports/{id} may serve.
- cleanup.py: stale jobs FAILED, expired exports and files nothing refers to removed (a job
  of mcs/jobs.py).
- storage.py: the folder of exports and the names that tie a file to its export.
"""

from resolvers.exports.cleanup import clean_exports
from resolvers.exports.download import downloadable_export, sign_download
from resolvers.exports.progress import export_for_node, progress_stream
from resolvers.exports.runner import export_runner
from resolvers.exports.start import start_export
from resolvers.exports.storage import exports_dir

__all__ = [
    "clean_exports",
    "downloadable_export",
    "export_for_node",
    "export_runner",
    "exports_dir",
    "progress_stream",
    "sign_download",
    "start_export",
]
