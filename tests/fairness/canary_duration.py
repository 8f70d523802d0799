"""Canary Duration: mistakes and acceptable alternatives, written from the notebook's text."""

from . import BLACK_CELL, alternative, mistake

SIZE = "def canary_sample_size("
DURATION = "def canary_duration("
FRACTION = "def min_traffic_fraction("
TRACK = "n_required = canary_sample_size("
WALD = "def wald_expected_n("
SPRT = "risk = 1 - scenario.canary_confidence"
FAIL = "def canary_sample_size_with_failures("
ROOF = "def roofline_time("
GUARD_DOWN = (
    "    while n > 1 and log_clean * (n - 1) <= log_miss:  # the ratio came out a hair too high\n        n = n - 1\n"
)
GUARD_UP = "    while log_clean * n > log_miss:  # ... or a hair too low\n        n = n + 1\n"

MUTANTS = {
    # -- canary_sample_size ------------------------------------------------------------------------------------
    "size_float": mistake(
        "the bound returned as a float (2995.0 is not a count)",
        "canary_sample_size",
        edit={SIZE: [("return int(n)", "return float(n)")]},
    ),
    "size_rule_of_three": mistake(
        "rule of three: ceil(3/p)",
        "canary_sample_size",
        replace={SIZE: "def canary_sample_size(confidence, failure_rate):\n    return math.ceil(3 / failure_rate)\n"},
    ),
    "size_floor": mistake(
        "floor instead of ceiling",
        "canary_sample_size",
        edit={
            SIZE: [
                ("n = max(1, math.ceil(log_miss / log_clean))", "n = max(1, math.floor(log_miss / log_clean))"),
                (GUARD_DOWN, ""),
                (GUARD_UP, ""),
            ]
        },
    ),
    "size_round": mistake(
        "round() instead of the ceiling",
        "canary_sample_size",
        edit={
            SIZE: [("math.ceil(log_miss / log_clean)", "round(log_miss / log_clean)"), (GUARD_DOWN, ""), (GUARD_UP, "")]
        },
    ),
    "size_guard_down_only": mistake(
        "guards the ceiling downwards only: a ratio a hair below an integer gives one too few",
        "canary_sample_size",
        edit={SIZE: [(GUARD_UP, "")]},
    ),
    "size_guard_up_only": mistake(
        "guards the ceiling upwards only: a ratio a hair above an integer gives one too many",
        "canary_sample_size",
        edit={SIZE: [(GUARD_DOWN, "")]},
    ),
    "size_unguarded_ceiling": mistake(
        "math.ceil alone: a ratio a hair above an integer gives one too many",
        "canary_sample_size",
        edit={SIZE: [(GUARD_DOWN, ""), (GUARD_UP, "")]},
    ),
    "size_confidence_swapped": mistake(
        "ln(C)/ln(1-p)", "canary_sample_size", edit={SIZE: [("math.log1p(-confidence)", "math.log(confidence)")]}
    ),
    "size_log_of_one_minus": mistake(
        "math.log(1 - p): digits lost for tiny rates",
        "canary_sample_size",
        edit={SIZE: [("math.log1p(-failure_rate)", "math.log(1 - failure_rate)")]},
    ),
    "size_plus_one": mistake(
        "ceil(ratio) + 1", "canary_sample_size", edit={SIZE: [("return int(n)", "return int(n) + 1")]}
    ),
    "size_approx_p": mistake(
        "ln(1-p) approximated by -p",
        "canary_sample_size",
        edit={SIZE: [("math.log1p(-failure_rate)", "-failure_rate")]},
    ),
    "size_numpy_ceil_float": mistake(
        "np.ceil: a float result",
        "canary_sample_size",
        replace={
            SIZE: "def canary_sample_size(confidence, failure_rate):\n"
            "    return np.ceil(np.log1p(-confidence) / np.log1p(-failure_rate))\n"
        },
    ),
    # -- canary_duration ---------------------------------------------------------------------------------------
    "duration_times_fraction": mistake(
        "n * f / r",
        "canary_duration",
        edit={
            DURATION: [("return samples / requests_seen_per_hour", "return samples * traffic_fraction / request_rate")]
        },
    ),
    "duration_ignores_fraction": mistake(
        "traffic fraction ignored",
        "canary_duration",
        edit={DURATION: [("request_rate * traffic_fraction", "request_rate")]},
    ),
    "duration_in_minutes": mistake(
        "minutes instead of the rate's unit",
        "canary_duration",
        edit={DURATION: [("return samples / requests_seen_per_hour", "return 60 * samples / requests_seen_per_hour")]},
    ),
    "duration_percent_fraction": mistake(
        "traffic fraction read as percent",
        "canary_duration",
        edit={DURATION: [("request_rate * traffic_fraction", "request_rate * traffic_fraction / 100")]},
    ),
    "duration_scalar_only": mistake(
        "float(samples): an array of sample counts raises (the notebook says arrays must work)",
        "canary_duration",
        edit={
            DURATION: [("return samples / requests_seen_per_hour", "return float(samples) / requests_seen_per_hour")]
        },
    ),
    "duration_default_one_percent": mistake(
        "default traffic_fraction=0.01",
        "canary_duration",
        edit={DURATION: [("traffic_fraction=1.0", "traffic_fraction=0.01")]},
    ),
    # -- min_traffic_fraction ----------------------------------------------------------------------------------
    "fraction_ge_one_none": mistake(
        "a fraction of exactly 1 returns None",
        "min_traffic_fraction",
        edit={FRACTION: [("if fraction > 1:", "if fraction >= 1:")]},
    ),
    "fraction_capped": mistake(
        "returns 1.0 instead of None when 100 % is too slow",
        "min_traffic_fraction",
        edit={FRACTION: [("        return None", "        return 1.0")]},
    ),
    "fraction_inverted": mistake(
        "r * budget / n",
        "min_traffic_fraction",
        edit={
            FRACTION: [("fraction = samples / (request_rate * budget)", "fraction = request_rate * budget / samples")]
        },
    ),
    "fraction_percent": mistake(
        "the share in percent",
        "min_traffic_fraction",
        edit={
            FRACTION: [
                ("fraction = samples / (request_rate * budget)", "fraction = 100 * samples / (request_rate * budget)"),
                ("if fraction > 1:", "if fraction > 100:"),
            ]
        },
    ),
    "fraction_zero_for_none": mistake(
        "returns 0 instead of None",
        "min_traffic_fraction",
        edit={FRACTION: [("        return None", "        return 0")]},
    ),
    # -- track answers -----------------------------------------------------------------------------------------
    "fits_inverted": mistake(
        "fits_release_cycle the wrong way round",
        "track_answer",
        edit={
            TRACK: [("shadow_hours <= scenario.release_cycle_hours", "shadow_hours >= scenario.release_cycle_hours")]
        },
    ),
    "fits_days_vs_hours": mistake(
        "the window in days compared with the cycle in hours",
        "track_answer",
        edit={
            TRACK: [
                (
                    "fits_release_cycle = shadow_hours <= scenario.release_cycle_hours",
                    "fits_release_cycle = shadow_hours / 24 <= scenario.release_cycle_hours",
                )
            ]
        },
    ),
    "shadow_hours_full_traffic": mistake(
        "shadow_hours at 100 % of traffic",
        "track_answer",
        edit={
            TRACK: [
                (
                    "canary_duration(n_required, scenario.request_rate_per_hour, scenario.canary_fraction)",
                    "canary_duration(n_required, scenario.request_rate_per_hour)",
                )
            ]
        },
    ),
    "needed_fraction_24h": mistake(
        "needed_fraction within one day instead of the release cycle",
        "track_answer",
        edit={TRACK: [("budget = scenario.release_cycle_hours", "budget = 24.0")]},
    ),
    "hardcoded_track_answers": mistake(
        "canary_sample_size left unfinished, n_required typed in",
        {"canary_sample_size", "track_answer"},
        edit={
            SIZE: [
                ("    log_miss = math.log1p(-confidence)", "    return 3000\n    log_miss = math.log1p(-confidence)")
            ],
            TRACK: [
                (
                    "n_required = canary_sample_size(scenario.canary_confidence, scenario.edge_case_rate)",
                    "n_required = 6907752",
                )
            ],
        },
    ),
    # -- sprt --------------------------------------------------------------------------------------------------
    "wald_log_base10": alternative(
        "log10 everywhere in Wald's formula: a ratio of logarithms does not depend on their base",
        edit={WALD: [("math.log(", "math.log10(")]},
    ),
    "wald_boundaries_swapped": mistake(
        "the two stopping boundaries swapped",
        "sprt",
        edit={
            WALD: [
                ("(1 - alpha) * stop_safe + alpha * stop_regressed", "(1 - alpha) * stop_regressed + alpha * stop_safe")
            ]
        },
    ),
    "wald_sign_denominator": mistake(
        "the step mean's second term with the ratio inverted",
        "sprt",
        edit={WALD: [("math.log((1 - p1) / (1 - p0))", "math.log((1 - p0) / (1 - p1))")]},
    ),
    "sprt_p1_equal_p0_times_ten": mistake(
        "p1 = 10 p0 for the track",
        "sprt",
        edit={SPRT: [("2 * scenario.edge_case_rate", "10 * scenario.edge_case_rate")]},
    ),
    "sprt_risk_is_confidence": mistake(
        "alpha = beta = 0.05 instead of 1 - confidence",
        "sprt",
        edit={SPRT: [("risk = 1 - scenario.canary_confidence", "risk = 0.05")]},
    ),
    # -- with failures -----------------------------------------------------------------------------------------
    "failures_scan_one_by_one": mistake(
        "scans n one by one (the notebook says not to: n can be in the millions)",
        "canary_sample_size_with_failures",
        edit={
            FAIL: [
                (
                    "    too_few, big_enough = failures, failures + 1\n",
                    "    n = failures + 1\n    while not enough(n):\n        n += 1\n    return n\n"
                    "    too_few, big_enough = failures, failures + 1\n",
                )
            ]
        },
    ),
    "failures_sf": alternative(
        "P(X > k) >= C with the survival function: the same bound computed without the rounding of 1 - C",
        edit={
            FAIL: [
                (
                    "stats.binom.cdf(failures, n, failure_rate) <= risk",
                    "stats.binom.sf(failures, n, failure_rate) >= confidence",
                )
            ]
        },
    ),
    "failures_bisect_off_by_one": mistake(
        "returns the last failing n",
        "canary_sample_size_with_failures",
        edit={FAIL: [("return int(big_enough)", "return int(too_few)")]},
    ),
    "failures_k_plus_one": mistake(
        "tolerates one failure more than asked",
        "canary_sample_size_with_failures",
        edit={FAIL: [("stats.binom.cdf(failures, n,", "stats.binom.cdf(failures + 1, n,")]},
    ),
    "failures_cdf_of_n": mistake(
        "P(X <= n) instead of P(X <= k)",
        "canary_sample_size_with_failures",
        edit={FAIL: [("stats.binom.cdf(failures, n, failure_rate)", "stats.binom.cdf(n - failures, n, failure_rate)")]},
    ),
    # -- shadow_latency -----------------------------------------------------------------------------------------
    "roof_sum": mistake(
        "compute + memory time instead of the max",
        "shadow_latency",
        edit={
            ROOF: [
                (
                    "max(ops / peak_ops_per_s, bytes_moved / bandwidth_bytes_per_s)",
                    "ops / peak_ops_per_s + bytes_moved / bandwidth_bytes_per_s",
                )
            ]
        },
    ),
    "roof_min": mistake("min instead of max", "shadow_latency", edit={ROOF: [("float(max(", "float(min(")]}),
    "roof_bits": mistake(
        "bandwidth read as bits per second",
        "shadow_latency",
        edit={ROOF: [("bytes_moved / bandwidth_bytes_per_s", "8 * bytes_moved / bandwidth_bytes_per_s")]},
    ),
    "t_infer_seconds": mistake(
        "t_infer_ms left in seconds",
        "shadow_latency",
        edit={ROOF: [("t_infer_ms = 1000 * t_infer", "t_infer_ms = t_infer")]},
    ),
    "t_infer_whole_node": mistake(
        "the LLM's work not divided over the replica's devices",
        "shadow_latency",
        track="cloud_titan",
        edit={
            ROOF: [
                (
                    "roofline_time(dep.ops_per_inference / n_dev, dep.parameters * dep.bytes_per_parameter / n_dev,",
                    "roofline_time(dep.ops_per_inference, dep.parameters * dep.bytes_per_parameter,",
                )
            ]
        },
    ),
    "share_not_clipped": mistake(
        "(budget - t)/t without the clip to [0, 1]",
        "shadow_latency",
        track="tiny_pioneer",
        edit={
            ROOF: [
                ("min(1.0, max(0.0, (budget_s - serve_s) / shadow_s))", "(budget_s - serve_s) / shadow_s"),
            ]
        },
    ),
    "share_all_or_nothing": mistake(
        "1 when serving and shadow fit the deadline together, else 0 (right on every track, wrong in between)",
        "shadow_latency",
        edit={
            ROOF: [
                (
                    "min(1.0, max(0.0, (budget_s - serve_s) / shadow_s))",
                    "1.0 if serve_s + shadow_s <= budget_s else 0.0",
                )
            ]
        },
    ),
    "share_slack_over_serve": mistake(
        "slack divided by the serving time instead of the shadow's (same on every track: same-sized shadow)",
        "shadow_latency",
        edit={ROOF: [("(budget_s - serve_s) / shadow_s", "(budget_s - serve_s) / serve_s")]},
    ),
    "share_no_lower_clip": mistake(
        "min(1, (budget - t)/t) without max(0, ...)",
        "shadow_latency",
        track="tiny_pioneer",
        edit={
            ROOF: [("min(1.0, max(0.0, (budget_s - serve_s) / shadow_s))", "min(1.0, (budget_s - serve_s) / shadow_s)")]
        },
    ),
    "share_over_budget": mistake(
        "share = (budget - t)/budget",
        "shadow_latency",
        edit={
            ROOF: [
                ("(budget_s - serve_s) / shadow_s)", "(budget_s - serve_s) / budget_s)"),
            ]
        },
    ),
    "prediction_blank": mistake("prediction left blank", "prediction", replace={"PREDICTION =": "PREDICTION = None\n"}),
    # -- alternatives ---------------------------------------------------------------------------------------
    "magic_cell": alternative("a cell of magics and operator continuation lines", insert=BLACK_CELL),
    "size_numpy_int": alternative(
        "canary_sample_size returns a NumPy integer", edit={SIZE: [("return int(n)", "return np.int64(n)")]}
    ),
    "size_while_from_one": alternative(
        "the guarded ceiling as a step-up loop from the floor",
        replace={
            SIZE: """def canary_sample_size(confidence, failure_rate):
    log_miss = math.log1p(-confidence)
    log_clean = math.log1p(-failure_rate)
    n = max(1, math.floor(log_miss / log_clean) - 1)
    while n * log_clean > log_miss:
        n += 1
    return n
"""
        },
    ),
    "duration_numpy_float": alternative(
        "canary_duration returns np.float64 (and fits_release_cycle becomes np.bool_)",
        edit={
            DURATION: [
                ("return samples / requests_seen_per_hour", "return np.float64(samples) / requests_seen_per_hour")
            ]
        },
    ),
    "duration_two_divisions": alternative(
        "n / r / f",
        edit={
            DURATION: [("return samples / requests_seen_per_hour", "return samples / request_rate / traffic_fraction")]
        },
    ),
    "fraction_numpy_float": alternative(
        "min_traffic_fraction as np.float64",
        edit={FRACTION: [("    return fraction", "    return np.float64(fraction)")]},
    ),
    "fits_bool_call": alternative(
        "fits_release_cycle wrapped in bool()",
        edit={
            TRACK: [
                (
                    "fits_release_cycle = shadow_hours <= scenario.release_cycle_hours",
                    "fits_release_cycle = bool(shadow_hours <= scenario.release_cycle_hours)",
                )
            ]
        },
    ),
    "wald_log_differences": alternative(
        "logs as differences, np.log",
        replace={
            WALD: """def wald_expected_n(p0, p1, alpha, beta):
    a = np.log(beta) - np.log(1 - alpha)
    b = np.log(1 - beta) - np.log(alpha)
    step = p0 * (np.log(p1) - np.log(p0)) + (1 - p0) * (np.log1p(-p1) - np.log1p(-p0))
    return float(((1 - alpha) * a + alpha * b) / step)
"""
        },
    ),
    "failures_linear_then_bisect": alternative(
        "doubling from 1 instead of failures + 1",
        edit={FAIL: [("too_few, big_enough = failures, failures + 1", "too_few, big_enough = 0, 1")]},
    ),
    "roof_numpy_max": alternative(
        "np.maximum, np.float64 result",
        edit={
            ROOF: [
                (
                    "return float(max(ops / peak_ops_per_s, bytes_moved / bandwidth_bytes_per_s))",
                    "return np.maximum(ops / peak_ops_per_s, bytes_moved / bandwidth_bytes_per_s)",
                )
            ]
        },
    ),
    "share_np_clip": alternative(
        "np.clip for the share",
        edit={
            ROOF: [
                (
                    "min(1.0, max(0.0, (budget_s - serve_s) / shadow_s))",
                    "float(np.clip((budget_s - serve_s) / shadow_s, 0.0, 1.0))",
                )
            ]
        },
    ),
    "other_track": alternative("the Mobile Nomad track", track="mobile_nomad"),
}
