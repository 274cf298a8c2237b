"""Unit tests: LSN arithmetic, the routing state, the task header (no database needed)."""

from core.routing import lsn, state
from core.routing.state import PRIMARY_ONLY
from core.routing.tasks import parse_header


def test_lsn_round_trips_and_orders():
    assert lsn.parse("16/B374D848") == 0x16B374D848
    assert lsn.format_lsn(0x16B374D848) == "16/B374D848"
    assert lsn.parse("0/10") < lsn.parse("0/FF") < lsn.parse("1/0")


def test_garbage_lsn_is_none():
    for text in (None, "", "nonsense", "1/zz"):
        assert lsn.parse(text) is None


def test_required_lsn_only_moves_forward_and_primary_only_wins():
    with state.unit_of_work(min_lsn=100) as current:
        current.require_lsn(50)
        assert current.min_lsn == 100
        current.require_lsn(200)
        assert current.min_lsn == 200
        current.require_lsn(PRIMARY_ONLY)
        current.require_lsn(300)
        assert current.min_lsn == PRIMARY_ONLY


def test_units_of_work_do_not_leak_into_each_other():
    with state.unit_of_work() as outer:
        outer.wrote = True
        with state.unit_of_work() as inner:
            assert not inner.wrote
        assert state.current() is outer


def test_task_header_parsing():
    assert parse_header("primary") == PRIMARY_ONLY
    assert parse_header("0/FF") == 0xFF
    assert parse_header(None) is None


def test_a_deferred_position_is_looked_up_only_when_asked_for():
    looked_up = []

    def recall():
        looked_up.append(1)
        return 500

    with state.unit_of_work(min_lsn=100) as current:
        current.require_lsn_when_needed(recall)
        assert looked_up == []  # an answer from Redis alone never asks
        assert current.min_lsn == 500
        assert current.min_lsn == 500
        assert looked_up == [1]  # once
