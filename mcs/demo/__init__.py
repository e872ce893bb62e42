"""Demo data (in Spanish): an institution shaped like the Instituto Mexiquense de la Vivienda
Social (IMEVIS, Estado de México), its people in every role, and a year of correspondence.

`mcs demo` and `mcs serve --demo-if-empty` call `load_demo`. The org tree and the users are
written straight through the models; everything else goes through the real use cases, each as
the user who would do it: registering every document, then the workflow — turning it to units
(and delegating further down), acknowledging, answering, returning with observations, accepting,
cancelling, concluding and archiving — and the deadline watcher's passes. So folios, chains,
states and events are exactly what the application would have produced. A frozen clock is moved
to each moment before acting, which spreads all of it over the last 365 days, in order, up to
the real now: older matters are mostly done, recent ones are open in every state, and today has
turnos on time, near their deadline and overdue, some in the analysts' inboxes.

Everything random comes from seeded generators: the same day gives the same data (the time of
day decides only how much of today has happened yet, and when this morning's few documents came).

All the people, names, addresses, phone numbers and e-mails are fictitious.

The modules, in the order the loader uses them: org and people (the institution, as data),
institution (written to the database), subjects and senders (what arrives), documents (planned),
routing and wording (where matters go, what people write), planner (every document's life as timed
actions), runner (the actions through the use cases), report (the printed summary), loader.
"""

from mcs.demo.institution import Demo, create_institution
from mcs.demo.loader import SEED, load_demo
from mcs.demo.people import DEMO_PASSWORD, ROLE_NAMES, People

__all__ = ["DEMO_PASSWORD", "ROLE_NAMES", "SEED", "Demo", "People", "create_institution", "load_demo"]
