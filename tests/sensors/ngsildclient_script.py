"""Drive the NGSI-LD API with ngsildclient 0.5.2, as a city's integrator would.

Runs in .venv-ngsildclient (the client pins old httpx, rich, networkx...), never in the
server's venv: ``ngsildclient_script.py HOST PORT`` with the operator's token in
``NGSILD_TOKEN``. Every step runs even when an earlier one failed; the last line of stdout is
a JSON summary (with the last HTTP exchanges of a failed step), and the exit status is 1 when
any check failed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import sys
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any

import requests
from ngsildclient import (  # type: ignore[import-not-found]
    CORE_CONTEXT,
    Client,
    Entity,
    NgsiAlreadyExistsError,
    NgsiContextBrokerError,
    SubscriptionBuilder,
)
from ngsildclient.api.constants import AggrMethod  # type: ignore[import-not-found]
from ngsildclient.api.exceptions import NgsiResourceNotFoundError  # type: ignore[import-not-found]
from ngsildclient.api.helper.temporal import TemporalQuery  # type: ignore[import-not-found]

TYPE = "OffStreetParking"
HOUR = dt.timedelta(hours=1)
STEPS = """anonymous_write entities upsert_resend query batch types_and_contexts subscriptions
history temporal_values temporal_paging aggregated""".split()
Json = dict[str, Any]


class CheckFailed(Exception):
    """A check of a step did not hold."""


def check(condition: bool, message: str) -> None:
    """Fail the current step with ``message`` unless ``condition``."""
    if not condition:
        raise CheckFailed(message)


def raises(error: type[Exception], call: Callable[[], Any], message: str) -> None:
    """Fail the current step unless ``call`` raises ``error``."""
    try:
        call()
    except error:
        return
    raise CheckFailed(message)


def instant(text: str) -> dt.datetime:
    """An NGSI-LD date-time as an aware datetime (the server adds milliseconds)."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso(moment: dt.datetime) -> str:
    """UTC with a Z, to the second, as ngsildclient writes it."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Bearer(requests.auth.AuthBase):
    """The API token on every request, through ngsildclient's ``custom_auth``."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class Exchanges:
    """The last requests and responses, shown with a failure."""

    def __init__(self) -> None:
        self.items: deque[Json] = deque(maxlen=4)

    def hook(self, response: Any, *_args: Any, **_kwargs: Any) -> None:
        request = response.request
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        self.add(request.method, request.url, body, response.status_code, response.text)

    def add(self, method: str, url: str, body: Any, status: int, answer: str) -> None:
        request = f"{method} {urllib.parse.unquote(url)}"
        body = (body or "")[:400]
        self.items.append(
            {"request": request, "body": body, "status": status, "response": answer[:600]}
        )


class Run:
    """The checks against one server, step by step."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port, self.token = host, port, token
        self.tag = f"ngsildclient-{uuid.uuid4().hex[:10]}"
        self.exchanges = Exchanges()
        self.steps: dict[str, Json] = {}
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        # Three whole UTC hours before the current one: the temporal window.
        self.start = self.now.replace(minute=0, second=0) - 3 * HOUR
        self.client: Any = None

    def step(self, name: str, action: Callable[[], Json]) -> None:
        self.exchanges.items.clear()
        try:
            self.steps[name] = {"ok": True, **action()}
        except Exception as exc:
            failure: Json = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            if not isinstance(exc, CheckFailed):
                failure["traceback"] = traceback.format_exc(limit=4)[-1500:]
            self.steps[name] = {**failure, "exchanges": list(self.exchanges.items)}

    def id(self, name: str) -> str:
        return f"urn:ngsi-ld:{TYPE}:{self.tag}-{name}"

    def parking(
        self,
        name: str,
        free: int,
        *,
        observed: dt.datetime | None = None,
        group: str = "",
        **kw: Any,
    ) -> Any:
        """An OffStreetParking built with ngsildclient's Entity API."""
        entity = Entity(TYPE, f"{self.tag}-{name}")
        entity.prop("name", f"Parking {name}")
        entity.prop("availableSpotNumber", free, observedat=observed or self.now - HOUR / 2)
        entity.prop("totalSpotNumber", kw.get("total", 200))
        entity.prop("status", kw.get("status", "open"))
        entity.prop("source", f"{self.tag}{group}")  # lets q pick this run's entities
        return entity.loc(45.94, -0.96)

    def q(self, expression: str, group: str) -> str:
        """``expression`` limited to this run's entities of ``group``."""
        return f'{expression};source=="{self.tag}{group}"'

    def ingest(self, rows: list[Json]) -> Json:
        """POST /api/sensors/observations with plain urllib (not part of NGSI-LD)."""
        url = f"http://{self.host}:{self.port}/api/sensors/observations"
        data = json.dumps(rows).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        request = urllib.request.Request(url, data=data, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode()
        self.exchanges.add("POST", url, data.decode(), status, text)
        check(status == 200, f"ingest answered {status}: {text[:300]}")
        report: Json = json.loads(text)
        return report

    # --- entities -------------------------------------------------------------------------

    def connect(self) -> Json:
        self.client = Client(self.host, self.port, custom_auth=Bearer(self.token), verbose=False)
        self.client.session.hooks["response"].append(self.exchanges.hook)
        check(self.client.is_connected(), "is_connected() is False")
        return {"vendor": str(self.client.broker.vendor.value), "tag": self.tag}

    def anonymous_write(self) -> Json:
        anonymous = Client(self.host, self.port, verbose=False)
        anonymous.session.hooks["response"].append(self.exchanges.hook)
        try:
            anonymous.create(self.parking("anonymous", 3))
        except NgsiContextBrokerError as exc:
            status = exc.problemdetails.status
            check(status == 401, f"a write without a token answered {status}, not 401")
        else:
            raise CheckFailed("a write without a token was accepted")
        finally:
            anonymous.close()
        check(not self.client.exists(self.id("anonymous")), "the anonymous entity was stored")
        return {}

    def entities(self) -> Json:
        client, group = self.client, ":entities"
        observed = self.now - dt.timedelta(minutes=20)
        gare = self.parking("gare", 42, observed=observed, group=group)
        check(client.create(gare) is True, "create() did not return True")
        raises(NgsiAlreadyExistsError, lambda: client.create(gare), "2nd create() did not raise")
        got = client.get(gare.id)
        check(got.id == gare.id and got.type == TYPE, f"get() returned {got.id} {got.type}")
        check(CORE_CONTEXT in got.ctx, f"get() @context is {got.ctx}")
        spots = got["availableSpotNumber"]
        check(spots["value"] == 42, f"availableSpotNumber is {spots['value']}, sent 42")
        check(instant(spots["observedAt"]) == observed, f"observedAt is {spots['observedAt']}")
        check(got["totalSpotNumber"]["value"] == 200, "totalSpotNumber is not 200")
        check(got["status"]["value"] == "open", "status is not open")
        coordinates = got["location"]["value"]["coordinates"]
        check(coordinates == [-0.96, 45.94], f"location is {coordinates}, sent lon -0.96 lat 45.94")
        check(client.exists(gare.id) is True, "exists() of a created entity is not True")
        check(client.exists(self.id("nowhere")) is False, "exists() of an unknown id is True")
        unknown = self.id("nowhere")
        raises(NgsiResourceNotFoundError, lambda: client.get(unknown), "get(unknown) no 404")
        # upsert = create, then on 409 AlreadyExists DELETE + POST.
        later = self.now - dt.timedelta(minutes=10)
        upserted = self.parking("gare", 17, observed=later, status="almostFull", group=group)
        check(client.upsert(upserted) is True, "upsert() of an existing entity is not True")
        got = client.get(gare.id)
        check(got["availableSpotNumber"]["value"] == 17, "upsert() did not change the value")
        check(got["status"]["value"] == "almostFull", "upsert() did not change the status")
        found = client.count(TYPE, q=self.q("availableSpotNumber==17", group))
        check(found == 1, f"the upserted value is found {found} times by q")
        # update = GET, DELETE, POST.
        updated = self.parking("gare", 12, observed=self.now - dt.timedelta(minutes=5), group=group)
        check(client.update(updated) is True, "update() did not return True")
        check(client.get(gare.id)["availableSpotNumber"]["value"] == 12, "update() not applied")
        check(client.delete(gare) is True, "delete() did not return True")
        check(client.exists(gare.id) is False, "exists() is True after delete()")
        raises(NgsiResourceNotFoundError, lambda: client.get(gare.id), "get() after delete()")
        return {}

    def upsert_resend(self) -> Json:
        """Sending the same entity again (a re-run import) keeps it findable by q."""
        client, q = self.client, self.q("availableSpotNumber==42", ":resend")
        entity = self.parking("resend", 42, group=":resend")
        client.create(entity)
        check(client.count(TYPE, q=q) == 1, "the created entity is not found by q")
        client.upsert(entity)
        check(client.get(entity.id)["availableSpotNumber"]["value"] == 42, "get() lost the value")
        found = client.count(TYPE, q=q)
        check(
            found == 1,
            "after upsert() of the same entity (409, DELETE, POST with the same observedAt), "
            f"get() shows availableSpotNumber 42 but count(q='availableSpotNumber==42') is {found}",
        )
        client.delete(entity)
        return {}

    def query(self) -> Json:
        client, group = self.client, ":query"
        parkings = [
            self.parking(f"q{i:02d}", i * 5, status="full" if i == 0 else "open", group=group)
            for i in range(12)
        ]
        result = client.create(parkings)
        check(result.ok and result.n_ok == 12, f"batch create: {result!r} {result.errors}")
        expected = {e.id for e in parkings if e["availableSpotNumber"]["value"] > 10}
        q = self.q("availableSpotNumber>10", group)
        count = client.count(TYPE, q=q)
        check(count == len(expected), f"count(q={q!r}) is {count}, expected {len(expected)}")
        found = client.query(TYPE, q=q, limit=4)  # three pages: no offset, offset=4, offset=8
        ids = [e.id for e in found]
        check(len(ids) == len(set(ids)), f"query() paging repeated entities: {ids}")
        check(set(ids) == expected, f"query() returned {sorted(ids)}, expected {sorted(expected)}")
        check(all(e["availableSpotNumber"]["value"] > 10 for e in found), "query() ignored q")
        check(len(client.query_head(TYPE, q=q, n=2)) == 2, "query_head(n=2) is not 2 entities")
        either = client.count(
            TYPE, q=self.q("(availableSpotNumber<5|availableSpotNumber>50)", group)
        )
        check(either == 2, f"count with | is {either}, expected 2 (0 and 55)")
        full = client.query(TYPE, q=self.q('status=="full"', group))
        check([e.id for e in full] == [parkings[0].id], f"status==full gave {full}")
        check(client.delete(parkings).ok, "batch delete of the query entities failed")
        check(client.count(TYPE, q=self.q("availableSpotNumber>=0", group)) == 0, "left over")
        return {"count": count}

    def batch(self) -> Json:
        client, group = self.client, ":batch"
        first, second = self.now - dt.timedelta(minutes=40), self.now - dt.timedelta(minutes=15)
        names = [f"b{i}" for i in range(5)]
        ids = [self.id(n) for n in names]
        created = client.upsert(
            [self.parking(n, 10 + i, observed=first, group=group) for i, n in enumerate(names)]
        )
        check(created.ok and sorted(created.success) == ids, f"upsert: {created.success}")
        again = [
            self.parking(n, 100 + i, observed=second, status="full", total=300, group=group)
            for i, n in enumerate(names)
        ]
        changed = client.upsert(again)
        check(changed.ok and changed.n_ok == 5, f"second upsert: {changed!r} {changed.errors}")
        for i, entity_id in enumerate(ids):
            got = client.get(entity_id)
            spots = got["availableSpotNumber"]
            check(spots["value"] == 100 + i, f"{entity_id}: availableSpotNumber {spots['value']}")
            check(instant(spots["observedAt"]) == second, f"{entity_id}: {spots['observedAt']}")
            check(got["status"]["value"] == "full", f"{entity_id}: status {got['status']}")
            check(got["totalSpotNumber"]["value"] == 300, f"{entity_id}: totalSpotNumber")
        count = client.count(TYPE, q=self.q("availableSpotNumber>=100", group))
        check(count == 5, f"count of the upserted values is {count}, expected 5")
        # options=update merges: attributes left out stay.
        status_only = Entity(TYPE, f"{self.tag}-b0").prop("status", "closed")
        check(client.upsert([status_only], update=True).ok, "upsert(update=True) failed")
        got = client.get(ids[0])
        check(got["status"]["value"] == "closed", "upsert(update=True) did not update status")
        check(got["availableSpotNumber"]["value"] == 100, "upsert(update=True) dropped an attr")
        check(client.update([status_only.dup().prop("status", "open")]).ok, "batch update failed")
        check(client.get(ids[0])["status"]["value"] == "open", "batch update not applied")
        kept = client.update([status_only.dup().prop("status", "full")], overwrite=False)
        check(kept.ok, f"batch update noOverwrite: {kept.errors}")
        check(client.get(ids[0])["status"]["value"] == "open", "noOverwrite overwrote status")
        # One bad entity: 207, the good one stored.
        bad = self.parking("bad", 1, group=group)
        bad["availableSpotNumber"]["value"] = "beaucoup"
        mixed = client.upsert([self.parking("b5", 7, group=group), bad])
        check(mixed.success == [self.id("b5")], f"207 success is {mixed.success}")
        errors = mixed.errors
        check([e.get("entityId") for e in errors] == [bad.id], f"207 errors: {errors}")
        problem_type = str(errors[0].get("error", {}).get("type", ""))
        check(problem_type.endswith("/BadRequestData"), f"207 error type {problem_type}")
        check(not client.exists(bad.id), "the bad entity was stored")
        # The client needs Entity objects here: on 204 it reads .id of what it sent.
        deleted = client.delete([Entity(TYPE, f"{self.tag}-{n}") for n in names[:3]])
        check(deleted.ok and deleted.n_ok == 3, f"batch delete: {deleted!r} {deleted.errors}")
        left = client.count(TYPE, q=self.q("availableSpotNumber>=0", group))
        check(left == 3, f"{left} entities left after deleting 3 of 6")
        unknown = Entity(TYPE, f"{self.tag}-nowhere")
        partly = client.delete([Entity(TYPE, f"{self.tag}-b3"), unknown])
        check(partly.success == [ids[3]], f"batch delete 207 success {partly.success}")
        check([e.get("entityId") for e in partly.errors] == [unknown.id], f"{partly.errors}")
        return {"remaining": sorted([ids[4], self.id("b5")])}

    def types_and_contexts(self) -> Json:
        types = self.client.types.list()
        check(TYPE in types, f"types.list() is {types}")
        contexts = self.client.contexts.list()
        check(CORE_CONTEXT in contexts, f"contexts.list() is {contexts}")
        check(self.client.contexts.exists(CORE_CONTEXT), "contexts.exists(core) is False")
        return {}

    # --- subscriptions --------------------------------------------------------------------

    def subscriptions(self) -> Json:
        subscriptions = self.client.subscriptions
        expression = f'availableSpotNumber<10;source=="{self.tag}"'
        uri = f"http://127.0.0.1:9/notify/{self.tag}"
        built = (
            SubscriptionBuilder(uri)
            .name(f"Parkings presque pleins {self.tag}")
            .description("ngsildclient test")
            .select_type(TYPE)
            .watch(["availableSpotNumber"])
            .query(expression)
            .notif(["availableSpotNumber", "status"])
            .build()
        )
        check("%" in built["q"], "SubscriptionBuilder no longer percent-encodes q")
        subscription_id = subscriptions.create(built)
        check(bool(subscription_id), "create() returned no id (Location header)")
        listed = subscriptions.list()
        check(isinstance(listed, list), f"list() returned {listed!r}")
        check(subscription_id in [s.get("id") for s in listed], f"{subscription_id} not listed")
        mine = subscriptions.list(pattern=self.tag)
        check([s["id"] for s in mine] == [subscription_id], f"list(pattern) gave {mine}")
        got = subscriptions.get(subscription_id)
        check(got.get("id") == subscription_id, f"get() id is {got.get('id')}")
        check(got.get("entities") == [{"type": TYPE}], f"entities {got.get('entities')}")
        check(got.get("watchedAttributes") == ["availableSpotNumber"], "watchedAttributes")
        q = urllib.parse.unquote(got.get("q", ""))
        check(q == expression, f"q is {got.get('q')!r}, sent {expression!r} percent-encoded")
        endpoint = got.get("notification", {}).get("endpoint", {})
        check(endpoint.get("uri") == uri, f"notification endpoint {endpoint}")
        check(subscriptions.exists(subscription_id), "exists() is False (@context in body?)")
        chosen = f"urn:ngsi-ld:Subscription:{self.tag}"
        second = SubscriptionBuilder(f"{uri}/2").id(chosen).name(f"Second {self.tag}")
        second = second.select_type(TYPE).watch(["status"]).build()
        check(subscriptions.create(second) == chosen, "the id given in the body was not kept")
        check(subscriptions.delete(self.tag) is True, "delete(pattern) deleted nothing")
        for gone in (subscription_id, chosen):
            check(not subscriptions.exists(gone), f"{gone} still exists after delete()")
            raises(NgsiResourceNotFoundError, partial(subscriptions.get, gone), f"get({gone})")
        return {"id": subscription_id}

    # --- temporal -------------------------------------------------------------------------

    def plan(self, name: str) -> list[tuple[dt.datetime, int]]:
        """Known observations of entity ``name`` in the three hours of the window."""
        shift = {"ha": 0, "hb": 100}[name]
        minutes_values = {
            0: [(5, 10), (25, 20), (45, 30)],
            1: [(10, 40), (40, 50)],
            2: [(5, 5), (20, 15), (35, 25), (50, 35)],
        }
        return [
            (self.start + hour * HOUR + dt.timedelta(minutes=minute), value + shift)
            for hour, pairs in minutes_values.items()
            for minute, value in pairs
        ]

    def history(self) -> Json:
        """History sent through batch upserts with observedAt, then through the ingest API."""
        rows = []
        for name in ("ha", "hb"):
            # One observation before the window, which the between queries must leave out.
            before = self.parking(name, 99, observed=self.start - HOUR / 6, group=":h")
            check(self.client.create(before) is True, f"create {name}")
            for moment, value in self.plan(name)[:5]:  # the first two hours
                entity = self.parking(name, value, observed=moment, group=":h")
                result = self.client.upsert([entity])
                check(result.ok, f"upsert {name} at {iso(moment)}: {result.errors}")
            for moment, value in self.plan(name)[5:]:
                attribute = {"entity": self.id(name), "attribute": "availableSpotNumber"}
                rows.append({**attribute, "value": value, "observedAt": iso(moment)})
        report = self.ingest(rows)
        check(report.get("stored") == len(rows), f"ingest report {report}")
        return {"window_start": iso(self.start)}

    def window(self) -> Any:
        return TemporalQuery().between(self.start, self.start + 3 * HOUR)

    def history_query(self) -> Json:
        """The history entities' availableSpotNumber in the window, by type and q."""
        q = f'source=="{self.tag}:h"'
        return {"type": TYPE, "attrs": ["availableSpotNumber"], "q": q, "tq": self.window()}

    def same_values(self, troe: Json, name: str) -> None:
        attribute: Any = troe.get("availableSpotNumber") or {}
        pairs = sorted((instant(t), v) for v, t in attribute.get("values", []))
        expected = sorted(self.plan(name))
        check(
            pairs == expected,
            f"{name} temporalValues {[(iso(t), v) for t, v in pairs]}, "
            f"expected {[(iso(t), v) for t, v in expected]}",
        )

    def temporal_values(self) -> Json:
        temporal, name = self.client.temporal, "ha"
        attrs = ["availableSpotNumber"]
        troes = temporal.query(eid=self.id(name), attrs=attrs, tq=self.window())
        check(isinstance(troes, list) and len(troes) == 1, f"query(eid) gave {troes!r}"[:500])
        check(troes[0].get("id") == self.id(name), f"id {troes[0].get('id')}")
        self.same_values(troes[0], name)
        everything = temporal.get(self.id(name), attrs=attrs)
        entity = everything[0] if isinstance(everything, list) else everything
        values = entity["availableSpotNumber"]["values"]
        check(len(values) == 10, f"get() without a window gave {len(values)} values, expected 10")
        return {}

    def temporal_paging(self) -> Json:
        # Two entities, one a page: the second comes through Next-Page, sent as pageAnchor.
        troes = self.client.temporal.query(**self.history_query(), pagesize=1)
        pages = [e for e in self.exchanges.items if "/temporal/entities?" in e["request"]]
        check(len(pages) == 2, f"{len(pages)} requests for two entities with pageSize=1")
        by_id = {t.get("id"): t for t in troes}
        check(sorted(by_id) == [self.id("ha"), self.id("hb")], f"pageSize=1 gave {sorted(by_id)}")
        for name in ("ha", "hb"):
            self.same_values(by_id[self.id(name)], name)
        return {}

    def aggregated(self) -> Json:
        methods = [AggrMethod.AVERAGE, AggrMethod.MINIMUM, AggrMethod.MAXIMUM]
        result = self.client.temporal.aggregate(
            **self.history_query(), methods=methods, period=HOUR
        )
        troes = result.result
        check(isinstance(troes, list) and len(troes) == 2, f"aggregate gave {troes!r}"[:500])
        by_id = {t.get("id"): t for t in troes}
        for name in ("ha", "hb"):
            attribute = by_id[self.id(name)]["availableSpotNumber"]
            for method, reduce in (("avg", _mean), ("min", min), ("max", max)):
                expected = {}
                for hour in range(3):
                    bucket = self.start + hour * HOUR
                    values = [v for m, v in self.plan(name) if bucket <= m < bucket + HOUR]
                    expected[bucket] = (float(reduce(values)), bucket + HOUR)
                got = {instant(s): (float(v), instant(e)) for v, s, e in attribute.get(method, [])}
                check(
                    got == expected,
                    f"{name} {method}: {attribute.get(method)}, expected "
                    f"{[[v, iso(s), iso(e)] for s, (v, e) in expected.items()]}",
                )
        return {}

    def run(self) -> Json:
        self.step("connect", self.connect)
        if self.steps["connect"]["ok"]:
            for name in STEPS:
                self.step(name, getattr(self, name))
            self.client.close()
        failed = [name for name, step in self.steps.items() if not step["ok"]]
        return {"ok": not failed, "failed": failed, "tag": self.tag, "steps": self.steps}


def _mean(values: list[int]) -> float:
    return sum(values) / len(values)


def main() -> int:
    host, port = sys.argv[1], int(sys.argv[2])
    logging.disable(logging.INFO)  # the client logs every ProblemDetails at INFO
    # The client prints progress ("Entities upserted : 5/5") on stdout: keep it for the JSON.
    with contextlib.redirect_stdout(sys.stderr):
        summary = Run(host, port, os.environ["NGSILD_TOKEN"]).run()
    sys.stdout.write(json.dumps(summary) + "\n")
    for name in summary["failed"]:
        sys.stderr.write(f"FAILED {name}: {summary['steps'][name]['error']}\n")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
