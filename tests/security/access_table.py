"""Who may do what (DESIGN §7), route by route: the table the route walk checks the app against.

Each route of the app (method and path template, as the app's route table names it) has one
entry: the principals (a role at a position, tests/security/world.py) whose request must get
past authorisation, and the request to send. Every other principal must be refused: 401 or
the console's login page for nobody signed in, 403 or 404 for the rest. A principal that is
let through may still get 409 or 422 (the request is harmless on purpose: a unit outside the
case's subtree, a step the case is not at, an empty answer), never 401, 403 or 404.

Positions: `handling` the case's handling unit (石家庄市, also the unit the unit-scoped routes
act on), `above` the province that received the case, `top` the Ministry, `route` the county a
slip passes through to its school, `below` a county under the handling unit off every route,
`outside` another province, `school` the school a slip is addressed to, `other_school`
another school of that county.

To add a route: an entry under its "METHOD /path" with `Access(who, ...)`; `who(...)` picks
principals by position and role.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.security.world import PRINCIPALS, PUBLIC, World
from tests.support.demo import CITY, SHANG_CHENG

CASE_ROLES = ("clerk", "handler", "leader")
ACTORS = ("handler", "leader")
BUREAUS = ("handling", "above", "top", "route", "below", "outside")
SCHOOLS = ("school", "other_school")
SEES_THE_CASE = ("handling", "above", "top")  # the handling unit and its ancestors


def who(positions: tuple[str, ...] = (), roles: tuple[str, ...] = ()) -> frozenset[str]:
    """The principals at any of `positions` (all, when empty) holding any of `roles`."""
    found = set()
    for principal in PRINCIPALS[1:]:
        position, role = principal.split(".")
        if (not positions or position in positions) and (not roles or role in roles):
            found.add(principal)
    return frozenset(found)


EVERYONE = frozenset(PRINCIPALS)
SIGNED_IN = EVERYONE - {PUBLIC}
NOBODY: frozenset[str] = frozenset()
BUREAU_CASE_STAFF = who(BUREAUS, CASE_ROLES)
BUREAU_ACTORS = who(BUREAUS, ACTORS)
SLIP_STAFF = BUREAU_CASE_STAFF | who(SCHOOLS)
OPS = who(("top",), ("sysadmin",))  # runs the system (api/system_status.py)

Body = Callable[[World, str], Any] | Any  # a value, or made from the world and the principal


@dataclass(frozen=True)
class Access:
    allowed: frozenset[str]
    json: Body = None  # the JSON body (JSON routes)
    form: Body = None  # the form fields (console posts; the walker adds the CSRF token)
    params: dict[str, str] = field(default_factory=dict)  # the query string
    case: str = "complaint_id"  # the target that fills {complaint_id}
    slip: str = "slip_id"  # the target that fills {slip_id}: the school's slip, or the county's
    fresh_session: bool = False  # the request ends or changes the session: a new one each time


def own_name(world: World, principal: str) -> dict[str, str]:
    return {"assignee": world.username(principal)}


def current_policy(world: World, principal: str) -> dict[str, Any]:
    return world.policy


OUTSIDE_THE_CASE = SHANG_CHENG  # a county of another province: no slip may go there
PUBLIC_REPLY = {"channel": "letter", "message": "已书面告知", "public_reply": "已核实处理"}
REPORT = {
    "entries": [
        {
            "name": "赵敏",
            "workplace": "石家庄市教育局基础教育处",
            "position": "处长",
            "office_phone": "0311 8600 1234",
            "mobile": "13803110000",
            "email": "zhao@130100.example.cn",
        }
    ],
    "public_phone": "0311-86001000",
    "public_email": "xueji@130100.example.cn",
}

UNKNOWN_SCHOOL_CALL = {
    "channel": "phone",
    "complainant": {"name": "张晓明"},
    "school_codes": ["2999999999"],
    "summary": "又来电反映",
}

CASE_STEP = who(("handling",), ACTORS)  # the handling unit's own steps
CASE_READERS = who(SEES_THE_CASE, CASE_ROLES)
# A slip is seen by the units on its route, from the handling unit down to its addressee;
# the units above see the case (and its slips in it), not the slip on its own.
SLIP_READERS = who(("handling", "route"), CASE_ROLES) | who(("school",))
SLIP_ADDRESSEE = who(("school",), ("handler",))
# A case's files: the units that see the case, and the school of a slip (its own slip's).
FILE_READERS = who((*SEES_THE_CASE, "route"), CASE_ROLES) | who(("school",))
OPENERS = who(("above", "top", "outside"), ACTORS)  # the Ministry and the provinces
# The unit above the handling unit reviews (复核); its staff or the handling unit's register
# a review the complainant asked for by phone or letter.
REVIEWERS = who(("above",), ACTORS)
REVIEW_REGISTRARS = who(("handling", "above"), CASE_ROLES)
STATS_OF_CITY = who(SEES_THE_CASE, ("leader",))  # the handling unit (the city) and above

ROUTES: dict[str, Access] = {
    # ---------------------------------------------------------------- public
    "GET /api/health": Access(EVERYONE),
    "GET /openapi.json": Access(EVERYONE),
    "GET /docs": Access(EVERYONE),
    "GET /docs/oauth2-redirect": Access(EVERYONE),
    "GET /redoc": Access(EVERYONE),
    "GET /static": Access(EVERYONE),
    "GET /api/directory": Access(EVERYONE),
    "GET /directory": Access(EVERYONE),
    "GET /faq": Access(EVERYONE),
    "GET /api/faq": Access(EVERYONE),
    "GET /track": Access(EVERYONE),
    "GET /api/track/{tracking_no}": Access(EVERYONE),  # the code is posted now: 410
    "POST /api/track": Access(EVERYONE, json={"tracking_no": "不是编号", "code": "0"}),  # 422
    "POST /api/track/review": Access(EVERYONE, json={"tracking_no": "不是编号"}),  # 422
    "POST /track": Access(EVERYONE),  # an empty form: the page again, naming the fields
    "POST /track/review": Access(EVERYONE),  # an empty form: the page again, naming the field
    # ---------------------------------------------------------------- one's own session
    "POST /api/auth/login": Access(EVERYONE, json={}),
    "POST /api/auth/logout": Access(SIGNED_IN, fresh_session=True),
    "GET /api/auth/me": Access(SIGNED_IN),
    "POST /api/auth/password": Access(SIGNED_IN, json={}),
    "POST /api/auth/totp/enrol": Access(SIGNED_IN, fresh_session=True),
    "POST /api/auth/totp/confirm": Access(SIGNED_IN, json={}),
    "GET /console/login": Access(EVERYONE),
    "POST /console/login": Access(EVERYONE, form={"username": "x" * 40}),  # 422, no attempt
    "POST /console/logout": Access(SIGNED_IN, form={}, fresh_session=True),
    "GET /console/password": Access(SIGNED_IN),
    "POST /console/password": Access(SIGNED_IN, form={}),
    # ---------------------------------------------------------------- administrators (三员)
    "GET /api/admin/password-policy": Access(who(roles=("secadmin",))),
    # The policy is national: the Ministry's security administrator alone sets it.
    "PUT /api/admin/password-policy": Access(who(("top",), ("secadmin",)), json=current_policy),
    "POST /api/admin/users": Access(
        who(SEES_THE_CASE, ("sysadmin",)),
        json={
            "username": "new.user",
            "display_name": "新用户",
            "unit_code": CITY,
            "role": "clerk",
            "password": "weak",
        },
    ),
    "GET /api/admin/users": Access(who(roles=("sysadmin",))),  # each its own subtree
    "PATCH /api/admin/users/{username}": Access(who(SEES_THE_CASE, ("sysadmin",)), json={}),
    # A sysadmin asks, a secadmin in scope decides (the first approval decides it: 409 after).
    "GET /api/admin/account-requests": Access(who(roles=("sysadmin", "secadmin"))),
    "POST /api/admin/account-requests/{request_id}/approve": Access(
        who(SEES_THE_CASE, ("secadmin",))
    ),
    "POST /api/admin/account-requests/{request_id}/refuse": Access(
        who(SEES_THE_CASE, ("secadmin",)) | {"handling.sysadmin"}  # the sysadmin who asked
    ),
    "POST /api/org/import": Access(who(("top",), ("sysadmin",)), json={"units": [], "schools": []}),
    "PATCH /api/org/units/{code}": Access(who(SEES_THE_CASE, ("sysadmin",)), json={}),
    # The tree: each sysadmin its own subtree; a new tree is the Ministry's sysadmin's.
    "GET /api/org/units/{code}": Access(who(SEES_THE_CASE, ("sysadmin",))),
    "GET /api/org/search": Access(who(roles=("sysadmin",)), params={"q": "长安"}),
    "POST /api/org/import/preview": Access(
        who(("top",), ("sysadmin",)), json={"units": [], "schools": []}
    ),
    "POST /api/org/units/{code}/confirm": Access(who(SEES_THE_CASE, ("sysadmin",))),
    # The contacts to confirm: for a province's subtree and above (the city is prefectural).
    "GET /api/org/contacts/stale": Access(who(("above", "top", "outside"), ("sysadmin",))),
    # National settings: the Ministry's administrators load the working-day calendar.
    "POST /api/calendar/years": Access(
        who(("top",), ("secadmin", "sysadmin")), json={"year": "这不是年份"}
    ),
    "POST /api/calendar/years/preview": Access(
        who(("top",), ("secadmin", "sysadmin")), json={"year": "这不是年份"}
    ),
    # Re-timing the running cases again (202: a durable run starts) / how the last one went.
    "POST /api/calendar/retime": Access(who(("top",), ("secadmin", "sysadmin"))),
    "GET /api/calendar/retime": Access(SIGNED_IN),
    "GET /api/calendar/years": Access(SIGNED_IN),
    "GET /api/calendar/years/{year}": Access(SIGNED_IN),
    "GET /api/audit": Access(who(roles=("auditor",))),
    "GET /api/audit/export": Access(who(roles=("auditor",))),
    "GET /api/audit/verify": Access(who(roles=("auditor",))),
    # ---------------------------------------------------------------- cases (JSON)
    "POST /api/complaints": Access(BUREAU_CASE_STAFF, json={}),
    "GET /api/complaints": Access(BUREAU_CASE_STAFF),
    "GET /api/complaints/{complaint_id}": Access(CASE_READERS),
    "GET /api/complaints/{complaint_id}/personal": Access(who(("handling",), CASE_ROLES)),
    # A school the tree does not hold: a reader is refused it (422), joining nothing.
    "POST /api/complaints/{complaint_id}/repeats": Access(CASE_READERS, json=UNKNOWN_SCHOOL_CALL),
    "POST /api/complaints/{complaint_id}/links": Access(
        CASE_READERS, json={"tracking_no": "NO-SUCH-CASE"}
    ),
    "POST /api/complaints/{complaint_id}/verification": Access(
        CASE_STEP, json={"addressees": [OUTSIDE_THE_CASE]}
    ),
    "POST /api/complaints/{complaint_id}/opinion": Access(
        CASE_STEP, json={"opinion": "无需处理", "executing_units": []}
    ),
    "POST /api/complaints/{complaint_id}/confirmation": Access(CASE_STEP, json={}),
    "POST /api/complaints/{complaint_id}/rework": Access(
        CASE_STEP, json={"executing_units": [OUTSIDE_THE_CASE]}
    ),
    "POST /api/complaints/{complaint_id}/informing": Access(CASE_STEP, json=PUBLIC_REPLY),
    "POST /api/complaints/{complaint_id}/slips/{slip_id}/return": Access(
        SLIP_ADDRESSEE, json={"response": " "}, case="slip_case"
    ),
    # The parties (the handling unit; no slip is out) propose a level; proposing the handling
    # unit itself is refused by the workflow, which changes nothing.
    "POST /api/complaints/{complaint_id}/dispute": Access(CASE_STEP, json={"proposed_unit": CITY}),
    "POST /api/complaints/{complaint_id}/ruling": Access(
        who(("above",), ("leader",)), json={"handling_unit": SHANG_CHENG}, case="disputed_case"
    ),
    "POST /api/complaints/{complaint_id}/withdrawal": Access(
        CASE_STEP, json={"reason": "投诉人撤回"}, case="withdrawn_case"
    ),
    "POST /api/complaints/{complaint_id}/assignee": Access(CASE_STEP, json=own_name),
    # After informing (the walk's case is still open: 409 for those let through).
    "POST /api/complaints/{complaint_id}/follow-up": Access(
        CASE_STEP, json={"result": "satisfied"}
    ),
    "POST /api/complaints/{complaint_id}/review-request": Access(
        REVIEW_REGISTRARS, json={"channel": "letter", "reason": "来信申请复核"}
    ),
    "POST /api/complaints/{complaint_id}/review": Access(
        REVIEWERS, json={"uphold": True, "reason": "维持原处理结果"}
    ),
    "POST /api/complaints/{complaint_id}/slips/{slip_id}/assignee": Access(
        SLIP_ADDRESSEE, json=own_name, case="slip_case"
    ),
    # ---------------------------------------------------------------- oversight (督办统计)
    # Leaders, for their unit and the bureaus below it: the city's figures by its own leader
    # and those above; every other unit's leader gets 404, as for a unit that does not exist.
    "GET /api/stats/summary": Access(STATS_OF_CITY, params={"unit": CITY}),
    "GET /api/stats/summary.xlsx": Access(STATS_OF_CITY, params={"unit": CITY}),
    "GET /api/stats/backlog": Access(STATS_OF_CITY, params={"unit": CITY}),
    "GET /console/stats": Access(STATS_OF_CITY, params={"unit": CITY}),
    "GET /console/stats.xlsx": Access(STATS_OF_CITY, params={"unit": CITY}),
    "GET /api/inbox": Access(SLIP_STAFF),
    "GET /api/slips": Access(SLIP_STAFF),
    "GET /api/slips/{complaint_id}/{slip_id}": Access(SLIP_READERS, case="slip_case"),
    "GET /api/slips/{complaint_id}/{slip_id}.pdf": Access(SLIP_READERS, case="slip_case"),
    # Evidence files: an upload without a file is a harmless 422 once the case is reachable.
    "POST /api/complaints/{complaint_id}/attachments": Access(
        FILE_READERS, json={}, case="slip_case"
    ),
    "GET /api/complaints/{complaint_id}/attachments": Access(FILE_READERS, case="slip_case"),
    "GET /api/complaints/{complaint_id}/attachments/{attachment_id}": Access(
        FILE_READERS, case="slip_case"
    ),
    "GET /api/schools": Access(BUREAU_CASE_STAFF, params={"q": "长安"}),
    "POST /api/codec/decode": Access(BUREAU_CASE_STAFF, json={"payloads": []}),
    # The whole installation's state: ops, the sysadmin of the top unit (三员).
    "GET /api/status": Access(OPS),
    # ---------------------------------------------------------------- campaigns, FAQ
    # The Ministry and the provinces (the other province too, for its own units) open them.
    "POST /api/campaigns": Access(
        OPENERS,
        json={"title": "报送", "due_date": "2000-01-01", "units": [CITY]},
    ),
    "POST /api/campaigns/plan": Access(
        OPENERS, json={"title": "报送", "due_date": "2000-01-01", "units": [CITY]}
    ),
    "GET /api/campaigns": Access(BUREAU_CASE_STAFF),
    "GET /api/campaigns/{campaign_id}": Access(who(("above", "handling"), CASE_ROLES)),
    "PUT /api/campaigns/{campaign_id}/report": Access(who(("handling",), ACTORS), json=REPORT),
    "POST /api/campaigns/{campaign_id}/close": Access(who(("above",), ACTORS)),
    "GET /api/campaigns/{campaign_id}/workbook.xlsx": Access(  # 409 until it has closed
        who(("above", "handling"), CASE_ROLES)
    ),
    "POST /api/faq": Access(BUREAU_ACTORS, json={}),
    "GET /api/faq/unit": Access(BUREAU_ACTORS),
    "PATCH /api/faq/{faq_id}": Access(who(SEES_THE_CASE, ACTORS), json={}),
    # ---------------------------------------------------------------- the console
    "GET /console": Access(SIGNED_IN),
    "GET /console/inbox/items": Access(SIGNED_IN),
    "GET /console/status": Access(OPS),
    "GET /console/register": Access(BUREAU_CASE_STAFF),
    "POST /console/register/form": Access(BUREAU_CASE_STAFF, form={}),
    "GET /console/register/schools": Access(BUREAU_CASE_STAFF, params={"q": "长安"}),
    "GET /console/register/student-row": Access(BUREAU_CASE_STAFF, params={"index": "1"}),
    "POST /console/register/preview": Access(BUREAU_CASE_STAFF, form={}),
    "POST /console/register": Access(BUREAU_CASE_STAFF, form={}),
    "GET /console/slips": Access(SLIP_STAFF),
    "GET /console/slips/{complaint_id}/{slip_id}.pdf": Access(SLIP_READERS, case="slip_case"),
    "POST /console/slips/{complaint_id}/{slip_id}/return": Access(
        SLIP_ADDRESSEE, form={"response": " "}, case="slip_case"
    ),
    "POST /console/slips/{complaint_id}/{slip_id}/assignee": Access(
        SLIP_ADDRESSEE, form=own_name, case="slip_case"
    ),
    "GET /console/cases": Access(BUREAU_CASE_STAFF),
    # The administrators' pages: the same rules as their JSON routes (national settings: the
    # Ministry's); an empty form is a 422 that changes nothing.
    "GET /console/policy": Access(who(roles=("secadmin",))),
    "POST /console/policy": Access(who(("top",), ("secadmin",)), form={}),
    "GET /console/calendar": Access(SIGNED_IN),
    "GET /console/calendar/retiming": Access(SIGNED_IN),
    "POST /console/calendar/preview": Access(who(("top",), ("secadmin", "sysadmin")), form={}),
    "POST /console/calendar/load": Access(who(("top",), ("secadmin", "sysadmin")), form={}),
    "GET /console/audit": Access(who(roles=("auditor",))),
    "GET /console/audit.csv": Access(who(roles=("auditor",))),
    "GET /console/audit/verify": Access(who(roles=("auditor",))),
    "GET /console/cases.xlsx": Access(BUREAU_CASE_STAFF),
    "GET /console/cases/{complaint_id}": Access(CASE_READERS),
    "GET /console/cases/{complaint_id}/live": Access(CASE_READERS),
    "GET /console/cases/{complaint_id}/personal": Access(who(("handling",), CASE_ROLES)),
    "POST /console/cases/{complaint_id}/link": Access(
        CASE_READERS, form={"tracking_no": "NO-SUCH-CASE"}
    ),
    # A school uploads from its slip's page, not the case page (which refuses schools).
    "POST /console/cases/{complaint_id}/attachments": Access(
        FILE_READERS - who(SCHOOLS), form={}, case="slip_case"
    ),
    "GET /console/cases/{complaint_id}/attachments/{attachment_id}": Access(
        FILE_READERS, case="slip_case"
    ),
    "GET /console/cases/{complaint_id}/addressees": Access(CASE_READERS, params={"find": "长安"}),
    "POST /console/cases/{complaint_id}/verification": Access(
        CASE_STEP, form={"addressees": OUTSIDE_THE_CASE}
    ),
    "POST /console/cases/{complaint_id}/opinion": Access(CASE_STEP, form={"opinion": "无需处理"}),
    "POST /console/cases/{complaint_id}/confirmation": Access(CASE_STEP, form={}),
    "POST /console/cases/{complaint_id}/rework": Access(
        CASE_STEP, form={"executing_units": OUTSIDE_THE_CASE}
    ),
    "POST /console/cases/{complaint_id}/informing": Access(CASE_STEP, form=PUBLIC_REPLY),
    # A school returns its slips from /console/slips; the case page serves the bureaus.
    "POST /console/cases/{complaint_id}/slips/{slip_id}/return": Access(
        who(("route",), ACTORS), form={"response": " "}, case="slip_case", slip="county_slip_id"
    ),
    "POST /console/cases/{complaint_id}/dispute": Access(CASE_STEP, form={"proposed_unit": CITY}),
    "POST /console/cases/{complaint_id}/ruling": Access(
        who(("above",), ("leader",)), form={"handling_unit": SHANG_CHENG}, case="disputed_case"
    ),
    "POST /console/cases/{complaint_id}/follow-up": Access(CASE_STEP, form={"result": "satisfied"}),
    "POST /console/cases/{complaint_id}/review-request": Access(
        REVIEW_REGISTRARS, form={"channel": "letter", "reason": "来信申请复核"}
    ),
    "POST /console/cases/{complaint_id}/review": Access(
        REVIEWERS, form={"decision": "uphold", "reason": "维持原处理结果"}
    ),
    "POST /console/cases/{complaint_id}/withdrawal": Access(
        CASE_STEP, form={"reason": "投诉人撤回"}, case="withdrawn_case"
    ),
    "POST /console/cases/{complaint_id}/assignee": Access(CASE_STEP, form=own_name),
    # 账号 (三员): the sysadmin asks and unlocks in its subtree, a secadmin in scope decides
    # (the request was decided by the JSON route's walk before: 409 from here on).
    "GET /console/accounts": Access(who(roles=("sysadmin", "secadmin"))),  # each its subtree
    "GET /console/accounts/new": Access(who(roles=("sysadmin",))),
    "POST /console/accounts/new": Access(  # 422: no name given
        who(SEES_THE_CASE, ("sysadmin",)),
        form={"username": "new.user", "display_name": "", "unit_code": CITY, "role": "clerk"},
    ),
    "GET /console/accounts/users/{username}": Access(who(SEES_THE_CASE, ("sysadmin",))),
    "POST /console/accounts/users/{username}": Access(who(SEES_THE_CASE, ("sysadmin",)), form={}),
    "POST /console/accounts/requests/{request_id}/approve": Access(
        who(SEES_THE_CASE, ("secadmin",)), form={}
    ),
    "POST /console/accounts/requests/{request_id}/refuse": Access(
        who(SEES_THE_CASE, ("secadmin",)) | {"handling.sysadmin"}, form={}
    ),
    # 动态口令: one's own enrolment (bound already: 409; a wrong code: 422).
    "GET /console/totp": Access(SIGNED_IN),
    "POST /console/totp": Access(SIGNED_IN, form={}, fresh_session=True),
    "POST /console/totp/confirm": Access(SIGNED_IN, form={}),
    # 人员信息报送: as /api/campaigns (empty forms: the form again, 422; closing early, 409).
    "GET /console/campaigns": Access(BUREAU_CASE_STAFF),
    "GET /console/campaigns/new": Access(OPENERS),
    "POST /console/campaigns/new": Access(OPENERS, form={}),
    "POST /console/campaigns/preview": Access(OPENERS, form={}),
    "POST /console/campaigns": Access(OPENERS, form={}),
    "GET /console/campaigns/{campaign_id}": Access(who(("above", "handling"), CASE_ROLES)),
    "GET /console/campaigns/{campaign_id}/report": Access(who(("handling",), ACTORS)),
    "POST /console/campaigns/{campaign_id}/report/form": Access(
        who(("handling",), ACTORS), form={}
    ),
    "POST /console/campaigns/{campaign_id}/report": Access(who(("handling",), ACTORS), form={}),
    "POST /console/campaigns/phone-check": Access(
        BUREAU_ACTORS, form={"mobile": "12"}, params={"name": "mobile"}
    ),
    "POST /console/campaigns/{campaign_id}/close": Access(who(("above",), ACTORS), form={}),
    "GET /console/campaigns/{campaign_id}/workbook.xlsx": Access(
        who(("above", "handling"), CASE_ROLES)
    ),
    # 常见问题: as /api/faq (the entry is the city's; empty forms are 422).
    "GET /console/faq": Access(BUREAU_ACTORS),
    "GET /console/faq/new": Access(BUREAU_ACTORS),
    "POST /console/faq/edit": Access(BUREAU_ACTORS, form={}),
    "POST /console/faq/preview": Access(BUREAU_ACTORS, form={}),
    "POST /console/faq": Access(BUREAU_ACTORS, form={}),
    "GET /console/faq/{faq_id}": Access(who(SEES_THE_CASE, ACTORS)),
    "POST /console/faq/{faq_id}": Access(who(SEES_THE_CASE, ACTORS), form={}),
    "POST /console/faq/{faq_id}/publication": Access(who(SEES_THE_CASE, ACTORS), form={}),
    # 组织机构 and 投诉电话和邮箱: the sysadmins, each its own subtree (the unit is the city).
    "GET /console/org": Access(who(roles=("sysadmin",))),
    "GET /console/org/units/{code}": Access(who(SEES_THE_CASE, ("sysadmin",))),
    "GET /console/org/import": Access(who(("top",), ("sysadmin",))),
    "POST /console/org/import": Access(who(("top",), ("sysadmin",)), form={}),  # 422: no files
    # The Ministry sysadmin's upload; a digest that is not the preview's is 409.
    "GET /console/org/import/{draft_id}": Access(who(("top",), ("sysadmin",))),
    "POST /console/org/import/{draft_id}": Access(who(("top",), ("sysadmin",)), form={}),
    "GET /console/contacts": Access(who(roles=("sysadmin",))),
    "GET /console/contacts/{code}": Access(who(SEES_THE_CASE, ("sysadmin",))),
    "POST /console/contacts/{code}": Access(
        who(SEES_THE_CASE, ("sysadmin",)), form={"phone": "call me"}
    ),
    "POST /console/contacts/{code}/confirm": Access(who(SEES_THE_CASE, ("sysadmin",)), form={}),
}
