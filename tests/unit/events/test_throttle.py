from server.events.throttle import Throttle


def test_first_goes_at_once_then_latest_wins_per_window() -> None:
    throttle: Throttle[int] = Throttle(0.1)
    assert throttle.offer("job", 1, now=0.0)
    assert not throttle.offer("job", 2, now=0.02)
    assert not throttle.offer("job", 3, now=0.05)
    assert throttle.wait(now=0.05) == 0.1 - 0.05
    assert throttle.due(now=0.09) == []
    assert throttle.due(now=0.1) == [3]  # the latest, not lost at the end of a burst
    assert throttle.wait(now=0.1) is None
    assert not throttle.offer("job", 4, now=0.15)  # the window restarted when 3 went


def test_keys_are_independent_and_forget_drops_pending() -> None:
    throttle: Throttle[str] = Throttle(0.1)
    assert throttle.offer("a", "a1", now=0.0) and throttle.offer("b", "b1", now=0.01)
    assert not throttle.offer("a", "a2", now=0.02)
    throttle.forget(["a"])
    assert throttle.wait(now=0.03) is None
    assert throttle.offer("a", "a3", now=0.03)  # forgotten: no window to wait for


def test_an_offer_after_the_window_supersedes_the_pending_item() -> None:
    throttle: Throttle[int] = Throttle(0.1)
    throttle.offer("job", 1, now=0.0)
    throttle.offer("job", 2, now=0.05)
    assert throttle.offer("job", 3, now=0.2)
    assert throttle.due(now=0.5) == []
