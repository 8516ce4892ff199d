"""Schemathesis hooks for the api-fuzz run (loaded through SCHEMATHESIS_HOOKS by run.ts).

- Admin token for the admin routes that only read or clear a lockout, never for the writes:
  events of this run reach the shared Kafka topics, and an admin write on a common name
  (a force delete of `admin`) would change accounts other test systems use.
- Sign-up is asynchronous: after a 202 of POST /v1/users, wait until the request left `pending`
  before schemathesis follows the links (login, state, ...).
- Sign-ups and updates get fresh names and contacts: hypothesis draws few distinct valid values ("aaa"), and
  names taken in an earlier phase or run (the test database persists) would answer 409 instead of
  starting a stateful chain. Only bodies that are already valid are changed, so negative cases stay.
- A 503 with Retry-After is overload protection, not a failure (the run stays below that load).
- Counts every answer per operation and status into API_FUZZ_STATS (JSON) for the coverage table.
"""

import atexit
import itertools
import json
import os
import re
import secrets
import time
from collections import defaultdict

import requests
import schemathesis

BASE = os.environ["API_FUZZ_BASE_URL"]
ADMIN_TOKEN = os.environ.get("API_FUZZ_ADMIN_TOKEN")
STATS_FILE = os.environ.get("API_FUZZ_STATS")
ADMIN_READ_OPERATIONS = {"getLoginLimit", "getLockout", "clearLockout"}
ACTIVE_WAIT_SECONDS = 20

stats = defaultdict(lambda: defaultdict(int))
RUN = secrets.token_hex(2)
fresh = itertools.count(1)
USERNAME = re.compile(r"^[a-zA-Z0-9_.-]{3,32}$")


def operation_id(case):
    return case.operation.definition.raw.get("operationId", case.operation.label)


PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")


def fresh_contacts(case, fields):
    """Fresh values for the unique fields of a body whose values are valid (others stay as drawn)."""
    body = case.body
    if not isinstance(body, dict):
        return
    n = next(fresh)
    changed = dict(body)
    if "username" in fields and isinstance(body.get("username"), str) and USERNAME.match(body["username"]):
        changed["username"] = f"{body['username'][:20]}_{RUN}{n}"
    email = body.get("email")
    if isinstance(email, str) and email.count("@") == 1 and not email.startswith("."):
        local, domain = email.split("@")
        # A local part is at most 64 characters: keep a valid address valid.
        changed["email"] = f"f{RUN}{n}.{local[-48:].lstrip('.')}@{domain}" if local else email
    if isinstance(body.get("phone"), str) and PHONE.match(body["phone"]):
        changed["phone"] = f"+1{int(RUN, 16):05d}{n:07d}"
    case.body = changed


@schemathesis.hook
def before_call(context, case, kwargs):
    # Here rather than in map_case: schemathesis revalidates a case a before_call hook changed, so
    # its positive/negative label stays true.
    if case.operation.label == "POST /v1/users":
        fresh_contacts(case, ("username",))
    elif case.operation.label == "PATCH /v1/users/{username}":
        fresh_contacts(case, ())
    if ADMIN_TOKEN and operation_id(case) in ADMIN_READ_OPERATIONS:
        headers = dict(case.headers or {})
        if not any(k.lower() == "authorization" for k in headers):
            headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
            case.headers = headers


@schemathesis.hook
def after_call(context, case, response):
    op = operation_id(case)
    code = ""
    if response.status_code >= 400:
        try:
            code = f" {response.json().get('code')}"
        except Exception:
            code = ""
    stats[op][f"{response.status_code}{code}"] += 1
    if op == "createUser" and response.status_code == 202:
        request_id = response.json().get("requestId")
        deadline = time.monotonic() + ACTIVE_WAIT_SECONDS
        while time.monotonic() < deadline:
            state = requests.get(f"{BASE}/v1/requests/{request_id}", timeout=5).json().get("state")
            if state != "pending":
                stats["(sign-up outcome)"][state] += 1
                break
            time.sleep(0.1)
        else:
            stats["(sign-up outcome)"]["still pending"] += 1


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if response is not None and response.status_code == 503 and "retry-after" in {k.lower() for k in response.headers}:
        return False
    return True


def write_stats():
    if STATS_FILE:
        with open(STATS_FILE, "w") as f:
            json.dump({op: dict(codes) for op, codes in stats.items()}, f, indent=2, sort_keys=True)


atexit.register(write_stats)
