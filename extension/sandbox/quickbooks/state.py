"""In-memory state of the QuickBooks stand-in: a movable clock, companies, tokens, knobs.

One :class:`QuickBooksStandIn` per sandbox holds everything; tests reach it through
``stand_in(sandbox)`` to move the clock, flip preferences, inject faults and read the requests
that arrived (the "wire" a test asserts on).
"""

from __future__ import annotations

import asyncio
import copy
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

__all__ = [
    "Clock",
    "StandInConfig",
    "InjectedFault",
    "RandomFaults",
    "RecordedRequest",
    "Change",
    "CompanyState",
    "RefreshRecord",
    "AccessRecord",
    "CodeRecord",
]

Json = dict[str, Any]


class Clock:
    """Real time plus an offset the tests move forward; never sleeps."""

    def __init__(self) -> None:
        self._offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += timedelta(seconds=seconds)

    def stamp(self) -> str:
        return self.now().isoformat(timespec="seconds")


FaultKind = Literal["500", "503", "timeout", "timeout_after_commit", "throttle"]


@dataclass(slots=True)
class InjectedFault:
    """Answer the next ``times`` matching requests with a failure instead of (or after) work."""

    kind: FaultKind
    method: str = ""
    path_contains: str = ""
    times: int = 1

    def matches(self, method: str, path: str) -> bool:
        return (not self.method or self.method == method) and self.path_contains in path


@dataclass(slots=True)
class RandomFaults:
    """Faults drawn at random for a load test: per kind, the probability that an API request
    gets it (requests an :class:`InjectedFault` already matched are left alone). A seeded
    generator makes a run repeatable for the same sequence of requests. A timeout after
    commit only hits writes (POST): on a read it would be a plain timeout."""

    rates: dict[FaultKind, float]
    seed: int = 0
    injected: Counter[str] = field(default_factory=Counter)
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if any(not 0.0 <= rate <= 1.0 for rate in self.rates.values()):
            raise ValueError("every fault rate is a probability from 0 to 1")
        if sum(self.rates.values()) > 1.0:
            raise ValueError("the fault rates add up to more than 1")
        self._rng = random.Random(self.seed)

    def draw(self, method: str) -> InjectedFault | None:
        roll = self._rng.random()
        for kind, rate in self.rates.items():
            if roll < rate:
                if kind == "timeout_after_commit" and method != "POST":
                    kind = "timeout"
                self.injected[kind] += 1
                return InjectedFault(kind)
            roll -= rate
        return None


@dataclass(slots=True)
class StandInConfig:
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 8726400
    # Intuit returns the same refresh token until it is about a day old, then a new one; the
    # superseded one keeps working for a grace period (documented as 24 h).
    rotation_period: float = 86400.0
    stale_grace: float = 86400.0
    code_ttl: int = 600
    rate_limit_per_minute: int = 500
    max_concurrent: int = 10
    latency: float = 0.0
    hold: asyncio.Event | None = None
    faults: list[InjectedFault] = field(default_factory=list)
    random_faults: RandomFaults | None = None
    webhooks_enabled: bool = True
    webhook_format: Literal["legacy", "cloudevents"] = "cloudevents"


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    authorization: str
    content_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Change:
    entity: str
    entity_id: str
    operation: str  # Create, Update, Delete, Void, Emailed
    at: datetime


@dataclass(slots=True)
class RefreshRecord:
    realm_id: str
    grant_id: str
    issued_at: datetime
    expires_at: datetime
    superseded_at: datetime | None = None


@dataclass(slots=True)
class AccessRecord:
    realm_id: str
    grant_id: str
    expires_at: datetime


@dataclass(slots=True)
class CodeRecord:
    realm_id: str
    redirect_uri: str
    expires_at: datetime
    grant_id: str
    used: bool = False


class CompanyState:
    """One QuickBooks company (realm): its entities, preferences, numbering and history."""

    def __init__(self, realm_id: str, clock: Clock, zone: str = "America/Los_Angeles") -> None:
        self.realm_id = realm_id
        self.clock = clock
        # QBO writes MetaData and "time" in the company's own offset (every Intuit sample
        # carries -07:00 or -08:00, a US company on Pacific time).
        self.zone = ZoneInfo(zone)
        self.entities: dict[str, dict[str, Json]] = {}
        self.next_ids: dict[str, int] = {}
        self.company_info: Json = {}
        self.preferences: Json = {}
        self.next_doc_number = 1001
        self.changes: list[Change] = []
        self.deleted: dict[tuple[str, str], datetime] = {}
        self.replays: dict[str, tuple[int, Any]] = {}
        self.emails_sent = 0

    @property
    def country(self) -> str:
        return str(self.company_info.get("Country", "US"))

    @property
    def home_currency(self) -> str:
        return str(self.preferences["CurrencyPrefs"]["HomeCurrency"]["value"])

    def pref(self, section: str, key: str) -> Any:
        return self.preferences.get(section, {}).get(key)

    def set_pref(self, section: str, key: str, value: Any) -> None:
        self.preferences.setdefault(section, {})[key] = value

    def table(self, entity: str) -> dict[str, Json]:
        return self.entities.setdefault(entity, {})

    def new_id(self, entity: str) -> str:
        value = self.next_ids.get(entity, 100)
        self.next_ids[entity] = value + 1
        return str(value)

    def local(self, at: datetime | None = None) -> datetime:
        return (at or self.clock.now()).astimezone(self.zone)

    def stamp(self, at: datetime | None = None) -> str:
        """A MetaData timestamp: seconds and the company's offset (``…T10:33:39-07:00``)."""
        return self.local(at).isoformat(timespec="seconds")

    def time(self) -> str:
        """An envelope's ``time``: milliseconds and the company's offset."""
        return self.local().isoformat(timespec="milliseconds")

    def meta(self, created: str | None = None) -> Json:
        now = self.stamp()
        return {"CreateTime": created or now, "LastUpdatedTime": now}

    def add(self, entity: str, record: Json, *, operation: str = "Create") -> Json:
        record.setdefault("Id", self.new_id(entity))
        record.setdefault("SyncToken", "0")
        record.setdefault("domain", "QBO")
        record.setdefault("sparse", False)
        record["MetaData"] = self.meta()
        self.table(entity)[record["Id"]] = record
        self.record_change(entity, record["Id"], operation)
        return record

    def touch(self, entity: str, record: Json, operation: str = "Update") -> Json:
        record["SyncToken"] = str(int(record.get("SyncToken", "0")) + 1)
        record["MetaData"] = self.meta(record.get("MetaData", {}).get("CreateTime"))
        self.record_change(entity, record["Id"], operation)
        return record

    def record_change(self, entity: str, entity_id: str, operation: str) -> None:
        self.changes.append(Change(entity, entity_id, operation, self.clock.now()))

    def get(self, entity: str, entity_id: str) -> Json | None:
        return self.table(entity).get(entity_id)

    def snapshot(self, entity: str, entity_id: str) -> Json:
        return copy.deepcopy(self.table(entity)[entity_id])
