"""The call-level model's measured blocking against Erlang B (insensitivity to the holding law)."""

import pytest

from contracts.errors import InputError
from contracts.traffic import erlang_b
from sim.calls import CallModel, Holding, simulate_blocking

RUN = {"calls_per_replication": 10_000, "replications": 8, "warmup_calls": 500, "seed": 7}


@pytest.mark.parametrize(
    "model",
    [
        CallModel(7, 5.0, 180, Holding.exponential),
        CallModel(7, 5.0, 180, Holding.lognormal, lognormal_cv=2.0),
        CallModel(18, 10.0, 120, Holding.exponential),
        CallModel(12, 10.0, 300, Holding.lognormal, lognormal_cv=0.5),
    ],
    ids=["7ch-5E-exp", "7ch-5E-lognormal-cv2", "18ch-10E-exp", "12ch-10E-lognormal-cv0.5"],
)
def test_measured_blocking_covers_erlang_b(model):
    est = simulate_blocking(model, **RUN)
    assert est.erlang_b == pytest.approx(erlang_b(model.offered_erlangs, model.channels))
    assert est.covers(est.erlang_b), est
    assert est.confidence == 0.95 and est.replications == 8 and est.calls == 80_000


def test_interval_is_sharp_enough_to_reject_one_channel_more_or_less():
    model = CallModel(7, 5.0, 180, Holding.lognormal, lognormal_cv=2.0)
    est = simulate_blocking(model, **RUN)
    assert not est.covers(erlang_b(5.0, 8))
    assert not est.covers(erlang_b(5.0, 6))


def test_same_seed_same_estimate_other_seed_other_estimate():
    model = CallModel(5, 3.0)
    kw = {"calls_per_replication": 2_000, "replications": 3, "warmup_calls": 100}
    assert simulate_blocking(model, seed=1, **kw) == simulate_blocking(model, seed=1, **kw)
    assert simulate_blocking(model, seed=1, **kw).blocking != simulate_blocking(model, seed=2, **kw).blocking


def test_bad_models_are_input_errors():
    with pytest.raises(InputError):
        CallModel(-1, 5.0)
    with pytest.raises(InputError):
        CallModel(3, 0.0)
    with pytest.raises(InputError):
        simulate_blocking(CallModel(3, 1.0), replications=1)
