"""Held-out mistakes and alternatives for canary_duration, written from the student notebook's text alone."""

from __future__ import annotations

from fairness import BLACK_CELL, alternative, mistake

CS = "def canary_sample_size("
CD = "def canary_duration"
MF = "def min_traffic_fraction"
TA = "n_required = canary_sample_size"
WE = "def wald_expected_n"
SP = "risk = 1 - scenario.canary_confidence"
CF = "def canary_sample_size_with_failures"
SL = "def roofline_time"

CEIL = "n = max(1, math.ceil(log_miss / log_clean))"
NREQ = "n_required = canary_sample_size(scenario.canary_confidence, scenario.edge_case_rate)"
SHADOW = "shadow_hours = canary_duration(n_required, scenario.request_rate_per_hour, scenario.canary_fraction)"
FITS = "fits_release_cycle = shadow_hours <= scenario.release_cycle_hours"
NEEDED = "needed_fraction = min_traffic_fraction(n_required, scenario.request_rate_per_hour, budget)"
SPRT = "sprt_expected_n = wald_expected_n(scenario.edge_case_rate, 2 * scenario.edge_case_rate, risk, risk)"
ROOF = "return float(max(ops / peak_ops_per_s, bytes_moved / bandwidth_bytes_per_s))"
SHARE = "return min(1.0, max(0.0, (budget_s - serve_s) / shadow_s))"
TMS = "t_infer_ms = 1000 * t_infer"
MSS = "max_shadow_share = shadow_share(t_infer, t_infer, dep.latency_budget_s)"
GUARD_DOWN = (
    "    while n > 1 and log_clean * (n - 1) <= log_miss:  # the ratio came out a hair too high\n        n = n - 1\n"
)
GUARD_UP = "    while log_clean * n > log_miss:  # ... or a hair too low\n        n = n + 1\n"


def _cs(old: str, new: str) -> dict:
    return {CS: [(old, new)]}


SAMPLE_NUMPY = '''def canary_sample_size(confidence, failure_rate):
    """Smallest n with (1 - failure_rate)**n <= 1 - confidence (clean requests needed)."""
    a, b = np.log1p(-failure_rate), np.log1p(-confidence)
    n = max(1, int(np.ceil(b / a)))
    while n > 1 and (n - 1) * a <= b:
        n -= 1
    while n * a > b:
        n += 1
    return np.int64(n)
'''

SAMPLE_RULE_OF_THREE = '''def canary_sample_size(confidence, failure_rate):
    """Smallest n with (1 - failure_rate)**n <= 1 - confidence (clean requests needed)."""
    return max(1, math.ceil(-math.log1p(-confidence) / failure_rate))
'''

FAILURES_FROZEN = '''def canary_sample_size_with_failures(confidence, failure_rate, failures):
    """Smallest n with P(Binomial(n, failure_rate) <= failures) <= 1 - confidence."""
    if failures == 0:
        return canary_sample_size(confidence, failure_rate)

    def ok(n):
        return stats.binom.cdf(failures, n, failure_rate) <= 1 - confidence

    lo = failures  # known too small (n must exceed failures)
    hi = max(failures + 1, canary_sample_size(confidence, failure_rate))
    while not ok(hi):
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = lo + (hi - lo) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi
'''

FAILURES_POISSON = FAILURES_FROZEN.replace(
    "stats.binom.cdf(failures, n, failure_rate)", "stats.poisson.cdf(failures, n * failure_rate)"
)

MUTANTS = {
    # ---- canary_sample_size ------------------------------------------------------------------------------------
    "h_cs_log_not_log1p": mistake(
        "math.log(1 - p) although the text asks for log1p",
        "canary_sample_size",
        edit=_cs("math.log1p(-failure_rate)", "math.log(1 - failure_rate)"),
    ),
    "h_cs_ceil_unguarded": mistake(
        "math.ceil of the ratio, no guard", "canary_sample_size", edit=_cs(GUARD_DOWN + GUARD_UP, "")
    ),
    "h_cs_round": mistake(
        "round instead of ceil, no guard",
        "canary_sample_size",
        # held-out fix: with the guard kept, the guard's loops corrected any start (not a mistake); no guard here
        edit={CS: [(CEIL, "n = max(1, round(log_miss / log_clean))"), (GUARD_DOWN + GUARD_UP, "")]},
    ),
    "h_cs_truncate": mistake(
        "int() truncation of the ratio",
        "canary_sample_size",
        edit={CS: [(CEIL, "n = max(1, int(log_miss / log_clean))"), (GUARD_UP, "")]},
    ),
    "h_cs_rule_of_three": mistake(
        "-p in place of ln(1 - p): the rule-of-three approximation",
        "canary_sample_size",
        replace={CS: SAMPLE_RULE_OF_THREE},
    ),
    "h_cs_log_confidence": mistake(
        "ln(C) instead of ln(1 - C)", "canary_sample_size", edit=_cs("math.log1p(-confidence)", "math.log(confidence)")
    ),
    "h_cs_inverted_ratio": mistake(
        "ratio upside down, no guard",
        "canary_sample_size",
        # held-out fix: with the guard kept, its loops walked from the wrong start to the right n (not a mistake)
        edit={CS: [(CEIL, "n = max(1, math.ceil(log_clean / log_miss))"), (GUARD_DOWN + GUARD_UP, "")]},
    ),
    "h_cs_float": mistake("returns a float", "canary_sample_size", edit=_cs("return int(n)", "return float(n)")),
    "h_cs_plus_one": mistake(
        "ceil + 1 (strictly more than the bound)",
        "canary_sample_size",
        edit=_cs(GUARD_DOWN + GUARD_UP, "    n = n + 1\n"),
    ),
    "h_cs_guard_up_only": mistake("guards only a ratio a hair too low", "canary_sample_size", edit=_cs(GUARD_DOWN, "")),
    "h_cs_guard_down_only": mistake(
        "guards only a ratio a hair too high", "canary_sample_size", edit=_cs(GUARD_UP, "")
    ),
    "h_cs_percent": mistake(
        "confidence read as a percentage (divided by 100)",
        "canary_sample_size",
        edit=_cs("math.log1p(-confidence)", "math.log1p(-confidence / 100)"),
    ),
    "h_cs_strict_bound": mistake(
        "'satisfies' read as <: ties move one up",
        "canary_sample_size",
        edit={
            CS: [
                ("log_clean * (n - 1) <= log_miss", "log_clean * (n - 1) < log_miss"),
                ("while log_clean * n > log_miss", "while log_clean * n >= log_miss"),
            ]
        },
    ),
    # ---- canary_duration ---------------------------------------------------------------------------------------
    "h_cd_times": mistake(
        "n * r * f instead of n / (r f)",
        "canary_duration",
        edit={CD: [("return samples / requests_seen_per_hour", "return samples * requests_seen_per_hour")]},
    ),
    "h_cd_no_fraction": mistake(
        "traffic fraction ignored", "canary_duration", edit={CD: [("request_rate * traffic_fraction", "request_rate")]}
    ),
    "h_cd_minutes": mistake(
        "minutes instead of the rate's unit",
        "canary_duration",
        edit={CD: [("return samples / requests_seen_per_hour", "return 60 * samples / requests_seen_per_hour")]},
    ),
    "h_cd_fraction_percent": mistake(
        "traffic fraction read as a percentage",
        "canary_duration",
        edit={CD: [("request_rate * traffic_fraction", "request_rate * traffic_fraction / 100")]},
    ),
    "h_cd_default_one_percent": mistake(
        "default traffic fraction 0.01 (the example's) instead of 1.0",
        "canary_duration",
        edit={CD: [("traffic_fraction=1.0", "traffic_fraction=0.01")]},
    ),
    "h_cd_scalar_only": mistake(
        "float(samples): fails for an array of sample counts",
        "canary_duration",
        edit={CD: [("return samples / requests_seen_per_hour", "return float(samples) / requests_seen_per_hour")]},
    ),
    "h_cd_floor_division": mistake(
        "// floors the hours",
        "canary_duration",
        edit={CD: [("return samples / requests_seen_per_hour", "return samples // requests_seen_per_hour")]},
    ),
    # ---- min_traffic_fraction ----------------------------------------------------------------------------------
    "h_mf_ge": mistake(
        ">= 1 returns None for exactly 100 %",
        "min_traffic_fraction",
        edit={MF: [("if fraction > 1:", "if fraction >= 1:")]},
    ),
    "h_mf_never_none": mistake(
        "never None", "min_traffic_fraction", edit={MF: [("    if fraction > 1:\n        return None\n", "")]}
    ),
    "h_mf_capped": mistake(
        "caps at 1.0 instead of None",
        "min_traffic_fraction",
        edit={MF: [("        return None\n", "        return 1.0\n")]},
    ),
    "h_mf_inverted": mistake(
        "r * budget / n",
        "min_traffic_fraction",
        edit={MF: [("fraction = samples / (request_rate * budget)", "fraction = request_rate * budget / samples")]},
    ),
    "h_mf_percent": mistake(
        "returns a percentage",
        "min_traffic_fraction",
        edit={MF: [("    return fraction\n", "    return 100 * fraction\n")]},
    ),
    "h_mf_budget_days": mistake(
        "budget taken as days (x 24)",
        "min_traffic_fraction",
        edit={
            MF: [("fraction = samples / (request_rate * budget)", "fraction = samples / (request_rate * budget * 24)")]
        },
    ),
    # ---- track answers -----------------------------------------------------------------------------------------
    "h_ta_fits_inverted": mistake(
        "> instead of <= for fits_release_cycle",
        "track_answer",
        edit={TA: [(FITS, "fits_release_cycle = shadow_hours > scenario.release_cycle_hours")]},
    ),
    "h_ta_fits_int": mistake(
        "fits_release_cycle as 0/1, not a bool",
        "track_answer",
        edit={TA: [(FITS, "fits_release_cycle = int(shadow_hours <= scenario.release_cycle_hours)")]},
    ),
    "h_ta_shadow_no_fraction": mistake(
        "shadow_hours at 100 % of traffic",
        "track_answer",
        edit={TA: [(SHADOW, "shadow_hours = canary_duration(n_required, scenario.request_rate_per_hour)")]},
    ),
    "h_ta_shadow_days": mistake("shadow window in days", "track_answer", edit={TA: [(SHADOW, SHADOW + " / 24")]}),
    "h_ta_typed_2995": mistake(
        "n_required typed from the chapter example", "track_answer", edit={TA: [(NREQ, "n_required = 2995")]}
    ),
    "h_ta_swapped_args": mistake(
        "confidence and rate swapped",
        "track_answer",
        edit={TA: [(NREQ, "n_required = canary_sample_size(scenario.edge_case_rate, scenario.canary_confidence)")]},
    ),
    "h_ta_needed_shadow_rate": mistake(
        "needed_fraction at the shadow's rate (r f) instead of the fleet's",
        "track_answer",
        edit={
            TA: [
                (
                    NEEDED,
                    "needed_fraction = min_traffic_fraction(n_required,"
                    " scenario.request_rate_per_hour * scenario.canary_fraction, budget)",
                )
            ]
        },
    ),
    "h_ta_needed_week_days": mistake(
        "budget of 7 (days) with an hourly rate",
        "track_answer",
        edit={TA: [(NEEDED, "needed_fraction = min_traffic_fraction(n_required, scenario.request_rate_per_hour, 7)")]},
    ),
    # ---- sprt --------------------------------------------------------------------------------------------------
    "h_sp_stop_inverted": mistake(
        "ln((1 - alpha) / beta) for the safe boundary",
        "sprt",
        edit={WE: [("math.log(beta / (1 - alpha))", "math.log((1 - alpha) / beta)")]},
    ),
    "h_sp_weights_swapped": mistake(
        "alpha and beta swapped in the numerator's weights",
        "sprt",
        edit={
            WE: [
                (
                    "((1 - alpha) * stop_safe + alpha * stop_regressed)",
                    "((1 - beta) * stop_safe + beta * stop_regressed)",
                )
            ]
        },
    ),
    "h_sp_drop_1_minus_p0": mistake(
        "(1 - p0) factor dropped in the denominator",
        "sprt",
        edit={WE: [("(1 - p0) * math.log((1 - p1) / (1 - p0))", "math.log((1 - p1) / (1 - p0))")]},
    ),
    "h_sp_track_confidence": mistake(
        # held-out fix: alpha = beta = C first, but Wald's E[N] is symmetric in alpha <-> 1 - alpha when alpha = beta
        # (the same number: no grader can see it); the realistic slip kept here splits the risk as a two-sided test
        "alpha = beta = (1 - confidence) / 2 (risk split as if two-sided)",
        "sprt",
        edit={
            SP: [
                (
                    SPRT,
                    "sprt_expected_n = wald_expected_n(scenario.edge_case_rate,"
                    " 2 * scenario.edge_case_rate, risk / 2, risk / 2)",
                )
            ]
        },
    ),
    "h_sp_track_p1_plus": mistake(
        "p1 = p0 + 0.01 instead of 2 p0",
        "sprt",
        edit={
            SP: [
                (
                    SPRT,
                    "sprt_expected_n = wald_expected_n(scenario.edge_case_rate,"
                    " scenario.edge_case_rate + 0.01, risk, risk)",
                )
            ]
        },
    ),
    "h_sp_track_rounded": mistake(
        # held-out fix: on edge_guardian E[N] is millions and the ceiling moves it by < 1e-6 (within the stated
        # tolerance); on mobile_nomad (about 4,000) it does not
        "sprt_expected_n rounded up to an integer",
        "sprt",
        track="mobile_nomad",
        edit={
            SP: [
                (
                    SPRT,
                    "sprt_expected_n = math.ceil(wald_expected_n(scenario.edge_case_rate,"
                    " 2 * scenario.edge_case_rate, risk, risk))",
                )
            ]
        },
    ),
    "h_sp_abs_missing": mistake(
        "numerator terms added with the wrong sign",
        "sprt",
        edit={
            WE: [
                ("(1 - alpha) * stop_safe + alpha * stop_regressed", "(1 - alpha) * stop_safe - alpha * stop_regressed")
            ]
        },
    ),
    # ---- canary_sample_size_with_failures ----------------------------------------------------------------------
    "h_cf_k_minus_one": mistake(
        "cdf at failures - 1",
        "canary_sample_size_with_failures",
        edit={CF: [("stats.binom.cdf(failures, n, failure_rate)", "stats.binom.cdf(failures - 1, n, failure_rate)")]},
    ),
    "h_cf_sf": alternative(
        # held-out fix: written as a mistake, but sf(k) >= C is cdf(k) <= 1 - C (more precisely computed), which the
        # suite admits on purpose where the two differ only by rounding
        "survival function: sf(k) >= C, the same bound as cdf(k) <= 1 - C",
        edit={
            CF: [
                (
                    "stats.binom.cdf(failures, n, failure_rate) <= risk",
                    "stats.binom.sf(failures, n, failure_rate) >= confidence",
                )
            ]
        },
    ),
    "h_cf_last_failing": mistake(
        "returns the last failing n",
        "canary_sample_size_with_failures",
        edit={CF: [("return int(big_enough)", "return int(too_few)")]},
    ),
    "h_cf_confidence": mistake(
        "cdf <= confidence instead of 1 - confidence",
        "canary_sample_size_with_failures",
        edit={CF: [("risk = 1 - confidence", "risk = confidence")]},
    ),
    "h_cf_poisson": mistake(
        "Poisson approximation instead of the binomial the text prescribes",
        "canary_sample_size_with_failures",
        replace={CF: FAILURES_POISSON},
    ),
    "h_cf_float": mistake(
        "returns a float",
        "canary_sample_size_with_failures",
        edit={CF: [("return int(big_enough)", "return float(big_enough)")]},
    ),
    # ---- shadow_latency ----------------------------------------------------------------------------------------
    "h_sl_sum": mistake(
        "compute + memory time summed, not the max",
        "shadow_latency",
        edit={SL: [(ROOF, "return float(ops / peak_ops_per_s + bytes_moved / bandwidth_bytes_per_s)")]},
    ),
    "h_sl_min": mistake("min instead of max", "shadow_latency", edit={SL: [(ROOF, ROOF.replace("max(", "min("))]}),
    "h_sl_bits": mistake(
        "bandwidth taken as bits per second (x 8)",
        "shadow_latency",
        edit={SL: [(ROOF, "return float(max(ops / peak_ops_per_s, 8 * bytes_moved / bandwidth_bytes_per_s))")]},
    ),
    "h_sl_ms_function": mistake(
        "roofline_time returns milliseconds",
        "shadow_latency",
        edit={
            SL: [
                (ROOF, "return 1000 * float(max(ops / peak_ops_per_s, bytes_moved / bandwidth_bytes_per_s))"),
                (TMS, "t_infer_ms = t_infer"),
            ]
        },
    ),
    "h_sl_seconds_answer": mistake(
        "t_infer_ms left in seconds", "shadow_latency", edit={SL: [(TMS, "t_infer_ms = t_infer")]}
    ),
    "h_sl_no_upper_clip": mistake(
        "share not capped at 1",
        "shadow_latency",
        edit={SL: [(SHARE, "return max(0.0, (budget_s - serve_s) / shadow_s)")]},
    ),
    "h_sl_no_lower_clip": mistake(
        "share not floored at 0",
        "shadow_latency",
        edit={SL: [(SHARE, "return min(1.0, (budget_s - serve_s) / shadow_s)")]},
    ),
    "h_sl_serve_ignored": mistake(
        "budget / shadow, serving time forgotten",
        "shadow_latency",
        edit={SL: [(SHARE, "return min(1.0, max(0.0, budget_s / shadow_s))")]},
    ),
    "h_sl_units_mixed": mistake(
        "milliseconds against a budget in seconds",
        "shadow_latency",
        edit={SL: [(MSS, "max_shadow_share = shadow_share(t_infer_ms, t_infer_ms, dep.latency_budget_s)")]},
    ),
    "h_sl_share_typed": mistake(
        "max_shadow_share typed as 1", "shadow_latency", edit={SL: [(MSS, "max_shadow_share = 1.0")]}
    ),
    # ---- alternatives ------------------------------------------------------------------------------------------
    "h_alt_cs_numpy": alternative("np.log1p and np.ceil, np.int64 result", replace={CS: SAMPLE_NUMPY}),
    "h_alt_cs_no_max": alternative(
        "the guard's own loop raises n to 1 (no max(1, ...))", edit=_cs(CEIL, "n = math.ceil(log_miss / log_clean)")
    ),
    "h_alt_cd_numpy": alternative(
        "np.divide: np.float64 (and the given <= then gives np.bool_)",
        edit={CD: [("return samples / requests_seen_per_hour", "return np.divide(samples, requests_seen_per_hour)")]},
    ),
    "h_alt_cd_one_line": alternative(
        "one expression",
        edit={CD: [("return samples / requests_seen_per_hour", "return samples / request_rate / traffic_fraction")]},
    ),
    "h_alt_mf_float": alternative(
        "float() and an explicit else",
        edit={
            MF: [
                (
                    "    if fraction > 1:\n        return None\n    return fraction\n",
                    "    if fraction <= 1:\n        return float(fraction)\n    else:\n        return None\n",
                )
            ]
        },
    ),
    "h_alt_fits_bool": alternative(
        "bool(...) around the comparison",
        edit={TA: [(FITS, "fits_release_cycle = bool(shadow_hours <= scenario.release_cycle_hours)")]},
    ),
    "h_alt_sp_log1p": alternative(
        "log1p for ln((1 - p1)/(1 - p0)) (more precise)",
        edit={WE: [("math.log((1 - p1) / (1 - p0))", "(math.log1p(-p1) - math.log1p(-p0))")]},
    ),
    "h_alt_sp_numpy": alternative("np.log everywhere, np.float64 result", edit={WE: [("math.log(", "np.log(")]}),
    "h_alt_cf_frozen": alternative("bisection from the zero-failure bound, Python ints", replace={CF: FAILURES_FROZEN}),
    "h_alt_sl_numpy": alternative(
        "np.maximum and np.clip, np.float64 results",
        edit={
            SL: [
                (ROOF, "return np.maximum(ops / peak_ops_per_s, bytes_moved / bandwidth_bytes_per_s)"),
                (SHARE, "return np.clip((budget_s - serve_s) / shadow_s, 0.0, 1.0)"),
            ]
        },
    ),
    "h_alt_sl_1e3": alternative("t_infer * 1e3", edit={SL: [(TMS, "t_infer_ms = t_infer * 1e3")]}),
    "h_alt_black": alternative("magics and Black continuation lines", insert=BLACK_CELL),
    "h_alt_prints": alternative("extra prints of the worked checks", insert="print(1 + 1)\n"),
    "h_alt_track_cloud": alternative("the cloud_titan track", track="cloud_titan"),
    "h_alt_track_mobile": alternative("the mobile_nomad track", track="mobile_nomad"),
    "h_alt_track_tiny": alternative("the tiny_pioneer track", track="tiny_pioneer"),
}

KNOWN_CASCADES = {
    "h_cs_inverted_ratio": "heldout: this canary_sample_size returns 1 for every input, and error carried forward "
    "refuses an upstream that is constant where the reference varies (by design), so n_required is charged again",
}
for _name, _why in KNOWN_CASCADES.items():
    MUTANTS[_name]["known_cascade"] = _why
