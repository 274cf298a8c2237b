"""The failover workload's clock (tests/support/workload.py): what counts as "writes are back" (the RTO of
test_failover.py and `make failover-drill`)."""

from tests.support.workload import Log, Outcome

KILL = 100.0


def outcome(sent: float, answered: float, kind: str = "invoice", status: int = 201, replayed: bool = False):
    return Outcome(answered, kind, status, object_id=1, replayed=replayed, latency=answered - sent)


def test_writes_are_back_at_the_first_success_of_a_write_sent_after_the_fault():
    log = Log()
    log.add(outcome(sent=99.9, answered=100.3))  # committed before the kill, answered after: not recovery
    log.add(outcome(sent=100.5, answered=104.0, status=503))  # refused
    log.add(outcome(sent=104.2, answered=106.0, replayed=True))  # a replay wrote nothing
    log.add(outcome(sent=104.5, answered=106.5, kind="read", status=200))  # a read is no write
    assert log.first_write_sent_after(KILL) is None
    log.add(outcome(sent=105.0, answered=107.2, kind="payment"))
    log.add(outcome(sent=106.0, answered=107.1))
    assert log.first_write_sent_after(KILL) == 107.1
