import threading

import pytest

from heygem.errors import InputError
from heygem.flow import Flow


def alive():
    return [t for t in threading.enumerate() if t.name.startswith("heygem-")]


def test_items_pass_through_stages_in_order():
    with Flow() as flow:
        doubled = flow.start("double", (2 * i for i in range(100)))
        shifted = flow.start("shift", (i + 1 for i in doubled))
        assert list(shifted) == [2 * i + 1 for i in range(100)]
    assert alive() == []


def test_a_failing_stage_surfaces_once_as_itself_and_stops_the_rest():
    raised = InputError("frame 3 is broken")
    later = []

    def source():
        yield from range(3)
        raise raised

    def render(items):
        for i in items:
            yield i
        later.append("render went on after the failure")

    with pytest.raises(InputError) as caught, Flow() as flow:
        for _ in flow.start("render", render(flow.start("decode", source()))):
            pass
    assert caught.value is raised
    assert later == [] and alive() == []


def test_leaving_early_stops_blocked_stages_and_runs_their_cleanup():
    cleaned = []

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            cleaned.append(True)

    with pytest.raises(KeyError), Flow() as flow:
        for i in flow.start("endless", endless()):
            if i == 5:
                raise KeyError("the consumer failed")
    assert cleaned == [True] and alive() == []


def test_a_stage_runs_ahead_by_its_depth_and_no_further():
    produced = []

    def counted():
        for i in range(100):
            produced.append(i)
            yield i

    with Flow() as flow:
        items = flow.start("ahead", counted(), depth=3)
        for _ in range(500):  # 3 wait in the queue, a 4th waits to be put
            if len(produced) == 4:
                break
            threading.Event().wait(0.01)
        threading.Event().wait(0.1)
        assert len(produced) == 4
        assert list(items) == list(range(100))
    assert alive() == []
