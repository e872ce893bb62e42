"""The indicators (`stats`): every number of every bucket over a known history, on both databases.

The history (Mexico City local times; UTC-6, no DST since 2022). Turno and response names are
ours; T<n> is not the turno's number.

    2025-12-31 23:30  D0 registered by DG   (UTC 2026-01-01 05:30: still 2025 locally)
    2026-01-31 23:30  D1 registered by DA   (UTC 02-01 05:30: still January)   Saturday
    2026-02-01 23:30  D2 registered by DJ   (UTC 02-02 05:30)                   Sunday: ISO week of 01-26
    2026-02-02 00:30  D3 registered by DG   (UTC 02-02 06:30)                   Monday: ISO week of 02-02
    2026-02-02 10:00  DG sends D3: T1 → DA (5 business days: due 02-09; 02-02 is a holiday),
                      T2 → DJ (3 business days: due 02-05), T3 → SRH (knowledge)
    2026-02-03 09:00  DA sends D1: T4 → SRH, due 02-04
    2026-02-03 10:00  DJ sends D2: T7 → DG (10 business days)
    2026-02-03 11:00  SRH acknowledges T3 (a copy for knowledge: concluded)
    2026-02-04 10:00  SRH delegates T4: T6 → DRH, due 02-04
    2026-02-04 12:00  DA answers T1: R1 (2 business days after 02-02)
    2026-02-04 13:00  DJ cancels T7
    2026-02-05 09:00  DG accepts R1: T1 concluded on time
    2026-02-05 10:00  DRH answers T6 late: R4 (1 business day after 02-04); T6 stays ANSWERED, RED
    2026-02-06 10:00  DJ answers T2 late: R2 (4)
    2026-02-09 10:00  DG returns R2
    2026-02-10 10:00  DJ answers T2 again, late: R3 (6)
    2026-02-11 10:00  DG accepts R3: T2 concluded late
    2026-02-27 11:00  DJ sends D2: T5 → DA, due 2026-12-31
    now: 2026-03-02 12:00 (T4 and T6 overdue, T5 pending and on time)

Choice tested here: a unit outside the caller's scope counts nothing, so a unitId there gives
zeros (as a unit filter in the lists narrows, never widens), not an error.
"""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text, update

import resolvers.stats

from models.clock import Clock
from models.stats import Granularity, bucket_count, make_buckets
from models.traffic_light import concluded_on_time
from models.turnos import Response
from models.workflow import TurnoStatus
from tests.workflow import Flow

MX = ZoneInfo("America/Mexico_City")
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=MX)

STATS = """query($period: Period!, $granularity: Granularity!, $unitId: ID, $includeSubunits: Boolean, $byUnit: Boolean) {
  stats(period: $period, granularity: $granularity, unitId: $unitId, includeSubunits: $includeSubunits, byUnit: $byUnit) {
    start unit { acronym } documentsReceived turnosSent turnosReceived responsesSent responsesReceived
    pending overdue concludedOnTime averageBusinessDaysToAnswer
  }
}"""

METRICS = [
    "documentsReceived",
    "turnosSent",
    "turnosReceived",
    "responsesSent",
    "responsesReceived",
    "pending",
    "overdue",
    "concludedOnTime",
]

# --- the expected history, day by day and unit by unit (local dates) ---------------------------

D = date
DAILY: dict[tuple[date, str], dict] = {
    (D(2025, 12, 31), "DG"): {"documentsReceived": 1},
    (D(2026, 1, 31), "DA"): {"documentsReceived": 1},
    (D(2026, 2, 1), "DJ"): {"documentsReceived": 1},
    (D(2026, 2, 2), "DG"): {"documentsReceived": 1, "turnosSent": 3},
    (D(2026, 2, 2), "DA"): {"turnosReceived": 1, "concludedOnTime": 1},  # T1
    (D(2026, 2, 2), "DJ"): {"turnosReceived": 1},  # T2, concluded late
    (D(2026, 2, 2), "SRH"): {"turnosReceived": 1},  # T3, knowledge: no deadline, not "on time"
    (D(2026, 2, 3), "DA"): {"turnosSent": 1},  # T4
    (D(2026, 2, 3), "DJ"): {"turnosSent": 1},  # T7
    (D(2026, 2, 3), "SRH"): {"turnosReceived": 1, "pending": 1, "overdue": 1},  # T4
    (D(2026, 2, 3), "DG"): {"turnosReceived": 1},  # T7, cancelled
    (D(2026, 2, 4), "SRH"): {"turnosSent": 1},  # T6
    (D(2026, 2, 4), "DRH"): {"turnosReceived": 1, "pending": 1, "overdue": 1},  # T6, answered late
    (D(2026, 2, 4), "DA"): {"responsesSent": 1, "answers": [2]},  # R1
    (D(2026, 2, 4), "DG"): {"responsesReceived": 1},
    (D(2026, 2, 5), "DRH"): {"responsesSent": 1, "answers": [1]},  # R4
    (D(2026, 2, 5), "SRH"): {"responsesReceived": 1},
    (D(2026, 2, 6), "DJ"): {"responsesSent": 1, "answers": [4]},  # R2
    (D(2026, 2, 6), "DG"): {"responsesReceived": 1},
    (D(2026, 2, 10), "DJ"): {"responsesSent": 1, "answers": [6]},  # R3
    (D(2026, 2, 10), "DG"): {"responsesReceived": 1},
    (D(2026, 2, 27), "DJ"): {"turnosSent": 1},  # T5
    (D(2026, 2, 27), "DA"): {"turnosReceived": 1, "pending": 1},
}

SUBTREES = {
    "INST": ["INST", "DG", "DA", "SRH", "DRH", "DJ"],
    "DG": ["DG", "DA", "SRH", "DRH", "DJ"],
    "DA": ["DA", "SRH", "DRH"],
    "SRH": ["SRH", "DRH"],
    "DRH": ["DRH"],
    "DJ": ["DJ"],
}
TREE_ORDER = ["INST", "DG", "DA", "SRH", "DRH", "DJ"]  # by path (the test world's ids grow down the tree)


def bucket_of(day: date, granularity: str) -> date:
    return {
        "DAY": day,
        "WEEK": day - timedelta(days=day.weekday()),
        "MONTH": day.replace(day=1),
        "YEAR": date(day.year, 1, 1),
    }[granularity]


def starts(first: date, last: date, granularity: str) -> list[date]:
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return sorted({bucket_of(d, granularity) for d in days})


def expected(units: list[str], first: date, last: date, granularity: str, by_unit: bool = False) -> list[dict]:
    """The buckets `stats` must return, summed from DAILY (an independent, naive oracle)."""
    sums: dict[tuple[date, str | None], dict] = defaultdict(lambda: defaultdict(int))
    answers: dict[tuple[date, str | None], list] = defaultdict(list)
    active = set()
    for (day, unit), values in DAILY.items():
        if unit in units and first <= day <= last:
            key = (bucket_of(day, granularity), unit if by_unit else None)
            active.add(unit)
            for metric in METRICS:
                sums[key][metric] += values.get(metric, 0)
            answers[key] += values.get("answers", [])
    result = []
    for start in starts(first, last, granularity):
        for unit in [u for u in TREE_ORDER if u in active] if by_unit else [None]:
            key = (start, unit)
            row = {
                "start": start.isoformat(),
                "unit": {"acronym": unit} if unit else None,
                **{m: sums[key][m] for m in METRICS},
                "averageBusinessDaysToAnswer": sum(answers[key]) / len(answers[key]) if answers[key] else None,
            }
            result.append(row)
    return result


def local(*args) -> datetime:
    return datetime(*args, tzinfo=MX).astimezone(timezone.utc)


@pytest.fixture
async def history(api, world, clock):
    flow = Flow(api, world)

    async def ok(payload, key=None):
        assert payload["errors"] == [], payload
        return payload[key] if key else payload

    clock.set(local(2025, 12, 31, 23, 30))
    await flow.register(user="dg_reg", unit="DG", reference="D0")
    clock.set(local(2026, 1, 31, 23, 30))
    d1 = await flow.register(user="da_reg", unit="DA", reference="D1")
    clock.set(local(2026, 2, 1, 23, 30))
    d2 = await flow.register(user="dj_reg", unit="DJ", reference="D2")
    clock.set(local(2026, 2, 2, 0, 30))
    d3 = await flow.register(user="dg_reg", unit="DG", reference="D3")
    clock.set(local(2026, 2, 2, 10, 0))
    t1, t2, t3 = await ok(
        await flow.send(
            "dg_reg",
            document=d3["id"],
            recipients=[
                {"unitId": "DA", "instruction": "RESPONSE", "businessDays": 5},
                {"unitId": "DJ", "instruction": "RESPONSE", "businessDays": 3},
                {"unitId": "SRH", "instruction": "KNOWLEDGE"},
            ],
        ),
        "turnos",
    )
    assert (t1["dueDate"], t2["dueDate"]) == ("2026-02-09", "2026-02-05")
    clock.set(local(2026, 2, 3, 9, 0))
    (t4,) = await ok(
        await flow.send(
            "da_reg",
            document=d1["id"],
            recipients=[{"unitId": "SRH", "instruction": "RESPONSE", "dueDate": "2026-02-04"}],
        ),
        "turnos",
    )
    clock.set(local(2026, 2, 3, 10, 0))
    (t7,) = await ok(
        await flow.send(
            "dj_reg", document=d2["id"], recipients=[{"unitId": "DG", "instruction": "RESPONSE", "businessDays": 10}]
        ),
        "turnos",
    )
    clock.set(local(2026, 2, 3, 11, 0))
    assert (await ok(await flow.ack("srh_staff", t3["id"]), "turno"))["status"] == "CONCLUDED"
    clock.set(local(2026, 2, 4, 10, 0))
    (t6,) = await ok(
        await flow.send(
            "srh_head",
            parent=t4["id"],
            recipients=[{"unitId": "DRH", "instruction": "RESPONSE", "dueDate": "2026-02-04"}],
        ),
        "turnos",
    )
    clock.set(local(2026, 2, 4, 12, 0))
    r1 = await ok(await flow.respond("da_staff", t1["id"]), "response")
    clock.set(local(2026, 2, 4, 13, 0))
    await ok(await flow.cancel("dj_reg", t7["id"]))
    clock.set(local(2026, 2, 5, 9, 0))
    assert (await ok(await flow.evaluate("dg_reg", r1["id"], "ACCEPT"), "turno"))["trafficLight"] == "GREEN"
    clock.set(local(2026, 2, 5, 10, 0))
    assert (await ok(await flow.respond("drh_staff", t6["id"]), "response"))["turno"]["trafficLight"] == "RED"
    clock.set(local(2026, 2, 6, 10, 0))
    r2 = await ok(await flow.respond("dj_staff", t2["id"]), "response")
    clock.set(local(2026, 2, 9, 10, 0))
    await ok(await flow.evaluate("dg_reg", r2["id"], "RETURN", comment="Falta el anexo."))
    clock.set(local(2026, 2, 10, 10, 0))
    r3 = await ok(await flow.respond("dj_staff", t2["id"]), "response")
    clock.set(local(2026, 2, 11, 10, 0))
    turno = await ok(await flow.evaluate("dg_reg", r3["id"], "ACCEPT"), "turno")
    assert (turno["status"], turno["trafficLight"]) == ("CONCLUDED", "RED")
    clock.set(local(2026, 2, 27, 11, 0))
    await ok(
        await flow.send(
            "dj_reg",
            document=d2["id"],
            recipients=[{"unitId": "DA", "instruction": "RESPONSE", "dueDate": "2026-12-31"}],
        )
    )
    clock.set(NOW.astimezone(timezone.utc))
    return flow


async def stats(api, world, user, first, last, granularity, unit=None, include_subunits=None, by_unit=None):
    variables = {
        "period": {"from": first.isoformat() if first else None, "to": last.isoformat() if last else None},
        "granularity": granularity,
        "unitId": world.unit_id(unit) if unit else None,
        "includeSubunits": include_subunits,
        "byUnit": by_unit,
    }
    return (await api.ok(STATS, variables, token=world.tokens[user]))["stats"]


def zero(start: str, unit: str | None = None, **values) -> dict:
    row = {
        "start": start,
        "unit": {"acronym": unit} if unit else None,
        **{m: 0 for m in METRICS},
        "averageBusinessDaysToAnswer": None,
    }
    row.update(values)
    return row


# --- literal tables: the oracle above is checked against numbers written by hand ----------------


async def test_admin_by_month_and_year(api, world, history, source):
    months = await stats(api, world, "admin", D(2025, 12, 1), D(2026, 3, 31), "MONTH")
    assert months == [
        zero("2025-12-01", documentsReceived=1),  # 23:30 on 31 December, although 2026 in UTC
        zero("2026-01-01", documentsReceived=1),  # 23:30 on 31 January, although February in UTC
        zero(
            "2026-02-01",
            documentsReceived=2,
            turnosSent=7,
            turnosReceived=7,
            responsesSent=4,
            responsesReceived=4,
            pending=3,
            overdue=2,
            concludedOnTime=1,
            averageBusinessDaysToAnswer=3.25,
        ),
        zero("2026-03-01"),  # empty: zeros
    ]
    assert months == expected(SUBTREES["INST"], D(2025, 12, 1), D(2026, 3, 31), "MONTH")
    years = await stats(api, world, "admin", D(2025, 1, 1), D(2026, 12, 31), "YEAR")
    assert years == [
        zero("2025-01-01", documentsReceived=1),
        zero(
            "2026-01-01",
            documentsReceived=3,
            turnosSent=7,
            turnosReceived=7,
            responsesSent=4,
            responsesReceived=4,
            pending=3,
            overdue=2,
            concludedOnTime=1,
            averageBusinessDaysToAnswer=3.25,
        ),
    ]


async def test_head_by_week_and_unit(api, world, history, source):
    """DA's head sees DA's subtree; the first week is clipped to the period (from Wednesday 28)."""
    weeks = await stats(api, world, "da_head", D(2026, 1, 28), D(2026, 3, 1), "WEEK", by_unit=True)
    assert weeks == [
        zero("2026-01-26", "DA", documentsReceived=1),
        zero("2026-01-26", "SRH"),
        zero("2026-01-26", "DRH"),
        zero(
            "2026-02-02",
            "DA",
            turnosSent=1,
            turnosReceived=1,
            concludedOnTime=1,
            responsesSent=1,
            averageBusinessDaysToAnswer=2.0,
        ),
        zero("2026-02-02", "SRH", turnosSent=1, turnosReceived=2, pending=1, overdue=1, responsesReceived=1),
        zero(
            "2026-02-02",
            "DRH",
            turnosReceived=1,
            pending=1,
            overdue=1,
            responsesSent=1,
            averageBusinessDaysToAnswer=1.0,
        ),
        zero("2026-02-09", "DA"),
        zero("2026-02-09", "SRH"),
        zero("2026-02-09", "DRH"),
        zero("2026-02-16", "DA"),
        zero("2026-02-16", "SRH"),
        zero("2026-02-16", "DRH"),
        zero("2026-02-23", "DA", turnosReceived=1, pending=1),
        zero("2026-02-23", "SRH"),
        zero("2026-02-23", "DRH"),
    ]
    assert weeks == expected(SUBTREES["DA"], D(2026, 1, 28), D(2026, 3, 1), "WEEK", by_unit=True)


async def test_sunday_and_monday_fall_in_their_iso_weeks(api, world, history):
    """D2 (Sunday 23:30, Monday in UTC) in the week of 26 January; D3 (Monday 00:30) in the next."""
    weeks = await stats(api, world, "admin", D(2026, 1, 26), D(2026, 2, 8), "WEEK", by_unit=True)
    documents = {(w["start"], w["unit"]["acronym"]): w["documentsReceived"] for w in weeks if w["documentsReceived"]}
    assert documents == {("2026-01-26", "DA"): 1, ("2026-01-26", "DJ"): 1, ("2026-02-02", "DG"): 1}


async def test_staff_by_day(api, world, history, source):
    """DA's staff: DA only, every day of the period, zeros on the days nothing happened."""
    days = await stats(api, world, "da_staff", D(2026, 1, 30), D(2026, 3, 1), "DAY")
    assert len(days) == 31
    busy = {d["start"]: d for d in days if d != zero(d["start"])}
    assert busy == {
        "2026-01-31": zero("2026-01-31", documentsReceived=1),
        "2026-02-02": zero("2026-02-02", turnosReceived=1, concludedOnTime=1),
        "2026-02-03": zero("2026-02-03", turnosSent=1),
        "2026-02-04": zero("2026-02-04", responsesSent=1, averageBusinessDaysToAnswer=2.0),
        "2026-02-27": zero("2026-02-27", turnosReceived=1, pending=1),
    }
    assert [d["start"] for d in days] == [(D(2026, 1, 30) + timedelta(days=i)).isoformat() for i in range(31)]
    assert days == expected(["DA"], D(2026, 1, 30), D(2026, 3, 1), "DAY")


# --- every granularity, with and without byUnit, for each kind of caller -----------------------
# PostgreSQL counts from stats_daily (kept by triggers); `from_rows` makes it count from the rows,
# as SQLite always does: both must give the expected numbers.


@pytest.fixture(params=["daily", "rows"])
def source(request, backend, monkeypatch):
    if request.param == "rows":
        if backend == "sqlite":
            pytest.skip("SQLite always counts from the rows")

        async def never(ctx, dialect):
            return False

        monkeypatch.setattr(resolvers.stats, "rollup_ready", never)
    return "rows" if backend == "sqlite" else request.param


PERIODS = {
    "DAY": (D(2025, 12, 30), D(2026, 3, 2)),
    "WEEK": (D(2025, 12, 31), D(2026, 3, 4)),
    "MONTH": (D(2025, 12, 15), D(2026, 4, 10)),
    "YEAR": (D(2024, 6, 1), D(2026, 12, 31)),
}
CALLERS = {  # user: the units they see
    "admin": SUBTREES["INST"],
    "dg_head": SUBTREES["DG"],
    "da_head": SUBTREES["DA"],
    "srh_head": SUBTREES["SRH"],
    "dj_head": SUBTREES["DJ"],
    "da_staff": ["DA"],
    "srh_staff": ["SRH"],
    "drh_staff": ["DRH"],
    "dj_staff": ["DJ"],
    "da_viewer": SUBTREES["DA"],
    "dg_reg": SUBTREES["DG"],
}


@pytest.mark.parametrize("granularity", ["DAY", "WEEK", "MONTH", "YEAR"])
async def test_every_number_for_every_caller(api, world, history, source, granularity):
    first, last = PERIODS[granularity]
    for user, units in CALLERS.items():
        for by_unit in (False, True):
            got = await stats(api, world, user, first, last, granularity, by_unit=by_unit)
            assert got == expected(units, first, last, granularity, by_unit), (user, by_unit)


@pytest.mark.parametrize(
    "user, unit, include_subunits, units",
    [
        ("admin", "DA", None, SUBTREES["DA"]),  # includeSubunits defaults to true, as in TurnoFilter
        ("admin", "DA", False, ["DA"]),
        ("admin", "DG", False, ["DG"]),
        ("dg_head", "SRH", True, SUBTREES["SRH"]),
        ("dg_head", "DJ", False, ["DJ"]),
        ("da_head", None, False, ["DA"]),  # without unitId, false keeps the caller's own units
        ("admin", None, False, ["INST"]),
        ("da_staff", "DG", True, ["DA"]),  # narrowed to what the caller sees, never widened
        ("da_staff", "SRH", True, []),
        ("dj_head", "DA", None, []),  # outside the scope: zeros, not an error
        ("dj_head", "DA", False, []),
        ("srh_staff", "DA", True, ["SRH"]),
    ],
)
async def test_unit_arguments(api, world, history, source, user, unit, include_subunits, units):
    for granularity in ("WEEK", "MONTH"):
        first, last = PERIODS[granularity]
        for by_unit in (False, True):
            got = await stats(
                api,
                world,
                user,
                first,
                last,
                granularity,
                unit=unit,
                include_subunits=include_subunits,
                by_unit=by_unit,
            )
            assert got == expected(units, first, last, granularity, by_unit), (granularity, by_unit)


INBOX_COUNT = (
    """query($filter: TurnoFilter) { inbox(filter: $filter) { totalCount } outbox(filter: $filter) { totalCount } }"""
)


async def test_turno_counts_are_the_inbox_and_outbox_counts(api, world, history):
    """The same unit filter and period as the lists: one code path (models/filters.py)."""
    for user, unit, subunits in [
        ("dg_head", "DA", True),
        ("dg_head", "DG", False),
        ("da_head", None, True),
        ("srh_staff", None, True),
        ("dj_head", "DA", True),
    ]:
        for week in await stats(
            api, world, user, D(2026, 1, 26), D(2026, 3, 1), "WEEK", unit=unit, include_subunits=subunits
        ):
            start = D.fromisoformat(week["start"])
            boxes = await api.ok(
                INBOX_COUNT,
                {
                    "filter": {
                        "period": {"from": start.isoformat(), "to": (start + timedelta(days=6)).isoformat()},
                        "unitId": world.unit_id(unit) if unit else None,
                        "includeSubunits": subunits,
                    }
                },
                token=world.tokens[user],
            )
            assert (week["turnosReceived"], week["turnosSent"]) == (
                boxes["inbox"]["totalCount"],
                boxes["outbox"]["totalCount"],
            ), (user, unit, week["start"])


# --- the period, its defaults and its limits --------------------------------------------------


async def test_period_defaults_to_this_year_so_far(api, world, history):
    months = await stats(api, world, "admin", None, None, "MONTH")
    assert months == expected(SUBTREES["INST"], D(2026, 1, 1), D(2026, 3, 2), "MONTH")
    assert [m["start"] for m in months] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    only_to = await stats(api, world, "admin", None, D(2025, 12, 31), "YEAR")
    assert only_to == [zero("2025-01-01", documentsReceived=1)]


async def test_invalid_arguments(api, world):
    async def error(variables, user="admin"):
        body = await api.gql(STATS, variables, token=world.tokens[user] if user else None)
        assert body.get("data") is None, body
        return body["errors"][0]["extensions"].get("code"), body["errors"][0]["extensions"].get("field")

    assert await error({"period": {"from": "2026-02-02", "to": "2026-02-01"}, "granularity": "DAY"}) == (
        "VALIDATION",
        "period",
    )
    # 1,000 buckets are fine, 1,001 are not
    ok = await api.ok(
        STATS,
        {
            "period": {"from": "2024-01-01", "to": (D(2024, 1, 1) + timedelta(days=999)).isoformat()},
            "granularity": "DAY",
        },
        token=world.tokens["admin"],
    )
    assert len(ok["stats"]) == 1000
    assert await error(
        {
            "period": {"from": "2024-01-01", "to": (D(2024, 1, 1) + timedelta(days=1000)).isoformat()},
            "granularity": "DAY",
        }
    ) == ("VALIDATION", "granularity")
    assert await error({"period": {"from": "0900-01-01", "to": "2026-01-01"}, "granularity": "YEAR"}) == (
        "VALIDATION",
        "period",
    )
    assert await error({"period": {}, "granularity": "DAY", "unitId": "T3JnVW5pdDo5OTk5"}) == (
        "NOT_FOUND",
        "unitId",
    )  # OrgUnit:9999
    assert await error({"period": {}, "granularity": "DAY", "unitId": world.user_id("admin")}) == (
        "NOT_FOUND",
        "unitId",
    )
    body = await api.gql(STATS, {"period": {}, "granularity": "DAY"})
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    message = (
        await api.gql(
            STATS,
            {"period": {"from": "2000-01-01", "to": "2026-01-01"}, "granularity": "WEEK"},
            token=world.tokens["admin"],
        )
    )["errors"][0]["message"]
    assert (
        message
        == "El periodo abarca 1,358 semanas; el máximo es 1,000. Acorte el periodo o elija una granularidad mayor."
    )


async def test_a_by_unit_answer_past_the_row_limit_is_refused_before_it_is_built(api, world, history, monkeypatch):
    """Buckets × units is bounded too (1,000 days × 64 units took seconds to render)."""
    monkeypatch.setattr("resolvers.stats.MAX_ROWS", 15)
    variables = {"period": {"from": "2026-01-01", "to": "2026-03-31"}, "granularity": "MONTH", "byUnit": True}
    allowed = await api.ok(STATS, variables, token=world.tokens["admin"])
    assert len(allowed["stats"]) == 15  # 3 months × 5 units
    body = await api.gql(STATS, {**variables, "granularity": "WEEK"}, token=world.tokens["admin"])
    assert body["data"] is None
    assert (body["errors"][0]["extensions"]["code"], body["errors"][0]["extensions"]["field"]) == (
        "VALIDATION",
        "byUnit",
    )
    assert "filas" in body["errors"][0]["message"]


# --- cost ---------------------------------------------------------------------------------------


async def test_query_count_does_not_grow_with_buckets(api, world, history, source, queries):
    counts = {}
    for by_unit in (False, True):
        for first, last in [
            (D(2026, 2, 1), D(2026, 2, 5)),
            (D(2025, 6, 1), D(2026, 3, 1)),
            (D(2023, 6, 7), D(2026, 3, 2)),
        ]:
            queries.reset()
            got = await stats(api, world, "da_head", first, last, "DAY", unit="DA", by_unit=by_unit)
            assert len(got) == ((last - first).days + 1) * (3 if by_unit else 1)
            counts[by_unit, first] = queries.count
    # authentication, calendar, the unit of unitId, then from the rows five counting statements, or
    # from stats_daily its time zone, the daily rows and the open turnos; byUnit: + the other units.
    # The same for 5 days as for 1,000.
    expected = {"rows": 8, "daily": 6}[source]
    assert counts == {(by_unit, first): expected + by_unit for by_unit, first in counts}, counts


# --- stats_daily (PostgreSQL): the triggers add up what a rebuild from the rows finds -----------


async def daily_rows(services) -> list[tuple]:
    async with services.db.engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(text("SELECT * FROM stats_daily ORDER BY day, unit_id"))]


async def test_the_triggers_keep_what_a_rebuild_computes(services, world, history, backend):
    if backend == "sqlite":
        pytest.skip("stats_daily is PostgreSQL's")
    kept = await daily_rows(services)
    assert len(kept) == len(DAILY) and sum(r[2] for r in kept) == 4  # a row per (day, unit) of DAILY; 4 documents
    async with services.db.engine.begin() as conn:
        await conn.execute(text("SELECT mcs_stats_rebuild()"))
    assert await daily_rows(services) == kept


async def test_the_triggers_count_concluded_on_time_as_the_domain_does(services, backend):
    """mcs_stats_on_time (migration 0007, frozen there) is the PL/pgSQL twin of
    models.traffic_light.concluded_on_time: they must agree on every combination."""
    if backend == "sqlite":
        pytest.skip("the triggers are PostgreSQL's")
    cases = [
        (status.value, due, on_time)
        for status in TurnoStatus
        for due in (None, date(2026, 3, 2))
        for on_time in (None, True, False)
    ]
    async with services.db.engine.connect() as conn:
        for status, due, on_time in cases:
            counted = (
                await conn.execute(
                    text("SELECT mcs_stats_on_time(:status, :due, :on_time)"),
                    {"status": status, "due": due, "on_time": on_time},
                )
            ).scalar_one()
            assert counted == (1 if concluded_on_time(status, due, on_time) is True else 0), (status, due, on_time)


async def test_a_daily_table_of_another_time_zone_is_not_used(api, world, services, history, backend, queries):
    if backend == "sqlite":
        pytest.skip("stats_daily is PostgreSQL's")
    first, last = D(2025, 12, 1), D(2026, 3, 31)
    try:
        async with services.db.engine.begin() as conn:
            await conn.execute(text("SELECT mcs_stats_set_timezone('Asia/Tokyo')"))
        queries.reset()
        assert await stats(api, world, "admin", first, last, "MONTH") == expected(
            SUBTREES["INST"], first, last, "MONTH"
        )
        assert queries.count == 2 + 1 + 5  # authentication, calendar, the time zone, five statements over the rows
    finally:
        async with services.db.engine.begin() as conn:
            await conn.execute(text("SELECT mcs_stats_set_timezone('America/Mexico_City')"))
    queries.reset()
    assert await stats(api, world, "admin", first, last, "MONTH") == expected(SUBTREES["INST"], first, last, "MONTH")
    assert queries.count == 2 + 1 + 2


# --- buckets in a time zone with DST (pure Python) -----------------------------------------------


def test_buckets_follow_local_midnights_across_dst():
    clock = Clock("America/Tijuana")  # DST: 2026-03-08 has 23 hours, 2026-11-01 has 25
    days = make_buckets(D(2026, 3, 7), D(2026, 3, 9), Granularity.DAY, clock)
    assert [(b.ends_at - b.starts_at) / timedelta(hours=1) for b in days] == [24, 23, 24]
    assert days[0].starts_at == datetime(2026, 3, 7, 8, 0, tzinfo=timezone.utc)  # UTC-8
    assert days[2].starts_at == datetime(2026, 3, 9, 7, 0, tzinfo=timezone.utc)  # UTC-7
    autumn = make_buckets(D(2026, 11, 1), D(2026, 11, 1), Granularity.DAY, clock)
    assert autumn[0].ends_at - autumn[0].starts_at == timedelta(hours=25)
    months = make_buckets(D(2025, 12, 20), D(2026, 12, 5), Granularity.MONTH, clock)
    assert [b.start for b in months] == [D(2025, 12, 1)] + [D(2026, m, 1) for m in range(1, 13)]
    assert months[0].starts_at == datetime(2025, 12, 20, 8, 0, tzinfo=timezone.utc)  # clipped to the period
    assert months[-1].ends_at == datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc)
    assert all(a.ends_at == b.starts_at for a, b in zip(months, months[1:]))  # contiguous
    assert months[3].ends_at - months[3].starts_at == timedelta(days=31, hours=-1)  # March loses an hour
    weeks = make_buckets(D(2026, 1, 1), D(2026, 1, 12), Granularity.WEEK, clock)
    assert [b.start for b in weeks] == [D(2025, 12, 29), D(2026, 1, 5), D(2026, 1, 12)]
    for granularity in Granularity:
        for first, last in [
            (D(2024, 2, 29), D(2026, 3, 1)),
            (D(2026, 1, 4), D(2026, 1, 5)),
            (D(2026, 1, 1), D(2026, 1, 1)),
        ]:
            assert bucket_count(first, last, granularity) == len(make_buckets(first, last, granularity, clock))


# --- the stored business days, and the migration that fills them for old answers ----------------


def load_migration():
    path = Path(__file__).resolve().parents[1] / "migrations" / "versions" / "0007_response_business_days.py"
    spec = importlib.util.spec_from_file_location("migration_0007", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_answers_store_business_days_and_the_migration_backfills_them(services, history):
    async def stored():
        async with services.db.session() as session:
            return sorted((await session.execute(select(Response.business_days_to_answer))).scalars(), key=str)

    assert await stored() == [1, 2, 4, 6]
    async with services.db.engine.begin() as conn:
        await conn.execute(update(Response).values(business_days_to_answer=None))
    assert await stored() == [None] * 4
    backfill = load_migration().backfill
    async with services.db.engine.begin() as conn:
        assert await conn.run_sync(lambda c: backfill(c, "America/Mexico_City")) == 4
        assert await conn.run_sync(lambda c: backfill(c, "America/Mexico_City")) == 0  # nothing left to fill
    assert await stored() == [1, 2, 4, 6]


async def test_clearing_and_backfilling_business_days_keeps_the_average(api, world, services, history, source):
    first, last = D(2026, 2, 1), D(2026, 2, 28)
    before = await stats(api, world, "admin", first, last, "MONTH", by_unit=True)
    assert before == expected(SUBTREES["INST"], first, last, "MONTH", by_unit=True)
    async with services.db.engine.begin() as conn:
        await conn.execute(update(Response).values(business_days_to_answer=None))
    cleared = await stats(api, world, "admin", first, last, "MONTH", by_unit=True)
    assert [r["averageBusinessDaysToAnswer"] for r in cleared] == [None] * len(before)
    assert [r["responsesSent"] for r in cleared] == [r["responsesSent"] for r in before]
    async with services.db.engine.begin() as conn:
        await conn.run_sync(lambda c: load_migration().backfill(c, "America/Mexico_City"))
    assert await stats(api, world, "admin", first, last, "MONTH", by_unit=True) == before


async def test_mcs_stats_rebuild_brings_the_daily_table_back_to_the_settings_zone(
    api, world, services, history, backend, queries, tmp_path
):
    """`mcs stats-rebuild` (the command an operator runs after changing MCS_TIMEZONE or a bulk
    load) refills stats_daily in MCS_TIMEZONE, so the fast path is used again."""
    import asyncio
    import os
    import sys

    first, last = D(2025, 12, 1), D(2026, 3, 31)
    env = {
        **os.environ,
        "MCS_DATABASE_URL": services.settings.database_url,
        "MCS_VAR_DIR": str(tmp_path),
        "MCS_TIMEZONE": "America/Mexico_City",
    }
    if backend == "sqlite":
        kept = None
    else:
        kept = await daily_rows(services)
        async with services.db.engine.begin() as conn:
            await conn.execute(text("SELECT mcs_stats_set_timezone('Asia/Tokyo')"))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mcs.cli",
        "stats-rebuild",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output = (await process.communicate())[0].decode()
    assert process.returncode == 0, output
    if backend == "sqlite":
        assert "nada que recalcular" in output
        return
    assert "America/Mexico_City" in output
    assert await daily_rows(services) == kept
    queries.reset()
    assert await stats(api, world, "admin", first, last, "MONTH") == expected(SUBTREES["INST"], first, last, "MONTH")
    assert queries.count == 2 + 1 + 2  # the daily table again
