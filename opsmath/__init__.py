"""opsmath: the reference implementation every assignment answer is graded against.

Modules
-------
drift       PSI, KL, Jensen–Shannon, KS and the PSI status bands
retraining  accuracy decay, staleness cost, optimal retraining interval, policy simulator
rollout     canary/shadow sample sizes and durations, A/B sample size, SPRT
platform    toil model, platform break-even and ROI figures
slices      per-slice metrics and the rollout gate
contracts   feature-contract fingerprints, compatibility and per-feature skew
hardware    roofline latency, memory fit, energy, training cost, fleet updates, quantization error
tracks      the four course tracks and their constants
"""

from opsmath.contracts import (
    CompatibilityReport,
    check_compatibility,
    feature_skew,
    schema_fingerprint,
    skewed_features,
)
from opsmath.drift import (
    DEFAULT_EPS,
    PSI_BANDS,
    bin_counts,
    bin_edges,
    degraded_accuracy,
    drift_status,
    js_divergence,
    kl_divergence,
    ks_critical_value,
    ks_statistic,
    psi,
    psi_from_samples,
)
from opsmath.hardware import (
    average_power,
    energy_per_inference,
    fits_in_latency_budget,
    fits_in_memory,
    fleet_update_bytes,
    fleet_update_seconds,
    histogram_bytes,
    max_inference_rate,
    max_model_copies,
    max_monitored_features,
    model_bytes,
    quantization_error,
    roofline_time,
    shadow_share,
    training_energy_kwh,
    training_run_cost,
)
from opsmath.platform import (
    ToilModel,
    automation_break_even_weeks,
    break_even_models,
    false_alerts_per_day,
    manual_toil,
    platform_cost,
    platform_roi,
    platform_roi_ratio,
    platform_toil,
    savings_break_even_models,
    single_model_roi,
    skew_cost,
    team_capacity_models,
)
from opsmath.retraining import (
    PolicyResult,
    accuracy_at,
    cost_rate,
    exact_retrain_interval,
    optimal_retrain_interval,
    retrain_decision,
    simulate_retraining,
    staleness_cost,
    time_to_threshold,
)
from opsmath.rollout import (
    DEFAULT_STAGES,
    SPRT,
    ab_sample_size,
    ab_sample_size_proportions,
    binomial_cdf,
    canary_duration,
    canary_sample_size,
    canary_sample_size_with_failures,
    detection_delay,
    min_traffic_fraction,
    rule_of_three,
    rule_of_three_sample_size,
    staged_rollout,
)
from opsmath.slices import GateDecision, aggregate_accuracy, rollout_gate, slice_gap, slice_metrics, worst_slice
from opsmath.tracks import TRACKS, Deployment, Hardware, Scenario, Track, get_track, track_constants

__version__ = "0.1.0"

__all__ = [name for name in dir() if not name.startswith("_")]
