"""The activities the worker registers are the ones the workflows call: each implementation
method keeps its interface's name, argument and result types (workflows/activity_interfaces.py)."""

import inspect

import pytest
from temporalio.activity import _Definition

from activities.calendar import CalendarActivities
from activities.notify import OutboxActivities
from activities.org import OrgActivities
from activities.store import StoreActivities
from workflows.activity_interfaces import (
    CalendarActivityInterface,
    OrgActivityInterface,
    OutboxActivityInterface,
    StoreActivityInterface,
)

PAIRS = [
    (CalendarActivityInterface, CalendarActivities),
    (OrgActivityInterface, OrgActivities),
    (StoreActivityInterface, StoreActivities),
    (OutboxActivityInterface, OutboxActivities),
]


def _definitions(cls: type) -> dict[str, _Definition]:
    found = {}
    for name, member in inspect.getmembers(cls, inspect.isfunction):
        defn = _Definition.from_callable(member)
        if defn is not None:
            found[name] = defn
    return found


@pytest.mark.parametrize(("interface", "implementation"), PAIRS, ids=lambda c: c.__name__)
def test_every_interface_method_is_implemented_under_its_name(
    interface: type, implementation: type
) -> None:
    assert issubclass(implementation, interface)
    declared = _definitions(interface)
    assert declared
    for method, defn in declared.items():
        own = implementation.__dict__.get(method)
        assert own is not None, f"{implementation.__name__}.{method} is not implemented"
        implemented = _Definition.must_from_callable(own)
        assert implemented.name == defn.name
        assert (implemented.arg_types, implemented.ret_type) == (defn.arg_types, defn.ret_type)
