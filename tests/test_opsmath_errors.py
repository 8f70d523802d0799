"""Invalid inputs to :mod:`opsmath` raise ``ValueError`` with a message naming the problem.

Each case checks the exception type and, with ``match``, that the message says
which argument was wrong and why. Cases the library currently accepts although
they are invalid are regression tests for bugs this file once caught.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import opsmath as om

ECON = {"C": 5_000.0, "Q": 1e6, "V": 0.5, "A0": 0.95, "lam": 0.02}
RETRAIN_FUNCS = [om.optimal_retrain_interval, om.exact_retrain_interval]


# --- drift ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("func", [om.psi, om.kl_divergence, om.js_divergence])
def test_negative_proportions(func) -> None:
    with pytest.raises(ValueError, match="expected must not contain negative proportions"):
        func([-0.1, 1.1], [0.5, 0.5])
    with pytest.raises(ValueError, match="actual must not contain negative"):
        func([0.5, 0.5], [0.6, -0.1])


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_proportions(bad: float) -> None:
    with pytest.raises(ValueError, match="expected must contain only finite values"):
        om.psi([bad, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="actual must contain only finite values"):
        om.kl_divergence([0.5, 0.5], [0.5, bad])


@pytest.mark.parametrize("func", [om.psi, om.kl_divergence, om.js_divergence])
def test_mismatched_bins(func) -> None:
    with pytest.raises(ValueError, match="same number of bins, got 2 and 3"):
        func([0.5, 0.5], [0.2, 0.3, 0.5])


@pytest.mark.parametrize("func", [om.psi, om.kl_divergence, om.js_divergence])
def test_zero_totals(func) -> None:
    with pytest.raises(ValueError, match="expected must have a positive total"):
        func([0, 0, 0], [1, 2, 3])
    with pytest.raises(ValueError, match="actual must have a positive total"):
        func([1, 2, 3], [0.0, 0.0, 0.0])


def test_empty_and_multidimensional_histograms() -> None:
    with pytest.raises(ValueError, match="at least one bin"):
        om.psi([], [])
    with pytest.raises(ValueError, match="one-dimensional"):
        om.psi([[0.5, 0.5]], [[0.5, 0.5]])


@pytest.mark.parametrize("eps", [-1e-4, 1.0, 2.0, math.nan])
def test_bad_eps(eps: float) -> None:
    with pytest.raises(ValueError, match="eps"):
        om.psi([0.5, 0.5], [0.4, 0.6], eps=eps)


def test_js_bad_base() -> None:
    with pytest.raises(ValueError, match="base must not be 1"):
        om.js_divergence([0.5, 0.5], [0.4, 0.6], base=1)
    with pytest.raises(ValueError, match="base must be positive"):
        om.js_divergence([0.5, 0.5], [0.4, 0.6], base=-2)


def test_ks_bad_samples() -> None:
    with pytest.raises(ValueError, match="reference must contain at least one observation"):
        om.ks_statistic([], [1.0, 2.0])
    with pytest.raises(ValueError, match="live must contain only finite values"):
        om.ks_statistic([1.0, 2.0], [1.0, math.nan])


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, 1.5])
def test_ks_critical_value_bad_alpha(alpha: float) -> None:
    with pytest.raises(ValueError, match="alpha must lie strictly between 0 and 1"):
        om.ks_critical_value(100, 100, alpha)


def test_ks_critical_value_bad_sizes() -> None:
    with pytest.raises(ValueError, match="n must be positive"):
        om.ks_critical_value(0, 100)


@pytest.mark.parametrize("strategy", ["kmeans", "Quantile", ""])
def test_bad_strategy(strategy: str) -> None:
    with pytest.raises(ValueError, match="strategy must be 'quantile' or 'uniform'"):
        om.bin_edges([1.0, 2.0, 3.0], 3, strategy)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="strategy"):
        om.psi_from_samples([1.0, 2.0, 3.0], [1.0, 2.0], strategy=strategy)  # type: ignore[arg-type]


@pytest.mark.parametrize("bins", [0, -3, 2.5, True])
def test_bad_bins(bins: object) -> None:
    with pytest.raises(ValueError, match="bins must be a positive integer"):
        om.bin_edges([1.0, 2.0, 3.0], bins)  # type: ignore[arg-type]


def test_psi_from_samples_bins_zero() -> None:
    with pytest.raises(ValueError, match="bins must be a positive integer, got 0"):
        om.psi_from_samples([1.0, 2.0, 3.0], [1.0, 2.0], bins=0)


@pytest.mark.parametrize(("value", "pattern"), [(-0.01, "non-negative"), (math.nan, "NaN"), ("high", "'high'")])
def test_drift_status_bad_value(value: object, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        om.drift_status(value)  # type: ignore[arg-type]


def test_drift_status_negative_infinity() -> None:
    with pytest.raises(ValueError, match="psi_value"):
        om.drift_status(-math.inf)


def test_drift_status_bad_bands() -> None:
    with pytest.raises(ValueError, match="bands must satisfy 0 <= low <= high"):
        om.drift_status(0.1, bands=(0.2, 0.1))


def test_degraded_accuracy_bad_inputs() -> None:
    with pytest.raises(ValueError, match=r"accuracy0 must lie in \[0, 1\]"):
        om.degraded_accuracy(1.2, 0.1, 0.1)
    with pytest.raises(ValueError, match="non-negative"):
        om.degraded_accuracy(0.9, -0.1, 0.1)
    with pytest.raises(ValueError, match="divergence must be finite"):
        om.degraded_accuracy(0.9, 0.1, math.nan)


# --- retraining ----------------------------------------------------------------------------------


@pytest.mark.parametrize("func", RETRAIN_FUNCS)
@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("C", r"C \(retraining cost\) must be positive"),
        ("Q", r"Q \(queries per day\) must be positive"),
        ("V", r"V \(value per accuracy point\) must be positive"),
    ],
)
@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_non_positive_economics(func, name: str, pattern: str, bad: float) -> None:
    with pytest.raises(ValueError, match=pattern):
        func(**{**ECON, name: bad})


@pytest.mark.parametrize("func", RETRAIN_FUNCS)
def test_nan_economics(func) -> None:
    with pytest.raises(ValueError, match=r"C \(retraining cost\) must not be NaN"):
        func(**{**ECON, "C": math.nan})
    with pytest.raises(ValueError, match=r"lam .*must not be NaN"):
        func(**{**ECON, "lam": math.nan})


@pytest.mark.parametrize("func", RETRAIN_FUNCS)
def test_accuracy_above_one(func) -> None:
    with pytest.raises(ValueError, match=r"A0 \(initial accuracy\) must be a fraction in \(0, 1\]"):
        func(**{**ECON, "A0": 1.05})
    with pytest.raises(ValueError, match=r"A0 .*must be positive"):
        func(**{**ECON, "A0": 0.0})


def test_cost_rate_accuracy_above_one() -> None:
    with pytest.raises(ValueError, match=r"A0 .*fraction"):
        om.cost_rate(1.0, **{**ECON, "A0": 1.5})


@pytest.mark.parametrize(
    "call",
    [
        lambda: om.accuracy_at(1.0, 1.5, 0.1),
        lambda: om.staleness_cost(1.0, 1e6, 0.5, 1.5, 0.1),
        lambda: om.simulate_retraining(5_000, 1e6, 0.5, 1.5, 0.02, 10, interval=1),
    ],
    ids=["accuracy_at", "staleness_cost", "simulate_retraining"],
)
def test_accuracy_above_one_everywhere(call) -> None:
    with pytest.raises(ValueError, match="A0"):
        call()


@pytest.mark.parametrize("func", RETRAIN_FUNCS)
def test_negative_decay(func) -> None:
    with pytest.raises(ValueError, match=r"lam \(decay rate per day\) must be a finite non-negative number"):
        func(**{**ECON, "lam": -0.01})


def test_negative_decay_elsewhere() -> None:
    with pytest.raises(ValueError, match="lam must be a finite non-negative number"):
        om.staleness_cost(1.0, 1e6, 0.5, 0.95, -0.1)
    with pytest.raises(ValueError, match="lam must be a finite non-negative number"):
        om.accuracy_at(1.0, 0.95, -0.1)
    with pytest.raises(ValueError, match="lam must be non-negative and finite"):
        om.simulate_retraining(5_000, 1e6, 0.5, 0.95, [0.01, -0.01], 10, interval=1)


def test_bad_intervals() -> None:
    with pytest.raises(ValueError, match="T must be positive"):
        om.cost_rate(0.0, **ECON)
    with pytest.raises(ValueError, match="T must be finite and non-negative"):
        om.staleness_cost(-1.0, 1e6, 0.5, 0.95, 0.02)
    with pytest.raises(ValueError, match="t must be finite and non-negative"):
        om.accuracy_at([1.0, -1.0], 0.95, 0.02)


def test_time_to_threshold_bad_threshold() -> None:
    with pytest.raises(ValueError, match="threshold must not exceed A0"):
        om.time_to_threshold(0.9, 0.01, 0.95)
    with pytest.raises(ValueError, match="threshold must be positive"):
        om.time_to_threshold(0.9, 0.01, 0.0)


def test_retrain_decision_negative() -> None:
    with pytest.raises(ValueError, match="training_cost must be a finite non-negative number"):
        om.retrain_decision(1.0, 1.0, -5.0)


def test_simulate_policy_choice() -> None:
    with pytest.raises(ValueError, match="give exactly one of interval and threshold"):
        om.simulate_retraining(5_000, 1e6, 0.5, 0.95, 0.02, 10)
    with pytest.raises(ValueError, match="give exactly one of interval and threshold"):
        om.simulate_retraining(5_000, 1e6, 0.5, 0.95, 0.02, 10, interval=1, threshold=0.9)
    with pytest.raises(ValueError, match="threshold must not exceed A0"):
        om.simulate_retraining(5_000, 1e6, 0.5, 0.95, 0.02, 10, threshold=0.99)
    with pytest.raises(ValueError, match="steps_per_day must be a positive integer"):
        om.simulate_retraining(5_000, 1e6, 0.5, 0.95, 0.02, 10, interval=1, steps_per_day=0)
    with pytest.raises(ValueError, match="horizon_days must be positive"):
        om.simulate_retraining(5_000, 1e6, 0.5, 0.95, 0.02, 0, interval=1)


# --- rollout -------------------------------------------------------------------------------------


@pytest.mark.parametrize("confidence", [0.0, 1.0, -0.5, 1.5, math.nan])
def test_confidence_outside_open_unit_interval(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence"):
        om.canary_sample_size(confidence, 0.01)
    with pytest.raises(ValueError, match="confidence"):
        om.canary_sample_size_with_failures(confidence, 0.01, 2)


@pytest.mark.parametrize("confidence", [0.0, 1.0])
def test_confidence_message(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence must lie strictly between 0 and 1"):
        om.canary_sample_size(confidence, 0.01)


@pytest.mark.parametrize("rate", [0.0, 1.0, -0.01])
def test_failure_rate_outside_open_unit_interval(rate: float) -> None:
    with pytest.raises(ValueError, match="failure_rate must lie strictly between 0 and 1"):
        om.canary_sample_size(0.95, rate)
    with pytest.raises(ValueError, match="failure_rate must lie strictly between 0 and 1"):
        om.canary_sample_size_with_failures(0.95, rate, 1)
    with pytest.raises(ValueError, match="failure_rate"):
        om.rule_of_three_sample_size(rate)


@pytest.mark.parametrize("failures", [-1, 1.5, True])
def test_bad_failure_count(failures: object) -> None:
    with pytest.raises(ValueError, match="failures must be a non-negative integer"):
        om.canary_sample_size_with_failures(0.95, 0.01, failures)  # type: ignore[arg-type]


def test_rule_of_three_zero() -> None:
    with pytest.raises(ValueError, match="n must be positive"):
        om.rule_of_three(0)


def test_canary_duration_bad_inputs() -> None:
    with pytest.raises(ValueError, match="traffic_fraction must be at most 1"):
        om.canary_duration(1_000, 1e6, 1.5)
    with pytest.raises(ValueError, match="traffic_fraction must be positive"):
        om.canary_duration(1_000, 1e6, 0.0)
    with pytest.raises(ValueError, match="request_rate must be positive"):
        om.canary_duration(1_000, 0.0, 0.1)
    with pytest.raises(ValueError, match="samples must be a finite non-negative number"):
        om.canary_duration(-1, 1e6, 0.1)


def test_staged_rollout_bad_stages() -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        om.staged_rollout(1_000, 1e6, stages=(0.05, 0.01, 1.0))
    with pytest.raises(ValueError, match=r"fractions in \(0, 1\]"):
        om.staged_rollout(1_000, 1e6, stages=(0.5, 2.0))
    with pytest.raises(ValueError, match="non-empty"):
        om.staged_rollout(1_000, 1e6, stages=())


def test_ab_sample_size_bad_inputs() -> None:
    with pytest.raises(ValueError, match="sigma must be positive"):
        om.ab_sample_size(0.0, 0.1)
    with pytest.raises(ValueError, match="delta must be positive"):
        om.ab_sample_size(1.0, -0.1)
    with pytest.raises(ValueError, match="alpha must lie strictly between 0 and 1"):
        om.ab_sample_size(1.0, 0.1, alpha=1.0)
    with pytest.raises(ValueError, match="power must lie strictly between 0 and 1"):
        om.ab_sample_size(1.0, 0.1, power=0.0)
    with pytest.raises(ValueError, match="baseline must lie strictly between 0 and 1"):
        om.ab_sample_size_proportions(0.0, 0.01)


def test_detection_delay_bad_rate() -> None:
    with pytest.raises(ValueError, match="request_rate must be positive"):
        om.detection_delay(1_000, 0)


@pytest.mark.parametrize(("p0", "p1"), [(0.05, 0.05), (0.05, 0.01)])
def test_sprt_p0_not_below_p1(p0: float, p1: float) -> None:
    with pytest.raises(ValueError, match="p0 must be smaller than p1"):
        om.SPRT(p0, p1)


def test_sprt_bad_parameters() -> None:
    with pytest.raises(ValueError, match="p0 must lie strictly between 0 and 1"):
        om.SPRT(0.0, 0.1)
    with pytest.raises(ValueError, match="alpha must lie strictly between 0 and 1"):
        om.SPRT(0.01, 0.05, alpha=1.0)
    test = om.SPRT(0.01, 0.05)
    with pytest.raises(ValueError, match="failures cannot exceed n"):
        test.llr(5, 3)
    with pytest.raises(ValueError, match="n must be a non-negative integer"):
        test.decision(0, -1)
    with pytest.raises(ValueError, match="true_rate must be p0 or p1"):
        test.expected_sample_size(0.03)


def test_sprt_alpha_plus_beta_at_least_one() -> None:
    with pytest.raises(ValueError, match="alpha"):
        om.SPRT(0.01, 0.05, alpha=0.6, beta=0.6)


# --- platform ------------------------------------------------------------------------------------


def test_toil_model_negative_coefficient() -> None:
    with pytest.raises(ValueError, match="heterogeneity must be a finite non-negative number"):
        om.ToilModel(heterogeneity=-1)
    with pytest.raises(ValueError, match="alert_hours must not be NaN"):
        om.ToilModel(alert_hours=math.nan)


def test_platform_bad_inputs() -> None:
    with pytest.raises(ValueError, match="number of models must be finite and non-negative"):
        om.manual_toil(-1)
    with pytest.raises(ValueError, match="capex must be a finite non-negative number"):
        om.break_even_models(-1.0, 150.0)
    with pytest.raises(ValueError, match="hourly_cost must be positive"):
        om.platform_roi(10, 500_000, 0.0)
    with pytest.raises(ValueError, match="amortisation_years must be positive"):
        om.platform_cost(10, 500_000, 150, amortisation_years=0)
    with pytest.raises(ValueError, match="platform_cost must be positive"):
        om.platform_roi_ratio(50, 20, 150, 0)
    with pytest.raises(ValueError, match="savings_per_model must be positive"):
        om.savings_break_even_models(1e6, 0)
    with pytest.raises(ValueError, match="weekly_manual_hours must be positive"):
        om.automation_break_even_weeks(80, 0)
    with pytest.raises(ValueError, match="investment must be positive"):
        om.single_model_roi(4, 25_000, 240, 150, 0)
    with pytest.raises(ValueError, match=r"error_rate must be a fraction in \[0, 1\]"):
        om.skew_cost(1.5, 1e6, 0.1)
    with pytest.raises(ValueError, match="false_positive_rate must be at most 1"):
        om.false_alerts_per_day(10, 2.0)
    with pytest.raises(ValueError, match="capacity_hours must be a finite non-negative number"):
        om.team_capacity_models(-1)


# --- slices --------------------------------------------------------------------------------------


def _metrics(rows: dict[str, tuple[int, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {"n": [r[0] for r in rows.values()], "accuracy": [r[1] for r in rows.values()]},
        index=pd.Index(list(rows), name="slice"),
    )


def test_rollout_gate_unknown_target_slice() -> None:
    m = _metrics({"day": (1_000, 0.95), "night": (1_000, 0.90)})
    with pytest.raises(ValueError, match="target slice 'snow' not found"):
        om.rollout_gate(m, m, "snow")


def test_rollout_gate_different_slices() -> None:
    old = _metrics({"day": (1_000, 0.95), "night": (1_000, 0.90)})
    new = _metrics({"day": (1_000, 0.95), "dusk": (1_000, 0.90)})
    with pytest.raises(ValueError, match="same slices"):
        om.rollout_gate(old, new, "day")


def test_rollout_gate_negative_tolerance() -> None:
    m = _metrics({"day": (1_000, 0.95)})
    with pytest.raises(ValueError, match="tolerance must be a finite non-negative number"):
        om.rollout_gate(m, m, "day", tolerance=-0.01)


def test_slice_metrics_bad_frames() -> None:
    with pytest.raises(ValueError, match="missing column"):
        om.slice_metrics(pd.DataFrame({"slice": ["a"], "label": [1]}))
    with pytest.raises(ValueError, match="no rows"):
        om.slice_metrics(pd.DataFrame({"slice": [], "label": [], "prediction": []}))
    with pytest.raises(ValueError, match="expected a pandas DataFrame"):
        om.slice_metrics({"slice": ["a"], "label": [1], "prediction": [1]})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no slices"):
        om.worst_slice(_metrics({}))


# --- contracts -----------------------------------------------------------------------------------


def test_contract_errors() -> None:
    with pytest.raises(ValueError, match="a contract must be a mapping"):
        om.schema_fingerprint([["a", "float32"]])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'features' list"):
        om.schema_fingerprint({"version": "1"})
    with pytest.raises(ValueError, match=r"\[name, dtype\] pair"):
        om.schema_fingerprint({"features": ["a"]})
    with pytest.raises(ValueError, match="feature names must be unique"):
        om.schema_fingerprint({"features": [["a", "float32"], ["a", "int8"]]})


def test_feature_skew_no_shared_features() -> None:
    with pytest.raises(ValueError, match="share no features"):
        om.feature_skew({"a": np.arange(10.0)}, {"b": np.arange(10.0)})


# --- tracks --------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["cloud_tital", "Cloud Titan", "", "tiny"])
def test_unknown_track_key(key: str) -> None:
    with pytest.raises(ValueError, match=r"unknown track .*choose one of \['cloud_titan', 'edge_guardian'"):
        om.get_track(key)
    with pytest.raises(ValueError, match="unknown track"):
        om.track_constants(key)


@pytest.mark.parametrize(
    "contract",
    [{"features": [["a", "f4"], 3]}, {"features": 5}, {"features": [["a", "f4"]], "params": [1, 2]}],
)
def test_malformed_contracts_raise_value_error(contract: dict) -> None:
    with pytest.raises(ValueError, match=r"feature|params"):
        om.schema_fingerprint(contract)
