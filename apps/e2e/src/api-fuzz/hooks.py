"""Schemathesis hooks for the api-fuzz run (loaded through SCHEMATHESIS_HOOKS by run.ts).

- Own accounts (`@schemathesis.auth`, which also turns off schemathesis' automatic sign-up: its
  login right after an asynchronous sign-up only ever got 401). Every account the run creates (a
  sign-up case answered 202, waited for until applied, or one the hooks sign up when none is free)
  is kept with its password and logged in when first needed. A request on /v1/users/{username}
  (read, state, PATCH, DELETE) carries the access token of the account it names: a drawn name that
  is valid but not an account of this run is replaced by one that is (valid stays valid, so the
  case's positive/negative label holds), an invalid one keeps its name and gets some own token
  (403, or 400). A token that a stateful link put in place (login → GET/PATCH/DELETE) is kept
  (and counts as explicit auth for ignored_auth).
  Cases whose security schemathesis negated (no or a broken Authorization) get nothing (401).
- The account is bound again right before the call: the coverage phase generates all cases of an
  operation before it sends any, so the account chosen then may have been deleted since.
- PATCH with `password` or `email` needs `currentPassword`: the account's password is put in, except
  in one case of ten (drawn value kept: 401 120301 / 403 120302 stay covered).
- Writes are asynchronous: after a 202 of PATCH, DELETE, force delete, disable or enable on an own
  account the request is followed until it left `pending`; an applied password change or enable
  logs the account in again (its sessions ended), an applied delete or force delete forgets it.
  A deleted account's last token is then tried on GET /v1/users/{username}: anything but 401 fails
  the run (custom check `own_account_use_after_delete`).
- Admin token for the admin routes, on own accounts only for the admin writes (force delete,
  disable, enable): events of this run reach the shared Kafka topics, and an admin write on a
  common name (a force delete of `admin`) would change accounts other test systems use. A changed
  login limit (this system's Redis prefix) is put back at once, so later logins are not refused.
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
ADMIN_READ_OPERATIONS = {"getLoginLimit", "getLockout", "clearLockout", "setLoginLimit"}
ADMIN_ACCOUNT_WRITES = {"forceDeleteUser", "disableUser", "enableUser"}
USER_OPERATIONS = {"getUser", "updateUser", "deleteUser", "getUserState"}
ACTIVE_WAIT_SECONDS = 20

stats = defaultdict(lambda: defaultdict(int))
RUN = secrets.token_hex(2)
fresh = itertools.count(1)
USERNAME = re.compile(r"^[a-zA-Z0-9_.-]{3,32}$")
http = requests.Session()


def operation_id(case):
    return case.operation.definition.raw.get("operationId", case.operation.label)


PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")


def fresh_phone(n):
    return f"+1{int(RUN, 16):05d}{n:07d}"


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
        changed["phone"] = fresh_phone(n)
    case.body = changed


# --- accounts of this run ---------------------------------------------------------------------


class Account:
    def __init__(self, username, password):
        self.username = username
        self.password = password
        self.token = None  # this hook's own session (schemathesis' logins are sessions of their own)
        self.state = "active"  # active, disabled, deleted


accounts = {}  # username -> Account, every account this run created
token_owner = {}  # access token -> username, every token a login or refresh answered
refresh_owner = {}  # refresh token -> username
bound = {}  # case id -> (username, whether the path parameter was replaced)
dead_token_answers = {}  # case id of an applied own-account delete -> status its last token then got
picks = itertools.count()
patches = itertools.count()


def wait_request(request_id):
    """State of an accepted write once it left `pending` (or 'still pending')."""
    deadline = time.monotonic() + ACTIVE_WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            state = http.get(f"{BASE}/v1/requests/{request_id}", timeout=5).json().get("state")
        except (requests.RequestException, ValueError):
            state = "pending"
        if state != "pending":
            return state
        time.sleep(0.05)
    return "still pending"


def log_in(account):
    response = http.post(f"{BASE}/v1/auth/login", json={"username": account.username, "password": account.password}, timeout=10)
    if response.status_code != 200:
        stats["(own login)"][str(response.status_code)] += 1
        account.token = None
        return None
    account.token = response.json()["accessToken"]
    token_owner[account.token] = account.username
    return account.token


def sign_up_own():
    """A fresh active account of this run, signed up by the hooks themselves (none was free)."""
    n = next(fresh)
    account = Account(f"fz_{RUN}_{n}", secrets.token_hex(12))
    body = {"username": account.username, "password": account.password, "email": f"fz{RUN}.{n}@example.com", "phone": fresh_phone(n)}
    response = http.post(f"{BASE}/v1/users", json=body, timeout=10)
    if response.status_code != 202:
        stats["(own sign-up)"][str(response.status_code)] += 1
        return None
    state = wait_request(response.json()["requestId"])
    stats["(own sign-up)"][state] += 1
    if state != "applied":
        return None
    accounts[account.username] = account
    return account


def usable(account):
    return account is not None and account.state == "active" and (account.token or log_in(account))


def pick(op, exclude=None):
    """An own account for an operation: the oldest active one, a disabled one to enable, a fresh one."""
    if op == "enableUser":
        for account in accounts.values():
            if account.state == "disabled" and account.username != exclude:
                return account
    candidates = [a for a in accounts.values() if a.state == "active" and a.username != exclude]
    # Destructive writes take the newest account; reads and updates spread over the others.
    if op in ("deleteUser", "forceDeleteUser", "disableUser"):
        candidates.reverse()
    elif candidates:
        k = next(picks) % min(len(candidates), 8)
        candidates = candidates[k:] + candidates[:k]
    for account in candidates:
        if usable(account):
            return account
        if account.state == "active":
            break  # its login failed: do not try every account
    account = sign_up_own()
    return account if usable(account) else None


def authorization(case):
    headers = case.headers or {}
    for key, value in headers.items():
        if key.lower() == "authorization":
            return value
    return None


def set_authorization(case, token):
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    headers["Authorization"] = f"Bearer {token}"
    case.headers = headers


@schemathesis.auth(refresh_interval=None, retry_on=[])
class OwnAccounts:
    """Admin token for the admin reads; an own account (and its token) for the account routes."""

    def get(self, case, context):
        op = operation_id(case)
        if op in ADMIN_READ_OPERATIONS:
            return ("admin", None) if ADMIN_TOKEN else None
        if op not in USER_OPERATIONS and op not in ADMIN_ACCOUNT_WRITES:
            return None
        header = authorization(case)
        if isinstance(header, str) and header.removeprefix("Bearer ") in token_owner:
            # A stateful link's token for the account it logged in: kept, and marked as explicit
            # auth (ignored_auth then probes it without and with a broken token).
            return ("keep", header.removeprefix("Bearer "))
        name = (case.path_parameters or {}).get("username")
        if name in accounts:
            # Named by a link (sign-up → state): that account's token, also once deleted (→ 401).
            account = accounts[name]
            if account.state == "active" and usable(account):
                return ("account", name, False)
            return None
        account = pick(op)
        if account is None:
            return None
        return ("account", account.username, isinstance(name, str) and USERNAME.match(name) is not None)

    def set(self, case, data, context):
        if data[0] == "admin":
            set_authorization(case, ADMIN_TOKEN)
            return
        if data[0] == "keep":
            set_authorization(case, data[1])
            return
        _, name, replace = data
        bind(case, name, replace)


def bind(case, name, replace):
    bound[case.id] = (name, replace)
    if replace:
        case.path_parameters = {**(case.path_parameters or {}), "username": name}
    if operation_id(case) in ADMIN_ACCOUNT_WRITES:
        set_authorization(case, ADMIN_TOKEN)
    else:
        set_authorization(case, accounts[name].token)


def rebind(case):
    """The account bound at generation may have changed since (coverage cases are generated first)."""
    name, replace = bound[case.id]
    op = operation_id(case)
    account = accounts.get(name)
    still_fits = usable(account) if op != "enableUser" else account is not None and account.state == "disabled"
    if replace and op in ("deleteUser", "forceDeleteUser", "disableUser") and still_fits:
        # Each destructive case takes an account of its own: the newest free one.
        fit = pick(op)
        if fit is not None:
            account, still_fits = fit, True
    if not still_fits:
        account = pick(op)
        if account is None:
            return
    bind(case, account.username, replace)


def target_account(case):
    name = (case.path_parameters or {}).get("username")
    return accounts.get(name) if isinstance(name, str) else None


@schemathesis.hook
def before_call(context, case, kwargs):
    # Here rather than in map_case: schemathesis revalidates a case a before_call hook changed, so
    # its positive/negative label stays true.
    op = operation_id(case)
    if op == "createUser":
        fresh_contacts(case, ("username",))
    elif op == "updateUser":
        fresh_contacts(case, ())
    if case.id in bound:
        rebind(case)
    if op == "updateUser" and isinstance(case.body, dict) and ("password" in case.body or "email" in case.body):
        account = target_account(case)
        if account is not None and next(patches) % 10 != 0:
            case.body = {**case.body, "currentPassword": account.password}


def follow(case, response):
    """After an own account's write was accepted: its outcome, and what it changes for the account."""
    account = target_account(case)
    op = operation_id(case)
    if account is None or response.status_code != 202:
        return
    try:
        request_id = response.json()["requestId"]
    except (ValueError, KeyError, TypeError):
        return
    state = wait_request(request_id)
    stats[f"({op} outcome)"][state] += 1
    if state != "applied":
        return
    if op == "updateUser" and isinstance(case.body, dict) and isinstance(case.body.get("password"), str):
        account.password = case.body["password"]
        account.token = None  # a password change ends every session
    elif op in ("deleteUser", "forceDeleteUser"):
        old = account.token
        account.state = "deleted"
        account.token = None
        if old is not None and op == "deleteUser":
            # Use after delete: the account's sessions end at most SESSION_CHECK_CACHE_TTL (1 s) after.
            time.sleep(1.1)
            answer = http.get(f"{BASE}/v1/users/{account.username}", headers={"Authorization": f"Bearer {old}"}, timeout=10)
            dead_token_answers[case.id] = answer.status_code
            stats["(deleted account's token)"][str(answer.status_code)] += 1
    elif op == "disableUser":
        account.state = "disabled"
        account.token = None
    elif op == "enableUser":
        account.state = "active"
        account.token = None


login_limit = {}


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
        state = wait_request(request_id)
        stats["(sign-up outcome)"][state] += 1
        body = case.body if isinstance(case.body, dict) else {}
        if state == "applied" and isinstance(body.get("password"), str):
            name = response.json().get("username")
            accounts.setdefault(name, Account(name, body["password"]))
    elif op in ("login", "refresh") and response.status_code == 200:
        pair = response.json()
        name = case.body.get("username") if op == "login" and isinstance(case.body, dict) else refresh_owner.get(case.body.get("refreshToken") if isinstance(case.body, dict) else None)
        if name is not None:
            token_owner[pair["accessToken"]] = name
            refresh_owner[pair["refreshToken"]] = name
    elif op == "setLoginLimit" and response.status_code == 200 and login_limit:
        # Put the run's own login limit back: a low one would refuse the logins that follow.
        http.put(f"{BASE}/admin/ratelimit/login", json=login_limit, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10)
    elif op in ("updateUser", "deleteUser", "forceDeleteUser", "disableUser", "enableUser"):
        follow(case, response)
    if response.status_code == 401 and case.id in bound and operation_id(case) in USER_OPERATIONS:
        account = accounts.get(bound[case.id][0])
        header = authorization(case)
        if account is not None and account.state == "active" and header == f"Bearer {account.token}":
            stats["(own token refused)"][op] += 1
            account.token = None


@schemathesis.check
def own_account_use_after_delete(ctx, response, case):
    """After an own account's DELETE was applied, its last access token must answer 401."""
    status = dead_token_answers.get(case.id)
    if status is not None and status != 401:
        raise AssertionError(f"GET /v1/users/{{username}} with the deleted account's token answered {status}, not 401")
    return None


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if response is not None and response.status_code == 503 and "retry-after" in {k.lower() for k in response.headers}:
        return False
    return True


def read_login_limit():
    if not ADMIN_TOKEN:
        return
    try:
        data = http.get(f"{BASE}/admin/ratelimit/login", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10).json()["data"]
        login_limit.update({"value": data["value"], "window": data["window"], "effective": data["effective"]})
    except Exception:
        pass


read_login_limit()


def write_stats():
    if STATS_FILE:
        with open(STATS_FILE, "w") as f:
            json.dump({op: dict(codes) for op, codes in stats.items()}, f, indent=2, sort_keys=True)


atexit.register(write_stats)
