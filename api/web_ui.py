"""Links into the Temporal Web UI, the alert board (DESIGN §6), at the address staff's browsers
reach it (XUEJI_TEMPORAL_UI_ORIGIN: the embedded UI's by default, the login proxy's in
production): the `xueji dev` banner, `xueji demo scenario`, the console's nav and its status
page all take them from here."""

from urllib.parse import quote

from core.settings import Settings

# Ready-made filters of running cases: the board's views.
ALERT_FILTERS = (
    ("全部逾期", 'ExecutionStatus = "Running" AND Overdue = true'),
    ("河北省逾期", 'ExecutionStatus = "Running" AND Overdue = true AND ProvinceCode = "130000"'),
    ("已逐级上报两级以上", 'ExecutionStatus = "Running" AND EscalationLevel >= 2'),
)


def web_ui(settings: Settings) -> str:
    """The Web UI's page of the namespace."""
    return f"{settings.temporal_ui_origin.rstrip('/')}/namespaces/{settings.temporal_namespace}"


def filter_link(settings: Settings, query: str) -> str:
    """The Web UI's workflow list filtered by a visibility query."""
    return f"{web_ui(settings)}/workflows?query={quote(query)}"


def workflow_link(settings: Settings, workflow_id: str) -> str:
    """The Web UI's list showing the one case (its row opens the history)."""
    return filter_link(settings, f'WorkflowId = "{workflow_id}"')


def alert_links(settings: Settings) -> list[tuple[str, str]]:
    """(name, link) of each ready-made filter."""
    return [(name, filter_link(settings, query)) for name, query in ALERT_FILTERS]
