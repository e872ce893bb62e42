"""The workflow, planned: every document's life as timed actions.

Who turns it where, who answers when, what is returned, concluded and archived are drawn from a
generator of its own; then all the actions of all the documents run in time order through the real
use cases (runner.py), the frozen clock set to each moment, up to the real now. What was planned for
later simply has not happened yet: the recent documents stay open in whatever state the cut finds them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from models.calendar import BusinessCalendar
from models.documents import Priority
from models.text import fold
from models.traffic_light import TrafficLight, open_light
from models.users import Role
from models.workflow import Decision, Instruction

from mcs.demo.documents import PlannedDocument
from mcs.demo.institution import Demo
from mcs.demo.org import MUNICIPALITY_DELEGATION, REGION_SUFFIXES
from mcs.demo.people import Person
from mcs.demo.routing import AREA_DIRECTORATE, AREA_SERIES, HINTS, REGIONAL_HINTS, UNIT_SERIES
from mcs.demo.wording import (
    ACCEPT_COMMENTS,
    ANSWERS,
    DELEGATED_ANSWERS,
    DELEGATION_NOTES,
    NOTES,
    RETURN_COMMENTS,
    SECOND_ANSWERS,
)

TURNED = 0.8  # documents that are turned (the rest are attended directly, or wait)
CANCELLED = 0.035  # first-level turnos cancelled (turned to the wrong unit), most sent again elsewhere
LATE = 0.12  # answers given after the deadline
RETURNED = 0.11  # first answers returned with observations
ARCHIVED = 0.5  # concluded documents that are filed
STALL_AFTER_DAYS = 40  # older turnos are done, but one in STALL_EVERY was forgotten somewhere…
STALL_EVERY = 30
STALLS = ("stall_received", "stall_returned", "stall_sent", "stall_answered")
WATCHED_DAYS = 120  # the deadline watcher runs over the last months only (each pass costs a transaction)


@dataclass
class PlannedTurno:
    document: PlannedDocument
    from_acronym: str
    to_acronym: str
    instruction: Instruction
    sent_at: datetime
    due: date | None  # the deadline it will have (as the use case computes it)
    business_days: int | None = None  # how it is asked for: a number of business days…
    due_date: date | None = None  # …or a date (or neither: none, or the parent's)
    notes: str | None = None
    parent: PlannedTurno | None = None
    depth: int = 0
    hold: bool = False  # still awaiting its answer today, whatever the draws say
    route: list[str] = field(default_factory=list)  # where it is delegated next (see PlannedDocument.route)
    route_light: TrafficLight | None = None
    id: int | None = None
    response_id: int | None = None


def light_on_route(route: list[str], route_light: TrafficLight | None) -> TrafficLight:
    """The light a turno on a route aims at: green on the way down, the route's own where it ends."""
    if route[1:]:
        return TrafficLight.GREEN
    if route_light is None:
        raise ValueError("a route is chosen with the light it ends in (choose_routes)")
    return route_light


class WorkflowPlanner:
    """Plans the life of every document as timed actions (see the module's docstring)."""

    def __init__(
        self,
        demo: Demo,
        rng: random.Random,
        calendar: BusinessCalendar,
        tz: ZoneInfo,
        now: datetime,
        yellow_threshold: int,
    ):
        self.demo, self.rng, self.calendar, self.tz = demo, rng, calendar, tz
        self.today, self.yellow = now.astimezone(tz).date(), yellow_threshold  # plans depend on the day only
        self.workday = self.today  # the last business day up to today
        while not calendar.is_business_day(self.workday):
            self.workday -= timedelta(days=1)
        self.actions: list[tuple[datetime, int, str, dict]] = []
        # the tree as stored, by acronym: each unit's lineage from itself up to the root
        acronym_of = {unit.id: acronym for acronym, unit in demo.units.items()}
        self.lineage = {
            acronym: [acronym_of[i] for i in reversed(unit.lineage_ids) if i in acronym_of]
            for acronym, unit in demo.units.items()
        }
        self.parent_of = {acronym: (line[1] if len(line) > 1 else None) for acronym, line in self.lineage.items()}
        self.children: dict[str | None, list[str]] = {}
        for acronym, parent in self.parent_of.items():
            self.children.setdefault(parent, []).append(acronym)
        self.staff: dict[str, list[Person]] = {}
        for person in demo.persons:
            for acronym, role in person.grants:
                if role == Role.STAFF:
                    self.staff.setdefault(acronym, []).append(person)
        self.stalls = 0

    # time
    def add(self, at: datetime, kind: str, **payload) -> None:
        self.actions.append((at, len(self.actions), kind, payload))

    def day_of(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def on_day(self, day: date, after: datetime | None = None) -> datetime:
        """A moment in office hours of `day` (or of the next business day), a little after `after`."""
        while True:
            while not self.calendar.is_business_day(day):
                day += timedelta(days=1)
            start = datetime(day.year, day.month, day.day, 8, 45, tzinfo=self.tz).astimezone(timezone.utc)
            end = datetime(day.year, day.month, day.day, 18, 0, tzinfo=self.tz).astimezone(timezone.utc)
            if after is not None:
                start = max(start, after + timedelta(minutes=self.rng.randint(5, 60)))
            if start < end:
                span = int((end - start).total_seconds())
                return start + timedelta(seconds=min(self.rng.randint(0, span), self.rng.randint(0, span)))
            day += timedelta(days=1)

    def later(self, moment: datetime, low: int, high: int) -> datetime:
        """Within `low`–`high` business days after `moment` (0: the same day, if time is left)."""
        return self.on_day(self.calendar.add_business_days(self.day_of(moment), self.rng.randint(low, high)), moment)

    def business_days_after(self, day: date, count: int) -> list[date]:
        """The first `count` business days after `day`."""
        days = []
        for _ in range(count):
            day = self.calendar.add_business_days(day, 1)
            days.append(day)
        return days

    # people
    def sender(self, acronym: str) -> Person:
        """Turns, evaluates, concludes: the registrar mostly, or the head."""
        registrar, head = self.demo.registrant.get(acronym), self.demo.head_of.get(acronym)
        if registrar is not None and registrar is not head and self.rng.random() < 0.6:
            return registrar
        person = head or registrar
        if person is None:
            raise LookupError(f"no one turns from {acronym}: it has neither a head nor a registrar")
        return person

    def worker(self, acronym: str) -> Person:
        """Acknowledges and answers: the staff mostly, else the head or the registrar."""
        staff = self.staff.get(acronym)
        if staff and self.rng.random() < 0.7:
            return self.rng.choice(staff)
        return self.rng.choice(
            list(
                {
                    p.username: p for p in (self.demo.registrant.get(acronym), self.demo.head_of.get(acronym)) if p
                }.values()
            )
        )

    # where things go
    def weigh(self, candidates: list[str], doc: PlannedDocument, favourite: str | None = None) -> list[float]:
        text = fold(f"{doc.data.subject} {doc.data.summary or ''}")
        delegation = next((d for m, d in MUNICIPALITY_DELEGATION.items() if fold(m) in text), None)
        weights = []
        for acronym in candidates:
            regional = acronym[3:] in REGION_SUFFIXES  # REGTOL, VIVTOL: by the prefix
            hints = HINTS.get(acronym) or (REGIONAL_HINTS.get(acronym[:3], []) if regional else [])
            weight = 1.0
            if any(h in text for h in hints):
                weight *= 6
            if acronym == favourite:
                weight *= 10
            if acronym == delegation:
                weight *= 8 if doc.area in ("suelo", "vivienda", "regional") else 2
            elif acronym.startswith("DEL"):
                weight *= 0.3
            if acronym in self.staff:
                weight *= 3
            weights.append(weight)
        return weights

    def pick(self, candidates: list[str], weights: list[float], count: int) -> list[str]:
        chosen: list[str] = []
        candidates, weights = list(candidates), list(weights)
        while candidates and len(chosen) < count:
            i = self.rng.choices(range(len(candidates)), weights=weights)[0]
            chosen.append(candidates.pop(i))
            weights.pop(i)
        return chosen

    def first_level_candidates(self, acronym: str) -> list[str]:
        if self.children.get(acronym):
            return list(self.children[acronym])
        if acronym in ("UT", "CCS"):  # no units below: they ask the areas that hold the matter
            return ["DPV", "DRTT", "DAF", "DT", "DOR", "UAJIG"]
        return [a for a in self.children[self.parent_of[acronym]] if a != acronym]  # a peer department

    # plans
    def recent(
        self, documents: list[PlannedDocument], wanted: int, oldest: int = 1
    ) -> list[tuple[int, PlannedDocument]]:
        """Documents received `oldest`… business days ago, going back until there are `wanted` of
        them (fewer arrive in the winter holidays), with their age in business days."""
        aged = [(self.calendar.business_days_between(self.day_of(d.at), self.today), d) for d in documents]
        for window in (10, 15, 25, 40):
            found = [(ago, d) for ago, d in aged if oldest <= ago <= window and not d.target and not d.route]
            if len(found) >= wanted:
                break
        return found

    def choose_targets(self, documents: list[PlannedDocument]) -> None:
        """Whatever else happens, three recent documents have a first turno awaiting its answer today:
        one overdue, one near its deadline, one on time."""
        overdue = self.recent(documents, 2, oldest=4)
        if overdue:
            self.rng.choice(overdue)[1].target = TrafficLight.RED
        for light in (TrafficLight.YELLOW, TrafficLight.GREEN):
            rest = self.recent(documents, 3)
            if rest:
                self.rng.choice(rest)[1].target = light

    def choose_routes(self, documents: list[PlannedDocument], count: int = 3) -> None:
        """A few recent documents go down the hierarchy to departments with operative staff, where
        they wait today: the analysts have something in their inbox."""
        staff_units = list(
            dict.fromkeys(
                a
                for p in self.demo.persons
                if p.username.startswith("analista.")
                for a, r in p.grants
                if r == Role.STAFF
            )
        )
        self.rng.shuffle(staff_units)
        staff_units += [a for a in self.staff if a not in staff_units]
        routed = 0
        for unit in staff_units:
            lineage = self.lineage[unit]
            candidates = [d for _, d in self.recent(documents, 6) if d.acronym in lineage[1:4]]
            if candidates:
                chosen = self.rng.choice(candidates)
                chosen.route = list(reversed(lineage[: lineage.index(chosen.acronym)]))
                chosen.route_light = (TrafficLight.GREEN, TrafficLight.YELLOW, TrafficLight.RED)[routed]
                routed += 1
                if routed == count:
                    return

    def aim(self, turno: PlannedTurno, light: TrafficLight, day: date) -> None:
        """A deadline (in business days, not after the parent's) that shows `light` today. Which ones
        do is the semáforo's own rule, seen from the last business day (today, if it is one): overdue
        by then, near, or on time and still so on the next business day."""
        add = self.calendar.add_business_days
        if light == TrafficLight.RED:  # between the day it is sent and today
            start, seen_on, reach = day, self.workday, self.calendar.business_days_between(day, self.today)
        else:
            start, seen_on, reach = self.today, self.workday, self.yellow + 6
            if light == TrafficLight.GREEN:
                seen_on = add(self.workday, 1)
        options = [
            due
            for due in self.business_days_after(start, reach)
            if open_light(self.calendar, seen_on, due, self.yellow) == light
        ]
        due = self.rng.choice(options or [add(start, 1)])
        if turno.parent is not None and turno.parent.due is not None:
            due = min(due, turno.parent.due)
        turno.business_days, turno.due_date, turno.due = self.calendar.business_days_between(day, due), None, due
        turno.hold = True

    def plan(self, doc: PlannedDocument) -> None:
        rng = self.rng
        self.add(doc.at, "register", document=doc)
        leaf = not self.children.get(doc.acronym) and doc.acronym not in ("UT", "CCS")
        if rng.random() > (0.5 if leaf else TURNED) and not doc.target and not doc.route:
            if rng.random() < 0.85:  # attended directly, or filed for knowledge
                self.close(doc, self.later(doc.at, 0, 5))
            return
        candidates = self.first_level_candidates(doc.acronym)
        favourite = AREA_DIRECTORATE.get(doc.area) if doc.acronym == "DG" and doc.area is not None else None
        count = rng.choices([1, 2, 3], weights=[68, 25, 7])[0]
        units = self.pick(candidates, self.weigh(candidates, doc, favourite), count)
        if doc.route:
            units = [doc.route[0], *[u for u in units if u != doc.route[0]][: count - 1]]
        sent_at = (
            self.later(doc.at, 0, 1)
            if rng.random() < 0.4 and not (doc.target or doc.route)
            else self.on_day(self.day_of(doc.at), doc.at)
        )
        day = self.day_of(sent_at)
        recipients = []
        for i, unit in enumerate(units):
            instruction = (
                rng.choices([Instruction.RESPONSE, Instruction.ATTENTION, Instruction.OPINION], [45, 40, 15])[0]
                if i == 0
                else rng.choice([Instruction.OPINION, Instruction.ATTENTION])
            )
            recipients.append(self.first_level(doc, unit, instruction, sent_at, day))
        if rng.random() < 0.18:
            copy_to = self.copy_recipient(doc, units)
            if copy_to:
                recipients.append(
                    PlannedTurno(
                        doc,
                        doc.acronym,
                        copy_to,
                        Instruction.KNOWLEDGE,
                        sent_at,
                        None,
                        notes=rng.choice(NOTES[Instruction.KNOWLEDGE]),
                    )
                )
        doc.focus = recipients[0]
        if doc.target:
            self.aim(recipients[0], doc.target, day)
        if doc.route:
            recipients[0].route, recipients[0].route_light = doc.route[1:], doc.route_light
            self.aim(recipients[0], light_on_route(doc.route, doc.route_light), day)
        self.add(sent_at, "send", actor=self.sender(doc.acronym), document=doc, parent=None, turnos=recipients)
        taken = set(units) | {r.to_acronym for r in recipients}
        closes = [self.life(t, taken) for t in recipients]
        closed = [c for c in closes if c is not None]
        if len(closed) == len(closes):  # every one closes
            self.close(doc, max(closed))

    def first_level(self, doc, unit, instruction, sent_at, day) -> PlannedTurno:
        rng = self.rng
        turno = PlannedTurno(doc, doc.acronym, unit, instruction, sent_at, None, notes=rng.choice(NOTES[instruction]))
        r = rng.random()
        if r < 0.72:
            urgent = doc.data.priority == Priority.URGENT
            turno.business_days = rng.choice([3, 3, 5] if urgent else [3, 5, 5, 5, 7, 10, 10, 15])
            turno.due = self.calendar.add_business_days(day, turno.business_days)
        elif r < 0.93:
            own = doc.data.due_date
            turno.due_date = own if own and own > day else self.calendar.add_business_days(day, rng.randint(4, 20))
            turno.due = turno.due_date
        elif instruction == Instruction.OPINION:  # an opinion is always asked for by a date
            turno.business_days = 5
            turno.due = self.calendar.add_business_days(day, 5)
        return turno

    def copy_recipient(self, doc: PlannedDocument, taken: list[str]) -> str | None:
        parent = self.parent_of[doc.acronym]
        if doc.acronym == "DG":
            options = ["SP", "UIPPE", "OIC", "UAJIG"]
        elif parent not in (None, "IMEVIS") and self.rng.random() < 0.6:
            options = [parent]
        else:
            options = [a for a in self.children.get(parent, []) if a != doc.acronym]
        options = [a for a in options if a not in taken]
        return self.rng.choice(options) if options else None

    def fate(self, turno: PlannedTurno) -> str:
        if turno.instruction == Instruction.KNOWLEDGE:
            return "copy"
        if turno.parent is None and self.rng.random() < CANCELLED:
            return "cancel"
        if (self.today - self.day_of(turno.sent_at)).days > STALL_AFTER_DAYS:
            self.stalls += 1
            if self.stalls % STALL_EVERY == 0:
                return STALLS[(self.stalls // STALL_EVERY) % len(STALLS)]
        return "complete"

    def life(self, turno: PlannedTurno, taken: set[str]) -> datetime | None:
        """Plan what happens to a turno once sent; the moment it closes, or None if it never does."""
        rng, to = self.rng, turno.to_acronym
        fate = "complete" if turno.hold else self.fate(turno)
        if fate == "copy":
            at = self.later(turno.sent_at, 0, 4)
            self.add(at, "acknowledge", turno=turno, actor=self.worker(to))
            return at
        if fate == "cancel":
            at = self.later(turno.sent_at, 0, 2)
            self.add(at, "cancel", turno=turno, actor=self.sender(turno.from_acronym))
            options = [a for a in self.first_level_candidates(turno.from_acronym) if a not in taken]
            if not options or rng.random() < 0.25:
                return at
            # sent again, to the unit it belonged to
            unit = self.pick(options, self.weigh(options, turno.document), 1)[0]
            taken.add(unit)
            again_at = self.on_day(self.day_of(at), at)
            retry = self.first_level(turno.document, unit, turno.instruction, again_at, self.day_of(again_at))
            retry.notes = "Se returna por corresponder a su ámbito de competencia."
            if turno.document.focus is turno:
                turno.document.focus = retry
            self.add(
                again_at,
                "send",
                actor=self.sender(turno.from_acronym),
                document=turno.document,
                parent=None,
                turnos=[retry],
            )
            return self.life(retry, taken)
        if fate == "stall_sent":
            return None
        received = self.later(turno.sent_at, 0, 2) if rng.random() < 0.25 else None  # else: answering says so
        if received:
            self.add(received, "acknowledge", turno=turno, actor=self.worker(to))
        if fate == "stall_received":
            return None
        ready = received or turno.sent_at
        below = self.children.get(to, [])
        if turno.route or below and turno.depth < 3 and rng.random() < (0.38 if turno.depth == 0 else 0.28):
            delegated_at = self.later(ready, 0, 1) if rng.random() < 0.3 else self.on_day(self.day_of(ready), ready)
            count = 2 if len(below) > 1 and rng.random() < 0.15 else 1
            units = self.pick(below, self.weigh(below, turno.document), count)
            if turno.route:
                units = [turno.route[0], *[u for u in units if u != turno.route[0]][: count - 1]]
            children = [self.delegated(turno, unit, delegated_at) for unit in units]
            if turno.route:
                children[0].route, children[0].route_light = turno.route[1:], turno.route_light
                self.aim(children[0], light_on_route(turno.route, turno.route_light), self.day_of(delegated_at))
            if turno.document.focus is turno:
                turno.document.focus = children[0]
            self.add(
                delegated_at, "send", actor=self.sender(to), document=turno.document, parent=turno, turnos=children
            )
            closes = [self.life(child, set()) for child in children]
            closed = [c for c in closes if c is not None]
            if len(closed) < len(closes):
                return None  # waits for what was delegated
            ready = max([delegated_at, *closed])
        for round_ in (1, 2):
            answered = self.answer_time(ready, turno.due, delegated=turno.parent is not None)
            if turno.hold and self.day_of(answered) <= self.today:  # not yet: it shows its light today
                answered = self.on_day(self.calendar.add_business_days(self.today, 1))
            self.add(
                answered,
                "respond",
                turno=turno,
                actor=self.worker(to),
                body=self.answer(turno, round_),
                reference=rng.random() < 0.85,
            )
            if fate == "stall_answered":
                return None
            evaluated = self.later(answered, 0, 3 if turno.parent is None else 1)
            if round_ == 1 and (fate == "stall_returned" or rng.random() < RETURNED):
                new_due = self.new_deadline(turno, evaluated) if rng.random() < 0.5 else None
                self.add(
                    evaluated,
                    "evaluate",
                    turno=turno,
                    actor=self.sender(turno.from_acronym),
                    decision=Decision.RETURN,
                    comment=rng.choice(RETURN_COMMENTS),
                    new_due_date=new_due,
                )
                if new_due:
                    turno.due = new_due
                if fate == "stall_returned":
                    return None
                ready = evaluated
                continue
            self.add(
                evaluated,
                "evaluate",
                turno=turno,
                actor=self.sender(turno.from_acronym),
                decision=Decision.ACCEPT,
                comment=rng.choice(ACCEPT_COMMENTS),
                new_due_date=None,
            )
            return evaluated
        raise AssertionError("unreachable")

    def delegated(self, parent: PlannedTurno, unit: str, sent_at: datetime) -> PlannedTurno:
        rng, day = self.rng, self.day_of(sent_at)
        instruction = parent.instruction if rng.random() < 0.7 else Instruction.ATTENTION
        child = PlannedTurno(
            parent.document,
            parent.to_acronym,
            unit,
            instruction,
            sent_at,
            parent.due,
            notes=rng.choice(DELEGATION_NOTES),
            parent=parent,
            depth=parent.depth + 1,
        )
        if parent.due is None:
            child.business_days = rng.choice([3, 5, 5, 10])
            child.due = self.calendar.add_business_days(day, child.business_days)
            return child
        left = self.calendar.business_days_between(day, parent.due)
        if left < 1 or rng.random() < 0.15:
            return child  # no deadline of its own: the parent's
        days = rng.randint(max(1, left // 3), left - 2) if left >= 3 else rng.randint(1, left)  # time to integrate it
        child.due = self.calendar.add_business_days(day, days)
        if rng.random() < 0.25:
            child.due_date = child.due
        else:
            child.business_days = days
        return child

    def new_deadline(self, turno: PlannedTurno, at: datetime) -> date | None:
        day = self.day_of(at)
        due = self.calendar.add_business_days(day, self.rng.randint(3, 7))
        if turno.parent is not None and turno.parent.due is not None:
            due = min(due, turno.parent.due)
        return due if due > day else None

    def answer_time(self, ready: datetime, due: date | None, delegated: bool) -> datetime:
        """Mostly near the deadline, some after it; a delegated turno sooner (its answer goes up)."""
        rng, day = self.rng, self.day_of(ready)
        if due is None:
            return self.on_day(self.calendar.add_business_days(day, rng.randint(1, 8)), ready)
        left = self.calendar.business_days_between(day, due)
        if left < 0 or rng.random() < LATE * (0.6 if delegated else 1):
            return self.on_day(self.calendar.add_business_days(max(day, due), rng.randint(1, 7)), ready)
        share = rng.triangular(0.1, 1.0, 0.6) if delegated else rng.triangular(0.2, 1.0, 0.85)
        return self.on_day(self.calendar.add_business_days(day, round(left * share)), ready)

    def answer(self, turno: PlannedTurno, round_: int) -> str:
        if round_ == 2:
            return self.rng.choice(SECOND_ANSWERS)
        if turno.parent is None:
            return self.rng.choice(ANSWERS[turno.instruction])
        return self.rng.choice(DELEGATED_ANSWERS + ANSWERS[turno.instruction])

    def close(self, doc: PlannedDocument, after: datetime) -> None:
        if self.rng.random() < 0.04:
            return  # nobody got round to concluding it
        concluded = self.later(after, 0, 3)
        self.add(concluded, "conclude", document=doc, actor=self.sender(doc.acronym))
        if self.rng.random() < ARCHIVED:
            self.add(
                self.later(concluded, 1, 15),
                "archive",
                document=doc,
                actor=self.sender(doc.acronym),
                series=self.series(doc),
            )

    def series(self, doc: PlannedDocument) -> str:
        if doc.area in AREA_SERIES:
            return AREA_SERIES[doc.area]
        unit = doc.focus.to_acronym if doc.focus else doc.acronym
        return next((UNIT_SERIES[a] for a in self.lineage[unit] if a in UNIT_SERIES), "3C")

    def watch(self, first: date) -> None:
        """The app's deadline watcher runs all the time; here its pass runs early on each day from
        `first` (a pass with nothing to announce writes nothing). The first one catches up with what
        was already overdue, as the watcher does after a downtime."""
        day = first
        while day <= self.today:
            self.add(datetime(day.year, day.month, day.day, 0, 5, tzinfo=self.tz).astimezone(timezone.utc), "deadlines")
            day += timedelta(days=1)
