"""Retraining ROI: mistakes and acceptable alternatives, written from the notebook's text."""

from . import BLACK_CELL, alternative, mistake

STALE = "def staleness_cost("
RATE = "def cost_rate("
SQRT = "def optimal_retrain_interval("
EXACT = "from scipy.optimize import minimize_scalar"
THRESH = "def threshold_interval("
TRACK = "T_sqrt = optimal_retrain_interval("
HW = "def training_run_cost("
SERIES = "series = 0.5 * lam * days**2 * (1 - x / 3 + x**2 / 12)"
FORMULA = "formula = days - (1 - np.exp(-x)) / lam"

MUTANTS = {
    # -- staleness_cost -----------------------------------------------------------------------------------------
    "stale_no_series": mistake(
        "no series for tiny decay: cancellation error (and NaN at lam = 0)",
        "staleness_cost",
        edit={STALE: [("np.where(x < 1e-3, series, formula)", "np.where(lam == 0, 0.0, formula)")]},
    ),
    "stale_series_everywhere": mistake(
        "the series used for every x, not only below 1e-3",
        "staleness_cost",
        edit={STALE: [("np.where(x < 1e-3, series, formula)", "series")]},
    ),
    "stale_series_first_term": mistake(
        "series truncated to lam T^2 / 2 (under the 1e-3 switch it is within "
        "tolerance, so the switch is placed at 0.5)",
        "staleness_cost",
        edit={STALE: [(SERIES, "series = 0.5 * lam * days**2"), ("x < 1e-3", "x < 0.5")]},
    ),
    "stale_switch_too_high": mistake(
        "series used up to x < 1 (the notebook says 1e-3)", "staleness_cost", edit={STALE: [("x < 1e-3", "x < 1")]}
    ),
    "stale_sign_error": mistake(
        "T + (1 - e^(-lam T))/lam",
        "staleness_cost",
        edit={STALE: [(FORMULA, "formula = days + (1 - np.exp(-x)) / lam")]},
    ),
    "stale_missing_a0": mistake(
        "Q V instead of Q V A0", "staleness_cost", edit={STALE: [("loss = Q * V * A0 *", "loss = Q * V *")]}
    ),
    "stale_percent_decay": mistake(
        "lam read as percent per day (divided by 100)",
        "staleness_cost",
        edit={STALE: [("x = lam * days", "lam = lam / 100\n    x = lam * days")]},
    ),
    "stale_math_exp": mistake(
        "math.exp: arrays raise",
        "staleness_cost",
        edit={STALE: [("np.exp(-x)", "__import__('math').exp(-x)")]},
    ),
    "stale_scalar_for_array": mistake(
        "returns the sum over an array of intervals",
        "staleness_cost",
        edit={STALE: [("return float(loss) if loss.ndim == 0 else loss", "return float(np.sum(loss))")]},
    ),
    "stale_series_sign_only": mistake(
        "series 1 + x/3 + x^2/12 below the 1e-3 switch (the formula above it is right)",
        "staleness_cost",
        edit={STALE: [("(1 - x / 3 + x**2 / 12)", "(1 + x / 3 + x**2 / 12)")]},
    ),
    "stale_series_wrong_sign": mistake(
        "series 1 + x/3 + x^2/12",
        "staleness_cost",
        edit={STALE: [("(1 - x / 3 + x**2 / 12)", "(1 + x / 3 + x**2 / 12)"), ("x < 1e-3", "x < 0.1")]},
    ),
    # -- cost_rate --------------------------------------------------------------------------------------------------
    "rate_c_not_divided": mistake(
        "C added per day without dividing by T",
        "cost_rate",
        carried=True,
        edit={
            RATE: [
                ("(staleness_cost(days, Q, V, A0, lam) + C) / days", "staleness_cost(days, Q, V, A0, lam) / days + C")
            ]
        },
    ),
    "rate_not_per_day": mistake(
        "S(T) + C, not divided by T",
        "cost_rate",
        edit={RATE: [("(staleness_cost(days, Q, V, A0, lam) + C) / days", "staleness_cost(days, Q, V, A0, lam) + C")]},
    ),
    "rate_forgets_c": mistake(
        "S(T)/T without the retraining cost",
        "cost_rate",
        edit={
            RATE: [("(staleness_cost(days, Q, V, A0, lam) + C) / days", "staleness_cost(days, Q, V, A0, lam) / days")]
        },
    ),
    "rate_divides_by_t_squared": mistake("(S + C)/T^2", "cost_rate", edit={RATE: [("+ C) / days", "+ C) / days**2")]}),
    # -- optimal_retrain_interval ---------------------------------------------------------------------------------
    "sqrt_missing_two": mistake(
        "sqrt(C/(Q V A0 lam)) without the 2",
        "optimal_retrain_interval",
        edit={SQRT: [("math.sqrt(2 * C /", "math.sqrt(C /")]},
    ),
    "sqrt_missing_a0": mistake(
        "sqrt(2C/(Q V lam)) without A0",
        "optimal_retrain_interval",
        edit={SQRT: [("(Q * V * A0 * lam)", "(Q * V * lam)")]},
    ),
    "sqrt_no_decay_zero": mistake(
        "returns 0 instead of inf without decay",
        "optimal_retrain_interval",
        edit={SQRT: [("return math.inf", "return 0.0")]},
    ),
    "sqrt_no_root": mistake(
        "2C/(Q V A0 lam) without the square root",
        "optimal_retrain_interval",
        edit={SQRT: [("math.sqrt(2 * C / (Q * V * A0 * lam))", "2 * C / (Q * V * A0 * lam)")]},
    ),
    "sqrt_percent_lam": mistake(
        "lam multiplied by 100 (percent)",
        "optimal_retrain_interval",
        edit={SQRT: [("(Q * V * A0 * lam)", "(Q * V * A0 * lam * 100)")]},
    ),
    # -- exact_optimum ------------------------------------------------------------------------------------------------
    "exact_capped_200": mistake(
        "minimises over (1e-3, 200) days: wrong for optima up to 1,000 days",
        "exact_optimum",
        edit={EXACT: [("bounds=(1e-3, 1e4)", "bounds=(1e-3, 200)")]},
    ),
    "exact_lower_bound_one_day": mistake(
        "minimises over (1, 1e4) days: wrong for the optima below one day the notebook promises",
        "exact_optimum",
        edit={EXACT: [("bounds=(1e-3, 1e4)", "bounds=(1.0, 1e4)")]},
    ),
    "exact_is_sqrt_law": mistake(
        "exact optimum = the square-root law",
        "exact_optimum",
        edit={EXACT: [("return float(result.x)", "return optimal_retrain_interval(C, Q, V, A0, lam)")]},
    ),
    "exact_lambertw_principal": mistake(
        "Lambert W principal branch (k = 0) instead of W_-1",
        "exact_optimum",
        replace={
            EXACT: """from scipy.special import lambertw


def exact_retrain_interval(C, Q, V, A0, lam):
    k = C * lam / (Q * V * A0)
    x = -1 - lambertw(-(1 - k) / np.e, 0).real
    return float(x / lam)


T_exact = exact_retrain_interval(C, Q, V, A0, lam)
"""
        },
    ),
    # -- threshold_interval ---------------------------------------------------------------------------------------
    "thresh_inverted_log": mistake(
        "ln(floor/A0)/lam: a negative time",
        "threshold_interval",
        edit={THRESH: [("math.log(A0 / floor) / lam", "math.log(floor / A0) / lam")]},
    ),
    "thresh_linear": mistake(
        "linear decay (A0 - floor)/lam",
        "threshold_interval",
        edit={THRESH: [("math.log(A0 / floor) / lam", "(A0 - floor) / lam")]},
    ),
    "thresh_log10": mistake(
        "log10 instead of ln", "threshold_interval", edit={THRESH: [("math.log(A0 / floor)", "math.log10(A0 / floor)")]}
    ),
    "thresh_no_decay_zero": mistake(
        "lam == 0 returns 0 (the floor is never reached)",
        "threshold_interval",
        edit={THRESH: [("    if lam == 0:\n        return math.inf", "    if lam == 0:\n        return 0.0")]},
    ),
    "thresh_equal_floor_inf": mistake(
        "floor == A0 with lam == 0 returns inf",
        "threshold_interval",
        edit={
            THRESH: [
                (
                    "    if floor == A0:\n        return 0.0\n    if lam == 0:\n        return math.inf",
                    "    if lam == 0:\n        return math.inf\n    if floor == A0:\n        return 0.0",
                )
            ]
        },
    ),
    # -- track answers ------------------------------------------------------------------------------------------------
    "ratio_inverted": mistake(
        "current_cost_ratio upside down (optimum / today)",
        "track_answer",
        edit={
            TRACK: [
                (
                    "current_cost_ratio = cost_rate(scenario.current_interval_days, C, Q, V, "
                    "A0, lam) / cost_rate(T_exact, C, Q, V, A0, lam)",
                    "current_cost_ratio = cost_rate(T_exact, C, Q, V, A0, lam) / "
                    "cost_rate(scenario.current_interval_days, C, Q, V, A0, lam)",
                )
            ]
        },
    ),
    "ratio_against_sqrt_law": mistake(
        "current_cost_ratio against the square-root law's interval",
        "track_answer",
        edit={TRACK: [("/ cost_rate(T_exact, C, Q, V, A0, lam)", "/ cost_rate(T_sqrt, C, Q, V, A0, lam)")]},
    ),
    "policy_reversed": mistake(
        "cheaper_policy compares the wrong way round",
        "track_answer",
        edit={
            TRACK: [
                (
                    '"threshold" if cost_rate(T_threshold, C, Q, V, A0, lam) <',
                    '"daily" if cost_rate(T_threshold, C, Q, V, A0, lam) <',
                ),
                ('else "daily"', 'else "threshold"'),
            ]
        },
    ),
    "t_threshold_floor_a0": mistake(
        "T_threshold with the floor and A0 swapped",
        "track_answer",
        edit={
            TRACK: [
                (
                    "threshold_interval(A0, lam, scenario.accuracy_floor)",
                    "threshold_interval(scenario.accuracy_floor, lam, A0)",
                )
            ]
        },
    ),
    "hardcoded_track_answers": mistake(
        "optimal_retrain_interval and threshold_interval left unfinished (constants), T_sqrt and T_threshold typed in: "
        "T_sqrt_hw, computed with the constant function, is wrong too (no credit through a constant)",
        {"optimal_retrain_interval", "threshold_interval", "track_answer", "retrain_hardware"},
        edit={
            SQRT: [("    if lam == 0:\n        return math.inf\n", "    return 7.0\n")],
            THRESH: [("    if floor == A0:\n", "    return 2.5\n    if floor == A0:\n")],
            TRACK: [
                ("T_sqrt = optimal_retrain_interval(C, Q, V, A0, lam)", "T_sqrt = 7.179581586177381"),
                (
                    "T_threshold = threshold_interval(A0, lam, scenario.accuracy_floor)",
                    "T_threshold = 2.496710272437257",
                ),
            ],
        },
    ),
    # -- retrain_hardware ---------------------------------------------------------------------------------------
    "hw_watts_as_kw": mistake(
        "watts used as kilowatts",
        "retrain_hardware",
        edit={HW: [("accelerator_hours * power_w / 1000", "accelerator_hours * power_w")]},
    ),
    "hw_no_energy": mistake(
        "electricity left out", "retrain_hardware", edit={HW: [("+ energy_kwh * usd_per_kwh", "")]}
    ),
    "hw_energy_per_gpu_hour_only": mistake(
        "energy priced per hour, not per accelerator-hour",
        "retrain_hardware",
        edit={HW: [("energy_kwh = accelerator_hours * power_w / 1000", "energy_kwh = power_w / 1000")]},
    ),
    "hw_t_sqrt_with_c": mistake(
        "T_sqrt_hw computed with C instead of C_hw",
        "retrain_hardware",
        edit={HW: [("optimal_retrain_interval(C_hw, Q, V, A0, lam)", "optimal_retrain_interval(C, Q, V, A0, lam)")]},
    ),
    "hw_kwh_price_per_wh": mistake(
        "price per kWh applied to watt-hours",
        "retrain_hardware",
        edit={HW: [("energy_kwh = accelerator_hours * power_w / 1000", "energy_kwh = accelerator_hours * power_w")]},
    ),
    "prediction_number": mistake(
        "a bare number as the prediction", "prediction", replace={"PREDICTION =": "PREDICTION = 7\n"}
    ),
    # -- alternatives ---------------------------------------------------------------------------------------------
    "closed_form_exact": alternative(
        "the notebook's closed form with Lambert W",
        replace={
            EXACT: """
from scipy.special import lambertw


def exact_retrain_interval(C, Q, V, A0, lam):
    k = C * lam / (Q * V * A0)
    x = -1 - lambertw(-(1 - k) / np.e, -1).real
    return float(x / lam)


T_exact = exact_retrain_interval(C, Q, V, A0, lam)
"""
        },
    ),
    "numpy_float_staleness": alternative(
        "staleness_cost returns np.float64 for a number",
        edit={
            STALE: [
                (
                    "return float(loss) if loss.ndim == 0 else loss",
                    "return np.float64(loss) if loss.ndim == 0 else loss",
                )
            ]
        },
    ),
    "stale_expm1": alternative(
        "-expm1(-x) for 1 - e^(-x) (more precise)", edit={STALE: [("(1 - np.exp(-x))", "(-np.expm1(-x))")]}
    ),
    "stale_zero_d_array_in": alternative(
        "np.float64 results throughout, float() at the end",
        edit={STALE: [("days = np.asarray(T, dtype=float)", "days = np.array(T, dtype=np.float64)")]},
    ),
    "magic_cell": alternative("a cell of magics and operator continuation lines", insert=BLACK_CELL),
    "rate_separate_terms": alternative(
        "C/T + S(T)/T as two terms",
        edit={
            RATE: [
                (
                    "(staleness_cost(days, Q, V, A0, lam) + C) / days",
                    "C / days + staleness_cost(days, Q, V, A0, lam) / days",
                )
            ]
        },
    ),
    "sqrt_numpy": alternative(
        "np.sqrt and np.inf", edit={SQRT: [("math.sqrt(", "np.sqrt("), ("return math.inf", "return np.inf")]}
    ),
    "sqrt_float_inf": alternative("float('inf')", edit={SQRT: [("return math.inf", "return float('inf')")]}),
    "thresh_log_difference": alternative(
        "(ln A0 - ln floor)/lam",
        edit={THRESH: [("math.log(A0 / floor) / lam", "(math.log(A0) - math.log(floor)) / lam")]},
    ),
    "hw_numpy_float": alternative(
        "training_run_cost returns np.float64",
        edit={
            HW: [
                (
                    "return float(accelerator_hours * usd_per_hour + energy_kwh * usd_per_kwh)",
                    "return np.float64(accelerator_hours) * usd_per_hour + energy_kwh * usd_per_kwh",
                )
            ]
        },
    ),
    "other_track": alternative("the Cloud Titan track", track="cloud_titan"),
}
