"""Domain layer: tables, state machines, calendar, traffic light, permissions, filters, events.

Nothing here knows GraphQL, HTTP or Redis; everything is testable with a session and a clock.
"""

from models.base import Base  # noqa: F401
from models import archive, attachments, calendar, catalogs, documents, events, exports, org, stats, turnos, users  # noqa: F401  (register tables)
from models import verification  # noqa: F401  (the printed papers' QR codes)
from models import idempotency  # noqa: F401  (retried mutations)
from models import turno_counts  # noqa: F401  (an inbox's totalCount)
from models import notifications  # noqa: F401  (e-mail and push for people who are not looking)
