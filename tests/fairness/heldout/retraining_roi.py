"""Held-out fairness corpus for retraining_roi, written from the student notebook alone."""
# ruff: noqa: E501  (the edits quote whole lines of student code; breaking them hides what the student wrote)

from fairness import BLACK_CELL, alternative, mistake

SC = "def staleness_cost"
CR = "def cost_rate"
OPT = "def optimal_retrain_interval"
EXACT = "from scipy.optimize import minimize_scalar"
THR = "def threshold_interval"
TRACK = "T_sqrt = "
HW = "def training_run_cost"

_SC_HEAD = '''def staleness_cost(T, Q, V, A0, lam):
    """Business loss (dollars) accumulated over T days since the last retrain."""
'''
_SERIES = "series = 0.5 * lam * days**2 * (1 - x / 3 + x**2 / 12)"
_FORMULA = "formula = days - (1 - np.exp(-x)) / lam"
_OPT_RET = "return math.sqrt(2 * C / (Q * V * A0 * lam))"
_MIN = ("result = minimize_scalar(lambda T: cost_rate(T, C, Q, V, A0, lam), bounds=(1e-3, 1e4), method=\"bounded\",\n"
        "                             options={\"xatol\": 1e-9})\n    return float(result.x)")
_THR_RET = "return math.log(A0 / floor) / lam"
_RATIO = ("current_cost_ratio = cost_rate(scenario.current_interval_days, C, Q, V, A0, lam) / "
          "cost_rate(T_exact, C, Q, V, A0, lam)")
_CHEAPER = ('cheaper_policy = "threshold" if cost_rate(T_threshold, C, Q, V, A0, lam) < '
            'cost_rate(1.0, C, Q, V, A0, lam) else "daily"')
_HW_RET = "return float(accelerator_hours * usd_per_hour + energy_kwh * usd_per_kwh)"

MUTANTS = {
    # ---- staleness_cost ----------------------------------------------------------------------------------------
    "h_sc_no_guard": mistake("the plain formula everywhere: NaN at lam == 0, rounding noise for tiny lam",
                             "staleness_cost",
                             replace={SC: _SC_HEAD + "    return Q * V * A0 * (T - (1 - np.exp(-lam * T)) / lam)\n"}),
    "h_sc_math_scalar_only": mistake("math.exp and if/else: works for numbers only, not arrays", "staleness_cost",
                                     replace={SC: _SC_HEAD + """    x = lam * T
    if x < 1e-3:
        return Q * V * A0 * 0.5 * lam * T**2 * (1 - x / 3 + x**2 / 12)
    return Q * V * A0 * (T - (1 - math.exp(-x)) / lam)
"""}),
    "h_sc_series_first_term": mistake("series truncated to lam T^2 / 2 (the bracket forgotten)", "staleness_cost",
                                      edit={SC: [(_SERIES, "series = 0.5 * lam * days**2")]}),
    "h_sc_branch_reversed": mistake("np.where(x > 1e-3, series, formula): the branches swapped", "staleness_cost",
                                    edit={SC: [("np.where(x < 1e-3, series, formula)",
                                                "np.where(x > 1e-3, series, formula)")]}),
    "h_sc_sign_slip": mistake("T + (1 - e^(-lam T)) / lam: sign slip in the formula", "staleness_cost",
                              edit={SC: [(_FORMULA, "formula = days + (1 - np.exp(-x)) / lam")]}),
    "h_sc_missing_A0": mistake("Q V (T - ...) without A0", "staleness_cost",
                               edit={SC: [("loss = Q * V * A0 * np.where", "loss = Q * V * np.where")]}),
    "h_sc_exp_positive": mistake("e^(+lam T) instead of e^(-lam T)", "staleness_cost",
                                 edit={SC: [(_FORMULA, "formula = days - (1 - np.exp(x)) / lam")]}),
    "h_sc_zero_d_array": mistake("returns a 0-d array for a number", "staleness_cost",
                                 edit={SC: [("loss = Q * V * A0 * np.where(x < 1e-3, series, formula)",
                                             "loss = np.where(x < 1e-3, Q * V * A0 * series, Q * V * A0 * formula)"),
                                            ("return float(loss) if loss.ndim == 0 else loss", "return loss")]}),
    "h_sc_list_for_array": mistake("returns a list for an array of intervals", "staleness_cost",
                                   edit={SC: [("return float(loss) if loss.ndim == 0 else loss",
                                               "return float(loss) if loss.ndim == 0 else loss.tolist()")]}),
    "h_sc_guard_on_lam": mistake("series chosen by lam < 1e-3 instead of x = lam T < 1e-3", "staleness_cost",
                                 edit={SC: [("np.where(x < 1e-3, series, formula)",
                                             "np.where(lam < 1e-3, series, formula)")]}),
    # ---- cost_rate ---------------------------------------------------------------------------------------------
    "h_cr_no_retrain_cost": mistake("S(T) / T without the retrain cost", "cost_rate",
                                    edit={CR: [("(staleness_cost(days, Q, V, A0, lam) + C) / days",
                                                "staleness_cost(days, Q, V, A0, lam) / days")]}),
    "h_cr_C_not_spread": mistake("S(T) / T + C: the retrain cost not spread over the cycle", "cost_rate",
                                 edit={CR: [("(staleness_cost(days, Q, V, A0, lam) + C) / days",
                                             "staleness_cost(days, Q, V, A0, lam) / days + C")]}),
    "h_cr_scalar_only": mistake("float(...) of the result: fails for an array of intervals", "cost_rate",
                                edit={CR: [("return float(rate) if np.ndim(rate) == 0 else rate",
                                            "return float(rate)")]}),
    "h_cr_unguarded_inline": mistake("re-derives S(T) with the unguarded formula instead of calling "
                                     "staleness_cost", "cost_rate",
                                     edit={CR: [("staleness_cost(days, Q, V, A0, lam)",
                                                 "Q * V * A0 * (days - (1 - np.exp(-lam * days)) / lam)")]}),
    # ---- optimal_retrain_interval ------------------------------------------------------------------------------
    "h_opt_no_two": mistake("sqrt(C / (Q V A0 lam)): the factor 2 forgotten", "optimal_retrain_interval",
                            edit={OPT: [(_OPT_RET, "return math.sqrt(C / (Q * V * A0 * lam))")]}),
    "h_opt_lam_percent": mistake("treats lam as a percentage and divides it by 100", "optimal_retrain_interval",
                                 edit={OPT: [(_OPT_RET, "return math.sqrt(2 * C / (Q * V * A0 * lam / 100))")]}),
    "h_opt_no_inf_guard": mistake("no lam == 0 case: ZeroDivisionError", "optimal_retrain_interval",
                                  edit={OPT: [("    if lam == 0:\n        return math.inf\n", "")]}),
    "h_opt_nan_for_zero": mistake("returns NaN instead of infinity when lam == 0", "optimal_retrain_interval",
                                  edit={OPT: [("return math.inf", "return math.nan")]}),
    "h_opt_missing_A0": mistake("sqrt(2C / (Q V lam)) without A0", "optimal_retrain_interval",
                                edit={OPT: [(_OPT_RET, "return math.sqrt(2 * C / (Q * V * lam))")]}),
    "h_opt_rounded": mistake("rounds the interval to 2 decimals", "optimal_retrain_interval",
                             edit={OPT: [(_OPT_RET, "return round(math.sqrt(2 * C / (Q * V * A0 * lam)), 2)")]}),
    # ---- exact optimum -----------------------------------------------------------------------------------------
    "h_exact_bounds_from_one": mistake("bounds=(1, 1e4): optima below one day are missed", "exact_optimum",
                                       edit={EXACT: [("bounds=(1e-3, 1e4)", "bounds=(1, 1e4)")]}),
    "h_exact_returns_cost": mistake("returns result.fun (the minimal cost) instead of result.x", "exact_optimum",
                                    edit={EXACT: [("return float(result.x)", "return float(result.fun)")]}),
    "h_exact_is_sqrt_law": mistake("returns the square-root law as the exact optimum", "exact_optimum",
                                   edit={EXACT: [(_MIN, "return optimal_retrain_interval(C, Q, V, A0, lam)")]}),
    "h_exact_lambert_principal": mistake("Lambert W on the principal branch (k = 0) instead of W_-1",
                                         "exact_optimum",
                                         edit={EXACT: [(_MIN, "from scipy.special import lambertw\n"
                                                        "    k = C * lam / (Q * V * A0)\n"
                                                        "    return float((-1 - lambertw(-(1 - k) / math.e, 0).real) / lam)")]}),
    "h_exact_whole_days": mistake("grid search over whole days only", "exact_optimum",
                                  edit={EXACT: [(_MIN, "grid = np.arange(1, 1001, dtype=float)\n"
                                                 "    return float(grid[np.argmin(cost_rate(grid, C, Q, V, A0, lam))])")]}),
    "h_exact_typed_track": mistake("T_exact typed in from the printout (7.75)", "exact_optimum",
                                   edit={EXACT: [("T_exact = exact_retrain_interval(C, Q, V, A0, lam)",
                                                  "T_exact = 7.75")]}),
    # ---- threshold_interval ------------------------------------------------------------------------------------
    "h_thr_log_flipped": mistake("ln(floor / A0) / lam: a negative interval", "threshold_interval",
                                 edit={THR: [(_THR_RET, "return math.log(floor / A0) / lam")]}),
    "h_thr_log10": mistake("base-10 logarithm", "threshold_interval",
                           edit={THR: [(_THR_RET, "return math.log10(A0 / floor) / lam")]}),
    "h_thr_guard_order": mistake("checks lam == 0 first: floor == A0 with lam == 0 gives inf instead of 0",
                                 "threshold_interval",
                                 edit={THR: [("    if floor == A0:\n        return 0.0\n    if lam == 0:\n"
                                              "        return math.inf\n",
                                              "    if lam == 0:\n        return math.inf\n    if floor == A0:\n"
                                              "        return 0.0\n")]}),
    "h_thr_linear": mistake("linearised decay (A0 - floor) / (lam A0)", "threshold_interval",
                            edit={THR: [(_THR_RET, "return (A0 - floor) / (lam * A0)")]}),
    # ---- track answer ------------------------------------------------------------------------------------------
    "h_track_threshold_args_swapped": mistake("threshold_interval(floor, lam, A0): arguments swapped",
                                              "track_answer",
                                              edit={TRACK: [("threshold_interval(A0, lam, scenario.accuracy_floor)",
                                                             "threshold_interval(scenario.accuracy_floor, lam, A0)")]}),
    "h_track_ratio_inverted": mistake("optimum over current instead of current over optimum", "track_answer",
                                      edit={TRACK: [(_RATIO, "current_cost_ratio = cost_rate(T_exact, C, Q, V, A0, lam)"
                                                     " / cost_rate(scenario.current_interval_days, C, Q, V, A0, lam)")]}),
    "h_track_ratio_vs_sqrt": mistake("ratio against the square-root law instead of the exact optimum",
                                     "track_answer",
                                     edit={TRACK: [("/ cost_rate(T_exact, C, Q, V, A0, lam)",
                                                    "/ cost_rate(T_sqrt, C, Q, V, A0, lam)")]}),
    "h_track_cheaper_reversed": mistake("names the more expensive policy", "track_answer",
                                        edit={TRACK: [(_CHEAPER, 'cheaper_policy = "daily" if cost_rate(T_threshold, '
                                                       'C, Q, V, A0, lam) < cost_rate(1.0, C, Q, V, A0, lam) '
                                                       'else "threshold"')]}),
    "h_track_cheaper_bool": mistake("cheaper_policy as a bool (is the threshold cheaper?)", "track_answer",
                                    edit={TRACK: [(_CHEAPER, "cheaper_policy = cost_rate(T_threshold, C, Q, V, A0, lam)"
                                                   " < cost_rate(1.0, C, Q, V, A0, lam)")]}),
    "h_track_T_sqrt_typed": mistake("T_sqrt typed in from the printout (7.18)", "track_answer",
                                    edit={TRACK: [("T_sqrt = optimal_retrain_interval(C, Q, V, A0, lam)",
                                                   "T_sqrt = 7.18")]}),
    # ---- retrain_hardware --------------------------------------------------------------------------------------
    "h_hw_watts_as_kw": mistake("watts used as kilowatts (no division by 1000)", "retrain_hardware",
                                edit={HW: [("energy_kwh = accelerator_hours * power_w / 1000",
                                            "energy_kwh = accelerator_hours * power_w")]}),
    "h_hw_energy_only": mistake("only the electricity, the rental forgotten", "retrain_hardware",
                                edit={HW: [(_HW_RET, "return float(energy_kwh * usd_per_kwh)")]}),
    "h_hw_megawatt": mistake("divides watts by 10^6", "retrain_hardware",
                             edit={HW: [("power_w / 1000", "power_w / 1e6")]}),
    "h_hw_old_C": mistake("T_sqrt_hw computed with C instead of C_hw", "retrain_hardware",
                          edit={HW: [("T_sqrt_hw = optimal_retrain_interval(C_hw,", "T_sqrt_hw = optimal_retrain_interval(C,")]}),
    "h_hw_int_truncation": mistake("int() truncates the dollars", "retrain_hardware",
                                   edit={HW: [(_HW_RET, "return int(accelerator_hours * usd_per_hour + energy_kwh * "
                                               "usd_per_kwh)")]}),
    # ======== alternatives =====================================================================================
    "h_alt_sc_expm1": alternative("T + expm1(-x) / lam: the more precise form of the formula",
                                  edit={SC: [(_FORMULA, "formula = days + np.expm1(-x) / lam")]}),
    "h_alt_sc_numpy_scalar": alternative("np.float64 for a number (loss[()])",
                                         edit={SC: [("return float(loss) if loss.ndim == 0 else loss",
                                                     "return loss[()]")]}),
    "h_alt_sc_more_terms": alternative("one more series term (x^3 / 60)",
                                       edit={SC: [(_SERIES, "series = 0.5 * lam * days**2 * (1 - x / 3 + x**2 / 12 - "
                                                   "x**3 / 60)")]}),
    "h_alt_sc_vectorize": alternative("a scalar math helper wrapped with np.vectorize",
                                      replace={SC: _SC_HEAD + """    def one(t):
        x = lam * t
        if x < 1e-3:
            return 0.5 * lam * t * t * (1 - x / 3 + x * x / 12)
        return t - (1 - math.exp(-x)) / lam

    out = Q * V * A0 * np.vectorize(one, otypes=[float])(T)
    return float(out) if np.ndim(out) == 0 else out
"""}),
    "h_alt_sc_zero_branch": alternative("explicit lam == 0 branch before the series/formula choice",
                                        edit={SC: [("    x = lam * days\n",
                                                    "    if lam == 0:\n"
                                                    "        return 0.0 if days.ndim == 0 else np.zeros_like(days)\n"
                                                    "    x = lam * days\n")]}),
    "h_alt_cr_numpy_scalar": alternative("cost_rate returns np.float64 for a number",
                                         edit={CR: [("return float(rate) if np.ndim(rate) == 0 else rate",
                                                     "return np.divide(staleness_cost(T, Q, V, A0, lam) + C, T)")]}),
    "h_alt_opt_numpy": alternative("np.sqrt and np.inf",
                                   edit={OPT: [("return math.inf", "return np.inf"),
                                               (_OPT_RET, "return np.sqrt(2 * C / (Q * V * A0 * lam))")]}),
    "h_alt_opt_power": alternative("(...) ** 0.5 instead of sqrt",
                                   edit={OPT: [(_OPT_RET, "return (2 * C / (Q * V * A0 * lam)) ** 0.5")]}),
    "h_alt_exact_lambert": alternative("the closed form with Lambert W_-1",
                                       edit={EXACT: [(_MIN, "from scipy.special import lambertw\n"
                                                      "    k = C * lam / (Q * V * A0)\n"
                                                      "    return float((-1 - lambertw(-(1 - k) / np.e, -1).real) / lam)")]}),
    "h_alt_thr_log_difference": alternative("(ln A0 - ln floor) / lam",
                                            edit={THR: [(_THR_RET, "return (math.log(A0) - math.log(floor)) / lam")]}),
    "h_alt_thr_numpy": alternative("np.log: returns np.float64",
                                   edit={THR: [(_THR_RET, "return np.log(A0 / floor) / lam")]}),
    "h_alt_thr_log1p": alternative("log1p((A0 - floor) / floor) / lam (more precise near A0)",
                                   edit={THR: [(_THR_RET, "return math.log1p((A0 - floor) / floor) / lam")]}),
    "h_alt_track_if_statement": alternative("cheaper_policy with an if statement and named costs",
                                            edit={TRACK: [(_CHEAPER, "daily_cost = cost_rate(1.0, C, Q, V, A0, lam)\n"
                                                           "threshold_cost = cost_rate(T_threshold, C, Q, V, A0, lam)\n"
                                                           "if threshold_cost < daily_cost:\n"
                                                           '    cheaper_policy = "threshold"\n'
                                                           "else:\n"
                                                           '    cheaper_policy = "daily"')]}),
    "h_alt_hw_factored": alternative("hours * (price + kW * price per kWh)",
                                     edit={HW: [(_HW_RET, "return accelerator_hours * (usd_per_hour + power_w / 1000 * "
                                                 "usd_per_kwh)")]}),
    "h_alt_black_cell": alternative("magics and Black-formatted continuation lines", insert=BLACK_CELL),
    "h_alt_track_cloud": alternative("the solution on Cloud Titan", track="cloud_titan"),
    "h_alt_track_tiny": alternative("the solution on Tiny Pioneer", track="tiny_pioneer"),
    "h_alt_track_mobile": alternative("the solution on Mobile Nomad", track="mobile_nomad"),
}
