"""Platform ROI: mistakes and acceptable alternatives, written from the notebook's text."""

from . import BLACK_CELL, alternative, mistake

MANUAL = "def manual_toil("
PLATFORM = "def platform_toil("
BREAK = "def break_even_models("
CAPACITY = "def team_capacity_models("
TRACK = "capex = scenario.platform_capex"
FLEET = "def fleet_update_hours("
MANUAL_RETURN = "return alert_hours * n + deploy_hours * n_log_n + heterogeneity * dependency_hours * n**2"
PLATFORM_RETURN = "return platform_alert_hours * n + (deploy_hours + platform_dependency_hours) * n_log_n"

MUTANTS = {
    # -- manual_toil ---------------------------------------------------------------------------------------------
    "manual_per_pair": mistake(
        "dependency term c N(N-1)/2 (pairs) instead of c N^2",
        "manual_toil",
        carried=True,
        edit={MANUAL: [("n**2", "n * (n - 1) / 2")]},
    ),
    "manual_natural_log": mistake(
        "natural log instead of log2", "manual_toil", edit={MANUAL: [("np.log2(", "np.log(")]}
    ),
    "manual_h_everywhere": mistake(
        "heterogeneity multiplies every term",
        "manual_toil",
        edit={
            MANUAL: [
                (
                    MANUAL_RETURN,
                    "return heterogeneity * (alert_hours * n + deploy_hours * n_log_n + dependency_hours * n**2)",
                )
            ]
        },
    ),
    "manual_no_h": mistake(
        "heterogeneity ignored",
        "manual_toil",
        edit={MANUAL: [("heterogeneity * dependency_hours", "dependency_hours")]},
    ),
    "manual_log_unguarded": mistake(
        "log2(0) unguarded: NaN at N = 0, and a team capacity computed from a NaN toil is never carried forward",
        {"manual_toil", "team_capacity_models"},
        edit={MANUAL: [("np.where(n > 0, n * np.log2(np.maximum(n, 1.0)), 0.0)", "n * np.log2(n)")]},
    ),
    "manual_scalar_only": mistake(
        "math.log2: arrays raise",
        "manual_toil",
        edit={
            MANUAL: [
                (
                    "np.where(n > 0, n * np.log2(np.maximum(n, 1.0)), 0.0)",
                    "n * __import__('math').log2(max(float(n), 1.0))",
                )
            ]
        },
    ),
    "manual_log_n_not_n_log_n": mistake(
        "d log2 N instead of d N log2 N",
        "manual_toil",
        edit={MANUAL: [("n * np.log2(np.maximum(n, 1.0))", "np.log2(np.maximum(n, 1.0))")]},
    ),
    "manual_n_cubed": mistake("h c N^3", "manual_toil", edit={MANUAL: [("n**2", "n**3")]}),
    # -- platform_toil ------------------------------------------------------------------------------------------
    "platform_forgets_deploy": mistake(
        "(c_p) N log N without d",
        "platform_toil",
        edit={PLATFORM: [("(deploy_hours + platform_dependency_hours)", "platform_dependency_hours")]},
    ),
    "platform_linear_dependencies": mistake(
        "c_p N instead of c_p N log2 N",
        "platform_toil",
        edit={
            PLATFORM: [
                (
                    PLATFORM_RETURN,
                    "return (platform_alert_hours + platform_dependency_hours) * n + deploy_hours * n_log_n",
                )
            ]
        },
    ),
    "platform_natural_log": mistake("natural log", "platform_toil", edit={PLATFORM: [("np.log2(", "np.log(")]}),
    "platform_unguarded": mistake(
        "log2(0) unguarded: NaN at N = 0",
        "platform_toil",
        edit={PLATFORM: [("np.where(n > 0, n * np.log2(np.maximum(n, 1.0)), 0.0)", "n * np.log2(n)")]},
    ),
    # -- break_even_models -------------------------------------------------------------------------------------
    "break_strict": mistake(
        "manual > platform: a tie is missed",
        "break_even_models",
        edit={BREAK: [("manual >= platform", "manual > platform")]},
    ),
    "break_100k": mistake(
        "searches N up to 100,000 only", "break_even_models", edit={BREAK: [("(1_000, 1_000_000)", "(1_000, 100_000)")]}
    ),
    "break_float": mistake(
        "N* returned as a float",
        "break_even_models",
        edit={BREAK: [("return int(n[hits[0]])", "return float(n[hits[0]])")]},
    ),
    "break_zero_based": mistake(
        "returns the index (N - 1) instead of N",
        "break_even_models",
        edit={BREAK: [("return int(n[hits[0]])", "return int(hits[0])")]},
    ),
    "break_capex_per_hour": mistake(
        "capex divided by the hourly cost and added as hours... then priced again",
        "break_even_models",
        edit={
            BREAK: [
                (
                    "platform = capex + hourly_cost * platform_toil(n)",
                    "platform = capex / hourly_cost + hourly_cost * platform_toil(n)",
                )
            ]
        },
    ),
    "break_never_zero": mistake(
        "returns 0 instead of None when the platform never pays off",
        "break_even_models",
        edit={BREAK: [("    return None", "    return 0")]},
    ),
    "break_last_hit": mistake(
        "the last N that breaks even",
        "break_even_models",
        edit={BREAK: [("return int(n[hits[0]])", "return int(n[hits[-1]])")]},
    ),
    "break_default_h": mistake(
        "heterogeneity not passed to manual_toil",
        "break_even_models",
        edit={BREAK: [("manual_toil(n, heterogeneity=heterogeneity)", "manual_toil(n)")]},
    ),
    # -- team_capacity_models ------------------------------------------------------------------------------------
    "capacity_strict": mistake(
        "manual_toil(N) < capacity: an exact fit is missed",
        "team_capacity_models",
        edit={
            CAPACITY: [
                ("<= capacity_hours)) - 1", "< capacity_hours)) - 1"),
                ("<= capacity_hours:", "< capacity_hours:"),
            ]
        },
    ),
    "capacity_off_by_one": mistake(
        "the first N that no longer fits",
        "team_capacity_models",
        edit={CAPACITY: [("<= capacity_hours)) - 1", "<= capacity_hours))")]},
    ),
    "capacity_default_h": mistake(
        "heterogeneity ignored",
        "team_capacity_models",
        edit={
            CAPACITY: [
                ("manual_toil(candidates, heterogeneity=heterogeneity)", "manual_toil(candidates)"),
                ("manual_toil(upper, heterogeneity=heterogeneity)", "manual_toil(upper)"),
            ]
        },
    ),
    "capacity_numpy_float": mistake(
        "count returned as a float",
        "team_capacity_models",
        edit={CAPACITY: [("return int(np.count_nonzero(", "return float(np.count_nonzero(")]},
    ),
    # -- track answers -----------------------------------------------------------------------------------------
    "roi_sign_flipped": mistake(
        "roi_now as platform cost minus manual cost",
        "track_answer",
        edit={
            TRACK: [
                (
                    "roi_now = float(hourly * manual_toil(fleet, heterogeneity=h) - (capex "
                    "+ hourly * platform_toil(fleet)))",
                    "roi_now = float((capex + hourly * platform_toil(fleet)) - hourly * "
                    "manual_toil(fleet, heterogeneity=h))",
                )
            ]
        },
    ),
    "roi_no_capex": mistake(
        "roi_now without the capex",
        "track_answer",
        edit={TRACK: [("(capex + hourly * platform_toil(fleet))", "hourly * platform_toil(fleet)")]},
    ),
    "n_star_default_h": mistake(
        "n_star with the default heterogeneity",
        "track_answer",
        edit={TRACK: [("break_even_models(capex, hourly, heterogeneity=h)", "break_even_models(capex, hourly)")]},
    ),
    "max_manual_default_h": mistake(
        "max_manual_models with the default heterogeneity",
        "track_answer",
        edit={
            TRACK: [
                (
                    "team_capacity_models(scenario.team_capacity_hours, heterogeneity=h)",
                    "team_capacity_models(scenario.team_capacity_hours)",
                )
            ]
        },
    ),
    "hardcoded_track_answers": mistake(
        "break_even_models left unfinished, n_star typed in",
        {"break_even_models", "track_answer"},
        edit={
            BREAK: [("    for largest in", "    return 57\n    for largest in")],
            TRACK: [("n_star = break_even_models(capex, hourly, heterogeneity=h)", "n_star = 57")],
        },
    ),
    # -- fleet_update -------------------------------------------------------------------------------------------
    "fleet_no_bits": mistake(
        "bytes over a link in bits per second (no x8)",
        "fleet_update",
        edit={FLEET: [("update_bytes * devices * 8 /", "update_bytes * devices /")]},
    ),
    "fleet_seconds": mistake(
        "seconds instead of hours", "fleet_update", edit={FLEET: [("/ link_bits_per_s / 3600)", "/ link_bits_per_s)")]}
    ),
    "fleet_tebibytes": mistake(
        "terabytes as 2**40 bytes",
        "fleet_update",
        edit={FLEET: [("dep.fleet_devices / 1e12", "dep.fleet_devices / 2**40")]},
    ),
    "fleet_per_device": mistake(
        "one device's update only (not times the fleet)",
        "fleet_update",
        edit={
            FLEET: [
                ("update_terabytes = update_bytes * dep.fleet_devices / 1e12", "update_terabytes = update_bytes / 1e12")
            ]
        },
    ),
    "fleet_minutes": mistake(
        "divided by 60 instead of 3600",
        "fleet_update",
        edit={FLEET: [("/ link_bits_per_s / 3600)", "/ link_bits_per_s / 60)")]},
    ),
    "prediction_blank": mistake("prediction left blank", "prediction", replace={"PREDICTION =": "PREDICTION = ...\n"}),
    # -- alternatives ---------------------------------------------------------------------------------------
    "magic_cell": alternative("a cell of magics and operator continuation lines", insert=BLACK_CELL),
    "black_formatted_break_even": alternative(
        "Black-formatted continuation lines starting with != and %",
        replace={
            BREAK: """def break_even_models(capex, hourly_cost, heterogeneity=1.0):
    n = np.arange(1, 1_000_001)
    manual = hourly_cost * manual_toil(n, heterogeneity=heterogeneity)
    platform = capex + hourly_cost * platform_toil(n)
    hits = np.flatnonzero(manual >= platform)
    chunk = (hits.size
        % 1_000_003)
    if (chunk
        != 0):
        return int(n[hits[0]])
    return None
"""
        },
    ),
    "break_numpy_int": alternative(
        "N* as a NumPy integer (an integral number)", edit={BREAK: [("return int(n[hits[0]])", "return n[hits[0]]")]}
    ),
    "break_loop_small_first": alternative(
        "a Python loop over N = 1..1,000, then NumPy for the rest",
        replace={
            BREAK: """def break_even_models(capex, hourly_cost, heterogeneity=1.0):
    for k in range(1, 1001):
        if hourly_cost * manual_toil(k, heterogeneity=heterogeneity) >= capex + hourly_cost * platform_toil(k):
            return k
    n = np.arange(1001, 1_000_001)
    hits = np.flatnonzero(hourly_cost * manual_toil(n, heterogeneity=heterogeneity)
                          >= capex + hourly_cost * platform_toil(n))
    return int(n[hits[0]]) if hits.size else None
"""
        },
    ),
    "manual_log_guard_where": alternative(
        "N log2 N guarded with np.errstate and np.nan_to_num",
        edit={
            MANUAL: [
                (
                    "n_log_n = np.where(n > 0, n * np.log2(np.maximum(n, 1.0)), 0.0)",
                    "with np.errstate(divide='ignore', invalid='ignore'):"
                    "\n        n_log_n = np.nan_to_num(n * np.log2(n))",
                )
            ]
        },
    ),
    "manual_int_input_kept": alternative(
        "manual_toil keeps an int array as given (float result from *0.5)",
        edit={MANUAL: [("n = np.asarray(n, dtype=float)", "n = np.asarray(n)")]},
    ),
    "capacity_count_up": alternative(
        "counts upwards one model at a time (the notebook allows it)",
        replace={
            CAPACITY: """def team_capacity_models(capacity_hours, heterogeneity=1.0):
    n = 0
    while manual_toil(n + 1, heterogeneity=heterogeneity) <= capacity_hours:
        n += 1
    return n
"""
        },
    ),
    "capacity_numpy_int": alternative(
        "capacity as a NumPy integer",
        edit={CAPACITY: [("return int(np.count_nonzero(", "return np.int64(np.count_nonzero(")]},
    ),
    "roi_numpy_float": alternative(
        "roi_now as np.float64 (no float())",
        edit={
            TRACK: [
                (
                    "roi_now = float(hourly * manual_toil(fleet, heterogeneity=h) - (capex "
                    "+ hourly * platform_toil(fleet)))",
                    "roi_now = hourly * manual_toil(fleet, heterogeneity=h) - (capex + hourly * platform_toil(fleet))",
                )
            ]
        },
    ),
    "fleet_seconds_then_hours": alternative(
        "seconds first, then / 3600, np.float64",
        edit={
            FLEET: [
                (
                    "return float(update_bytes * devices * 8 / link_bits_per_s / 3600)",
                    "seconds = np.float64(update_bytes) * devices * 8 / link_bits_per_s\n    return seconds / 3600",
                )
            ]
        },
    ),
    "other_track": alternative("the Mobile Nomad track", track="mobile_nomad"),
}
