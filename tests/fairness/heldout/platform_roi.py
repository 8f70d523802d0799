"""Held-out mistakes and alternatives for platform_roi, written from the student notebook's text alone."""

from __future__ import annotations

from fairness import BLACK_CELL, alternative, mistake

MT = "def manual_toil"
PT = "def platform_toil"
BE = "def break_even_models"
TC = "def team_capacity_models"
TA = "capex = scenario.platform_capex"
FU = "def fleet_update_hours"

MT_LOG = "n_log_n = np.where(n > 0, n * np.log2(np.maximum(n, 1.0)), 0.0)\n    return alert_hours"
MT_RET = "return alert_hours * n + deploy_hours * n_log_n + heterogeneity * dependency_hours * n**2"
PT_LOG = "n_log_n = np.where(n > 0, n * np.log2(np.maximum(n, 1.0)), 0.0)\n    return platform_alert_hours"
PT_RET = "return platform_alert_hours * n + (deploy_hours + platform_dependency_hours) * n_log_n"
BE_CMP = "hits = np.flatnonzero(manual >= platform)"
TC_RET = "return int(np.count_nonzero(manual_toil(candidates, heterogeneity=heterogeneity) <= capacity_hours)) - 1"
NSTAR = "n_star = break_even_models(capex, hourly, heterogeneity=h)"
ROI = "roi_now = float(hourly * manual_toil(fleet, heterogeneity=h) - (capex + hourly * platform_toil(fleet)))"
MAXM = "max_manual_models = team_capacity_models(scenario.team_capacity_hours, heterogeneity=h)"
FU_RET = "return float(update_bytes * devices * 8 / link_bits_per_s / 3600)"
TB = "update_terabytes = update_bytes * dep.fleet_devices / 1e12"
UH = "update_hours = fleet_update_hours(update_bytes, dep.fleet_devices, dep.update_link_bits_per_s)"


def _mt(old: str, new: str) -> dict:
    return {MT: [(old, new)]}


MANUAL_SCALAR = '''def manual_toil(n, alert_hours=20, deploy_hours=1, dependency_hours=0.5, heterogeneity=1.0):
    """Engineer-hours per year to run n models by hand: aN + dN log2 N + h c N^2."""
    import math
    n_log_n = n * math.log2(n) if n > 0 else 0.0
    return alert_hours * n + deploy_hours * n_log_n + heterogeneity * dependency_hours * n**2
'''

MANUAL_LIST = '''def manual_toil(n, alert_hours=20, deploy_hours=1, dependency_hours=0.5, heterogeneity=1.0):
    """Engineer-hours per year to run n models by hand: aN + dN log2 N + h c N^2."""
    def one(k):
        k = float(k)
        n_log_n = k * np.log2(k) if k > 0 else 0.0
        return alert_hours * k + deploy_hours * n_log_n + heterogeneity * dependency_hours * k**2
    if np.ndim(n) == 0:
        return one(n)
    return [one(k) for k in np.asarray(n).ravel()]
'''

BREAK_EVEN_BISECT = '''def break_even_models(capex, hourly_cost, heterogeneity=1.0):
    """Smallest fleet size N >= 1 at which a year of manual toil costs at least the platform, or None."""
    def pays(n):
        return hourly_cost * manual_toil(n, heterogeneity=heterogeneity) >= capex + hourly_cost * platform_toil(n)
    lo, hi = 1, 1_000_000
    if not pays(hi):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if pays(mid):
            hi = mid
        else:
            lo = mid + 1
    return int(lo)
'''

BREAK_EVEN_LOOP_1000 = '''def break_even_models(capex, hourly_cost, heterogeneity=1.0):
    """Smallest fleet size N >= 1 at which a year of manual toil costs at least the platform, or None."""
    for n in range(1, 1001):
        if hourly_cost * manual_toil(n, heterogeneity=heterogeneity) >= capex + hourly_cost * platform_toil(n):
            return n
    return None
'''

BREAK_EVEN_SCAN = '''def break_even_models(capex, hourly_cost, heterogeneity=1.0):
    """Smallest fleet size N >= 1 at which a year of manual toil costs at least the platform, or None."""
    def pays(n):
        return hourly_cost * manual_toil(n, heterogeneity=heterogeneity) >= capex + hourly_cost * platform_toil(n)

    for n in range(1, 2001):  # small fleets one by one, as the text suggests
        if pays(n):
            return n
    rest = np.arange(2001, 1_000_001)
    hits = np.flatnonzero(pays(rest))
    return int(rest[hits[0]]) if hits.size else None
'''

BREAK_EVEN_ALL = '''def break_even_models(capex, hourly_cost, heterogeneity=1.0):
    """Smallest fleet size N >= 1 at which a year of manual toil costs at least the platform, or None."""
    n = np.arange(1, 1_000_001)
    gap = hourly_cost * manual_toil(n, heterogeneity=heterogeneity) - (capex + hourly_cost * platform_toil(n))
    ok = gap >= 0
    if not ok.any():
        return None
    return n[np.argmax(ok)]
'''

TEAM_COUNT_UP = '''def team_capacity_models(capacity_hours, heterogeneity=1.0):
    """Largest number of models whose manual toil fits in capacity_hours per year."""
    n = 0
    while manual_toil(n + 1, heterogeneity=heterogeneity) <= capacity_hours:
        n += 1
    return n
'''

TEAM_SQRT = '''def team_capacity_models(capacity_hours, heterogeneity=1.0):
    """Largest number of models whose manual toil fits in capacity_hours per year."""
    import math
    return int(math.floor(math.sqrt(capacity_hours / (0.5 * heterogeneity))))
'''

TEAM_VECTOR = '''def team_capacity_models(capacity_hours, heterogeneity=1.0):
    """Largest number of models whose manual toil fits in capacity_hours per year."""
    top = 16
    while manual_toil(top, heterogeneity=heterogeneity) <= capacity_hours:
        top *= 4
    n = np.arange(0, top + 1)
    fits = manual_toil(n, heterogeneity=heterogeneity) <= capacity_hours
    return n[fits].max() if fits.any() else 0
'''

TEAM_FIRST_OVER = '''def team_capacity_models(capacity_hours, heterogeneity=1.0):
    """Largest number of models whose manual toil fits in capacity_hours per year."""
    n = 0
    while manual_toil(n, heterogeneity=heterogeneity) <= capacity_hours:
        n += 1
    return n
'''

HELPER = '''def n_log2_n(n):
    """N log2 N with its limit 0 at N = 0, for numbers or arrays."""
    n = np.asarray(n, dtype=float)
    return np.where(n > 0, n * np.log2(np.where(n > 0, n, 1.0)), 0.0)


def manual_toil(n, alert_hours=20, deploy_hours=1, dependency_hours=0.5, heterogeneity=1.0):
    """Engineer-hours per year to run n models by hand: aN + dN log2 N + h c N^2."""
    n = np.asarray(n, dtype=float)
    return alert_hours * n + deploy_hours * n_log2_n(n) + heterogeneity * dependency_hours * np.square(n)
'''

MUTANTS = {
    # ---- manual_toil -------------------------------------------------------------------------------------------
    "h_mt_natural_log": mistake(
        "np.log instead of the base-2 log",
        "manual_toil",
        edit=_mt("np.log2(np.maximum(n, 1.0))", "np.log(np.maximum(n, 1.0))"),
    ),
    "h_mt_log10": mistake(
        "np.log10 instead of np.log2",
        "manual_toil",
        edit=_mt("np.log2(np.maximum(n, 1.0))", "np.log10(np.maximum(n, 1.0))"),
    ),
    "h_mt_h_everywhere": mistake(
        "heterogeneity multiplies the whole toil, not only the N² term",
        "manual_toil",
        edit=_mt(MT_RET, "return heterogeneity * (alert_hours * n + deploy_hours * n_log_n + dependency_hours * n**2)"),
    ),
    "h_mt_pairs": mistake(
        "N(N-1)/2 pairs instead of the text's N²",
        "manual_toil",
        edit=_mt("dependency_hours * n**2", "dependency_hours * n * (n - 1) / 2"),
    ),
    "h_mt_no_h": mistake(
        "heterogeneity ignored",
        "manual_toil",
        edit=_mt("heterogeneity * dependency_hours * n**2", "dependency_hours * n**2"),
    ),
    "h_mt_dependency_linear": mistake(
        "dependency term linear in N", "manual_toil", edit=_mt("dependency_hours * n**2", "dependency_hours * n")
    ),
    "h_mt_log_n_plus_1": mistake(
        "log2(N + 1) to avoid the zero", "manual_toil", edit=_mt("np.log2(np.maximum(n, 1.0))", "np.log2(n + 1)")
    ),
    "h_mt_no_guard": mistake(
        "no guard: NaN at N = 0",
        "manual_toil",
        edit=_mt("np.where(n > 0, n * np.log2(np.maximum(n, 1.0)), 0.0)", "n * np.log2(n)"),
    ),
    "h_mt_hardcoded_coefficients": mistake(
        "the default coefficients typed in, parameters ignored",
        "manual_toil",
        edit=_mt(MT_RET, "return 20 * n + 1 * n_log_n + heterogeneity * 0.5 * n**2"),
    ),
    "h_mt_math_scalar": mistake(
        "math.log2 and an if: works for a number only, not an array", "manual_toil", replace={MT: MANUAL_SCALAR}
    ),
    "h_mt_list": mistake("a Python list for an array input", "manual_toil", replace={MT: MANUAL_LIST}),
    "h_mt_truncated": mistake(
        "hours truncated to integers",
        "manual_toil",
        edit=_mt(
            MT_RET,
            "return np.floor(alert_hours * n + deploy_hours * n_log_n + heterogeneity * dependency_hours * n**2)",
        ),
    ),
    # ---- platform_toil -----------------------------------------------------------------------------------------
    "h_pt_natural_log": mistake(
        "np.log instead of np.log2",
        "platform_toil",
        edit={PT: [("np.log2(np.maximum(n, 1.0))", "np.log(np.maximum(n, 1.0))")]},
    ),
    "h_pt_no_deploy": mistake(
        "deployments forgotten on the platform",
        "platform_toil",
        edit={PT: [("(deploy_hours + platform_dependency_hours)", "platform_dependency_hours")]},
    ),
    "h_pt_quadratic": mistake(
        "the platform's dependency term kept quadratic",
        "platform_toil",
        edit={
            PT: [
                (PT_RET, "return platform_alert_hours * n + deploy_hours * n_log_n + platform_dependency_hours * n**2")
            ]
        },
    ),
    "h_pt_alert_nlogn": mistake(
        "alerts on the N log N term",
        "platform_toil",
        edit={PT: [(PT_RET, "return (platform_alert_hours + deploy_hours + platform_dependency_hours) * n_log_n")]},
    ),
    "h_pt_manual_alerts": mistake(
        "the manual alert hours (20) instead of the platform's",
        "platform_toil",
        edit={PT: [("return platform_alert_hours * n", "return 20 * n")]},
    ),
    "h_pt_no_guard": mistake(
        "no guard: NaN at N = 0",
        "platform_toil",
        edit={PT: [("np.where(n > 0, n * np.log2(np.maximum(n, 1.0)), 0.0)", "n * np.log2(n)")]},
    ),
    # ---- break_even_models -------------------------------------------------------------------------------------
    "h_be_strict": mistake(
        "> instead of >=: a tie does not count",
        "break_even_models",
        edit={BE: [(BE_CMP, "hits = np.flatnonzero(manual > platform)")]},
    ),
    "h_be_last_not": mistake(
        "the last N that does not pay instead of the first that does",
        "break_even_models",
        edit={BE: [("return int(n[hits[0]])", "return int(n[hits[0]] - 1)")]},
    ),
    "h_be_from_zero": mistake(
        "candidates from N = 0",
        "break_even_models",
        edit={BE: [("n = np.arange(1, largest + 1)", "n = np.arange(0, largest + 1)")]},
    ),
    "h_be_bisect": mistake(
        "bisects although the gap is not monotone", "break_even_models", replace={BE: BREAK_EVEN_BISECT}
    ),
    "h_be_only_1000": mistake("scans only up to 1,000 models", "break_even_models", replace={BE: BREAK_EVEN_LOOP_1000}),
    "h_be_float": mistake(
        "returns N* as a float",
        "break_even_models",
        edit={BE: [("return int(n[hits[0]])", "return float(n[hits[0]])")]},
    ),
    "h_be_zero_not_none": mistake(
        "0 instead of None when it never pays",
        "break_even_models",
        edit={BE: [("    return None\n", "    return 0\n")]},
    ),
    "h_be_ignores_h": mistake(
        "heterogeneity not passed to manual_toil",
        "break_even_models",
        edit={BE: [("manual_toil(n, heterogeneity=heterogeneity)", "manual_toil(n)")]},
    ),
    "h_be_hours_vs_dollars": mistake(
        "capex compared with hours: toil not priced",
        "break_even_models",
        edit={
            BE: [
                ("manual = hourly_cost * manual_toil", "manual = manual_toil"),
                ("platform = capex + hourly_cost * platform_toil(n)", "platform = capex + platform_toil(n)"),
            ]
        },
    ),
    "h_be_amortised": mistake(
        "capex spread over 12 (monthly) although the text counts it whole in one year",
        "break_even_models",
        edit={BE: [("platform = capex + hourly_cost", "platform = capex / 12 + hourly_cost")]},
    ),
    "h_be_swapped_toils": mistake(
        "platform toil on the manual side (<= instead of >=)",
        "break_even_models",
        edit={BE: [(BE_CMP, "hits = np.flatnonzero(manual <= platform)")]},
    ),
    # ---- team_capacity_models ----------------------------------------------------------------------------------
    "h_tc_strict": mistake(
        "< instead of <=: an exact fit does not count",
        "team_capacity_models",
        edit={
            TC: [
                (TC_RET, TC_RET.replace("<= capacity_hours", "< capacity_hours")),
                (
                    "while manual_toil(upper, heterogeneity=heterogeneity) <= capacity_hours",
                    "while manual_toil(upper, heterogeneity=heterogeneity) < capacity_hours",
                ),
            ]
        },
    ),
    "h_tc_first_over": mistake(
        "the first N that no longer fits (off by one)", "team_capacity_models", replace={TC: TEAM_FIRST_OVER}
    ),
    "h_tc_at_least_one": mistake(
        "at least one model even when none fits",
        "team_capacity_models",
        edit={TC: [(TC_RET, "return max(1, " + TC_RET[len("return ") :] + ")")]},
    ),
    "h_tc_ignores_h": mistake(
        "heterogeneity ignored",
        "team_capacity_models",
        edit={
            TC: [
                ("manual_toil(upper, heterogeneity=heterogeneity)", "manual_toil(upper)"),
                ("manual_toil(candidates, heterogeneity=heterogeneity)", "manual_toil(candidates)"),
            ]
        },
    ),
    "h_tc_float": mistake(
        "a float count", "team_capacity_models", edit={TC: [(TC_RET, TC_RET.replace("return int(", "return float("))]}
    ),
    "h_tc_sqrt_only": mistake("closed form from the N² term alone", "team_capacity_models", replace={TC: TEAM_SQRT}),
    # ---- track answers -----------------------------------------------------------------------------------------
    "h_ta_nstar_default_h": mistake(
        "n_star at the default heterogeneity, not the track's",
        "track_answer",
        edit={TA: [(NSTAR, "n_star = break_even_models(capex, hourly)")]},
    ),
    "h_ta_nstar_swapped": mistake(
        "capex and hourly cost swapped",
        "track_answer",
        edit={TA: [(NSTAR, "n_star = break_even_models(hourly, capex, heterogeneity=h)")]},
    ),
    "h_ta_nstar_typed": mistake(
        "n_star typed in from the lab model's 80", "track_answer", edit={TA: [(NSTAR, "n_star = 80")]}
    ),
    "h_ta_roi_no_h": mistake(
        "roi_now at the default heterogeneity",
        "track_answer",
        edit={TA: [(ROI, "roi_now = float(hourly * manual_toil(fleet) - (capex + hourly * platform_toil(fleet)))")]},
    ),
    "h_ta_roi_sign": mistake(
        "ROI with the sign reversed",
        "track_answer",
        edit={
            TA: [
                (
                    ROI,
                    "roi_now = float((capex + hourly * platform_toil(fleet))"
                    " - hourly * manual_toil(fleet, heterogeneity=h))",
                )
            ]
        },
    ),
    "h_ta_roi_monthly": mistake(
        "ROI per month instead of per year",
        "track_answer",
        edit={TA: [(ROI, ROI.replace("float(", "float((").replace("(fleet)))", "(fleet))) / 12)"))]},
    ),
    "h_ta_roi_no_capex": mistake(
        "capex left out of the ROI",
        "track_answer",
        edit={
            TA: [(ROI, "roi_now = float(hourly * manual_toil(fleet, heterogeneity=h) - hourly * platform_toil(fleet))")]
        },
    ),
    "h_ta_capacity_left": mistake(
        "capacity left after today's fleet instead of the models the team can carry",
        "track_answer",
        edit={TA: [(MAXM, MAXM + " - fleet")]},
    ),
    "h_ta_capacity_default_h": mistake(
        "max_manual_models at the default heterogeneity",
        "track_answer",
        edit={TA: [(MAXM, "max_manual_models = team_capacity_models(scenario.team_capacity_hours)")]},
    ),
    # ---- fleet_update ------------------------------------------------------------------------------------------
    "h_fu_no_bits": mistake(
        "bytes not converted to bits (no x 8)",
        "fleet_update",
        edit={FU: [(FU_RET, "return float(update_bytes * devices / link_bits_per_s / 3600)")]},
    ),
    "h_fu_divide_8": mistake(
        "divides by 8 instead of multiplying",
        "fleet_update",
        edit={FU: [(FU_RET, "return float(update_bytes * devices / 8 / link_bits_per_s / 3600)")]},
    ),
    "h_fu_minutes": mistake(
        "minutes instead of hours",
        "fleet_update",
        edit={FU: [(FU_RET, "return float(update_bytes * devices * 8 / link_bits_per_s / 60)")]},
    ),
    "h_fu_one_device": mistake(
        "one copy, not one per device",
        "fleet_update",
        edit={FU: [(FU_RET, "return float(update_bytes * 8 / link_bits_per_s / 3600)")]},
    ),
    "h_fu_tebibytes": mistake(
        "TB as 2**40 bytes",
        "fleet_update",
        edit={FU: [(TB, "update_terabytes = update_bytes * dep.fleet_devices / 2**40")]},
    ),
    "h_fu_tb_one_copy": mistake(
        "terabytes of one copy, not the fleet's total",
        "fleet_update",
        edit={FU: [(TB, "update_terabytes = update_bytes / 1e12")]},
    ),
    "h_fu_gigabytes": mistake(
        "GB instead of TB",
        "fleet_update",
        edit={FU: [(TB, "update_terabytes = update_bytes * dep.fleet_devices / 1e9")]},
    ),
    "h_fu_hours_typed": mistake(
        "update_hours typed from the worked example", "fleet_update", edit={FU: [(UH, "update_hours = 2.22")]}
    ),
    "h_fu_bits_per_s_as_bytes": mistake(
        "the link's bit rate used as a byte rate in the track answer",
        "fleet_update",
        edit={FU: [(UH, "update_hours = update_bytes * dep.fleet_devices / dep.update_link_bits_per_s / 3600")]},
    ),
    # ---- alternatives ------------------------------------------------------------------------------------------
    "h_alt_log_ratio": alternative(
        "log2 as np.log(n) / np.log(2)",
        edit=_mt("np.log2(np.maximum(n, 1.0))", "(np.log(np.maximum(n, 1.0)) / np.log(2))"),
    ),
    "h_alt_errstate": alternative(
        "np.errstate around an unguarded log, then np.where",
        edit=_mt(
            MT_LOG,
            "with np.errstate(divide='ignore', invalid='ignore'):\n"
            "        n_log_n = np.where(n > 0, n * np.log2(n), 0.0)\n    return alert_hours",
        ),
    ),
    "h_alt_xlogy": alternative(
        "scipy.special.xlogy for N log2 N in platform_toil",
        edit={
            PT: [
                (
                    PT_LOG,
                    "from scipy.special import xlogy\n"
                    "    n_log_n = xlogy(n, n) / np.log(2)\n    return platform_alert_hours",
                )
            ]
        },
    ),
    "h_alt_int_arrays": alternative(
        "no float conversion of n (integer arrays work as well)",
        edit=_mt("n = np.asarray(n, dtype=float)", "n = np.asarray(n)"),
    ),
    "h_alt_helper": alternative("a shared helper function for N log2 N", replace={MT: HELPER}),
    "h_alt_be_scan_small_first": alternative(
        "small fleets one by one, then the rest vectorised", replace={BE: BREAK_EVEN_SCAN}
    ),
    "h_alt_be_all_at_once": alternative("all candidates at once, np.int64 answer", replace={BE: BREAK_EVEN_ALL}),
    "h_alt_tc_count_up": alternative("counts upwards until the next model no longer fits", replace={TC: TEAM_COUNT_UP}),
    "h_alt_tc_vector": alternative("vectorised over np.arange, np.int64 answer", replace={TC: TEAM_VECTOR}),
    "h_alt_roi_numpy_float": alternative(
        "roi_now left as np.float64",
        edit={
            TA: [
                (
                    ROI,
                    "roi_now = hourly * manual_toil(fleet, heterogeneity=h) - (capex + hourly * platform_toil(fleet))",
                )
            ]
        },
    ),
    "h_alt_fu_algebra": alternative(
        "equivalent algebra for the hours and the terabytes",
        edit={
            FU: [
                (FU_RET, "return 8 * update_bytes * devices / (link_bits_per_s * 3600.0)"),
                (TB, "update_terabytes = dep.parameters * dep.bytes_per_parameter * dep.fleet_devices * 1e-12"),
            ]
        },
    ),
    "h_alt_black_and_prints": alternative("magics, Black continuation lines and extra prints", insert=BLACK_CELL),
    "h_alt_plot": alternative(
        "an extra plot of both toils",
        edit={
            TA: [
                (
                    MAXM,
                    MAXM + "\nimport matplotlib.pyplot as plt\n"
                    "_n = np.arange(0, 101)\nplt.plot(_n, manual_toil(_n, heterogeneity=h))\n"
                    "plt.plot(_n, platform_toil(_n))\nplt.show()",
                )
            ]
        },
    ),
    "h_alt_track_cloud": alternative("the cloud_titan track", track="cloud_titan"),
    "h_alt_track_mobile": alternative("the mobile_nomad track", track="mobile_nomad"),
    "h_alt_track_tiny": alternative("the tiny_pioneer track", track="tiny_pioneer"),
}

