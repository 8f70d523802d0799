"""Drift Detective: mistakes and acceptable alternatives, written from the notebook's text."""

from . import BLACK_CELL, alternative, mistake

PSI = "def psi("
PFS = "def psi_from_samples("
STATUS = "def drift_status("
TRACK = "data = scenario_data(track)"
MONITOR = "def max_monitored_features("
RETURN_PSI = "return float(np.sum((a - e) * np.log(a / e)))"
EDGES = "edges = np.unique(np.quantile(train, np.linspace(0, 1, bins + 1)))"

MUTANTS = {
    # -- psi ---------------------------------------------------------------------------------------------------
    "psi_log10": mistake("base-10 logarithm in PSI", "psi", edit={PSI: [("np.log(a / e)", "np.log10(a / e)")]}),
    "psi_sign_flipped": mistake(
        "(e - a) ln(a/e): a negative PSI", "psi", edit={PSI: [("(a - e) * np.log", "(e - a) * np.log")]}
    ),
    "psi_kl_only": mistake(
        "KL divergence sum a ln(a/e) instead of PSI", "psi", edit={PSI: [("(a - e) * np.log", "a * np.log")]}
    ),
    "psi_no_renormalise_after_eps": mistake(
        "empty bins replaced by eps without renormalising",
        "psi",
        edit={
            PSI: [
                ("        e = e / e.sum()\n    if np.any(a", "    if np.any(a"),
                ("        a = a / a.sum()\n    return", "    return"),
            ]
        },
    ),
    "psi_eps_every_bin": mistake(
        "eps added to every bin, not only to empty ones",
        "psi",
        edit={
            PSI: [
                ("np.where(e == 0, eps, e)", "e + eps"),
                ("np.where(a == 0, eps, a)", "a + eps"),
                ("if np.any(e == 0):", "if True:"),
                ("if np.any(a == 0):", "if True:"),
            ]
        },
    ),
    "psi_no_normalise": mistake(
        "counts are not normalised to proportions",
        "psi",
        edit={PSI: [("    e = e / e.sum()\n    a = a / a.sum()\n", "")]},
    ),
    "psi_eps_1e6": mistake(
        "smoothing with eps = 1e-6 instead of the given eps",
        "psi",
        edit={
            PSI: [
                ("np.where(e == 0, eps, e)", "np.where(e == 0, 1e-6, e)"),
                ("np.where(a == 0, eps, a)", "np.where(a == 0, 1e-6, a)"),
            ]
        },
    ),
    "psi_smooth_expected_only": mistake(
        "only the expected distribution is smoothed: an empty live bin gives inf (never carried forward)",
        {"psi", "psi_from_samples"},
        edit={PSI: [("    if np.any(a == 0):\n        a = np.where(a == 0, eps, a)\n        a = a / a.sum()\n", "")]},
    ),
    "psi_rounded": mistake(
        "PSI rounded to 3 decimals",
        "psi",
        edit={PSI: [(RETURN_PSI, "return round(float(np.sum((a - e) * np.log(a / e))), 3)")]},
    ),
    "psi_mean_not_sum": mistake(
        "mean over bins instead of the sum", "psi", edit={PSI: [("float(np.sum((a - e)", "float(np.mean((a - e)")]}
    ),
    "psi_clip_at_eps": mistake(
        "every proportion below eps raised to eps (np.maximum), not only the empty bins",
        "psi",
        edit={
            PSI: [
                ("np.where(e == 0, eps, e)", "np.maximum(e, eps)"),
                ("np.where(a == 0, eps, a)", "np.maximum(a, eps)"),
                ("if np.any(e == 0):", "if np.any(e < eps):"),
                ("if np.any(a == 0):", "if np.any(a < eps):"),
            ]
        },
    ),
    "psi_abs_log": mistake(
        "absolute value of the log ratio", "psi", edit={PSI: [("np.log(a / e)", "np.abs(np.log(a / e))")]}
    ),
    # -- psi_from_samples ---------------------------------------------------------------------------------------
    "pfs_equal_width_bins": mistake(
        "equal-width bins instead of quantile bins",
        {"psi_from_samples", "track_answer"},
        edit={PFS: [(EDGES, "edges = np.unique(np.linspace(train.min(), train.max(), bins + 1))")]},
    ),
    "pfs_all_edges": mistake(
        "every edge used as a boundary (inner = edges)",
        {"psi_from_samples", "track_answer"},
        edit={PFS: [("inner = edges[1:-1] if edges.size > 2 else edges[:1]", "inner = edges")]},
    ),
    "pfs_bins_off_by_one": mistake(
        "np.linspace(0, 1, bins): one bin too few",
        {"psi_from_samples", "track_answer"},
        edit={PFS: [("np.linspace(0, 1, bins + 1)", "np.linspace(0, 1, bins)")]},
    ),
    "pfs_live_quantiles": mistake(
        "bin edges learned on the live sample",
        {"psi_from_samples", "track_answer"},
        edit={PFS: [("np.quantile(train,", "np.quantile(live,")]},
    ),
    "pfs_pooled_quantiles": mistake(
        "bin edges learned on train and live pooled",
        {"psi_from_samples", "track_answer"},
        edit={PFS: [("np.quantile(train,", "np.quantile(np.concatenate([train, live]),")]},
    ),
    "pfs_drops_out_of_range": mistake(
        "live values outside the training range are dropped",
        {"psi_from_samples", "track_answer"},
        edit={
            PFS: [
                (
                    "    n_bins = inner.size + 1\n",
                    "    n_bins = inner.size + 1\n    live = live[(live >= train.min()) & (live <= train.max())]\n",
                )
            ]
        },
    ),
    "pfs_literal_inner": mistake(
        "inner = edges[1:-1] always: constant training data gives one bin and PSI 0",
        "psi_from_samples",
        edit={
            PFS: [
                ("inner = edges[1:-1] if edges.size > 2 else edges[:1]", "inner = edges[1:-1]"),
                ("n_bins = inner.size + 1", "n_bins = max(edges.size - 1, 1)"),
            ]
        },
    ),
    "pfs_ignores_bins": mistake(
        "always 10 bins, whatever bins says",
        "psi_from_samples",
        edit={PFS: [("np.linspace(0, 1, bins + 1)", "np.linspace(0, 1, 11)")]},
    ),
    "pfs_no_unique": mistake(
        "np.unique left out: tied edges make empty bins",
        "psi_from_samples",
        edit={
            PFS: [
                (
                    "np.unique(np.quantile(train, np.linspace(0, 1, bins + 1)))",
                    "np.quantile(train, np.linspace(0, 1, bins + 1))",
                )
            ]
        },
    ),
    "pfs_constant_returns_zero": mistake(
        "constant training data returns 0 instead of two bins",
        "psi_from_samples",
        edit={
            PFS: [
                (
                    "    n_bins = inner.size + 1\n",
                    "    if edges.size < 2:\n        return 0.0\n    n_bins = inner.size + 1\n",
                )
            ]
        },
    ),
    # -- drift_status ------------------------------------------------------------------------------------------------
    "status_strict_upper": mistake(
        "0.2 classified as significant", "drift_status", edit={STATUS: [("psi_value <= 0.2", "psi_value < 0.2")]}
    ),
    "status_inclusive_lower": mistake(
        "0.1 classified as stable", "drift_status", edit={STATUS: [("psi_value < 0.1", "psi_value <= 0.1")]}
    ),
    "status_percent_thresholds": mistake(
        "thresholds in percent (10 and 20)",
        "drift_status",
        edit={STATUS: [("psi_value < 0.1", "psi_value < 10"), ("psi_value <= 0.2", "psi_value <= 20")]},
    ),
    "status_capitalised": mistake(
        '"Stable" instead of "stable"', "drift_status", edit={STATUS: [('return "stable"', 'return "Stable"')]}
    ),
    "status_warning_label": mistake(
        '"warning" instead of "investigate"',
        "drift_status",
        edit={STATUS: [('return "investigate"', 'return "warning"')]},
    ),
    "status_swapped_bands": mistake(
        "0.1 and 0.2 swapped",
        "drift_status",
        edit={STATUS: [("psi_value < 0.1", "psi_value < 0.2"), ("psi_value <= 0.2", "psi_value <= 0.1")]},
    ),
    # -- track answers -------------------------------------------------------------------------------------------
    "live_psi_five_bins": mistake(
        "live_psi with 5 bins instead of 10",
        "track_answer",
        edit={
            TRACK: [
                (
                    'psi_from_samples(data["train"], data["live"])',
                    'psi_from_samples(data["train"], data["live"], bins=5)',
                )
            ]
        },
    ),
    "live_psi_swapped_samples": alternative(
        "live_psi with train and live swapped in psi's arguments: PSI is "
        "symmetric in its two distributions when no bin is empty",
        edit={PFS: [("return psi(train_counts, live_counts)", "return psi(live_counts, train_counts)")]},
    ),
    "hardcoded_track_answers": mistake(
        "psi_from_samples left unfinished, live_psi and live_status typed in from a classmate's notebook",
        {"psi_from_samples", "track_answer"},
        edit={
            PFS: [("    train = np.asarray(train, dtype=float)\n", "    return 0.0\n")],
            TRACK: [
                ('live_psi = psi_from_samples(data["train"], data["live"])', "live_psi = 1.0837097272215532"),
                ("live_status = drift_status(live_psi)", 'live_status = "significant"'),
            ],
        },
    ),
    # -- monitor_memory ------------------------------------------------------------------------------------------
    "monitor_bits": mistake(
        "counters sized in bits (x8)",
        "monitor_memory",
        edit={MONITOR: [("per_feature = 2 * bins * bytes_per_count", "per_feature = 2 * bins * bytes_per_count * 8")]},
    ),
    "monitor_one_histogram": mistake(
        "one histogram per feature instead of two",
        "monitor_memory",
        edit={MONITOR: [("per_feature = 2 * bins * bytes_per_count", "per_feature = bins * bytes_per_count")]},
    ),
    "monitor_rounds": mistake(
        "round() instead of the floor",
        "monitor_memory",
        edit={MONITOR: [("int(budget_bytes // per_feature)", "int(round(budget_bytes / per_feature))")]},
    ),
    "monitor_float_count": mistake(
        "the feature count returned as a float (2995.0 is not a count)",
        "monitor_memory",
        edit={MONITOR: [("int(budget_bytes // per_feature)", "budget_bytes // per_feature")]},
    ),
    "monitor_weights_ignored": mistake(
        "budget from the whole memory, weights not subtracted",
        "monitor_memory",
        edit={MONITOR: [("(hw.memory_bytes - weights_per_device)", "hw.memory_bytes")]},
    ),
    "monitor_weights_whole_replica": mistake(
        "the 8-GPU replica's weights subtracted from one GPU (not divided by devices_per_replica)",
        "monitor_memory",
        track="cloud_titan",
        edit={MONITOR: [("/ dep.devices_per_replica", "")]},
    ),
    "monitor_gib_for_gb": mistake(
        "16 GB read as 16 GiB",
        "monitor_memory",
        edit={
            MONITOR: [
                ("(hw.memory_bytes - weights_per_device)", "(hw.memory_bytes * 2**30 / 1e9 - weights_per_device)")
            ]
        },
    ),
    "monitor_share_as_percent": mistake(
        "the 1 % share used as 1 (the whole remaining memory)",
        "monitor_memory",
        edit={MONITOR: [("dep.monitor_memory_share * (", "100 * dep.monitor_memory_share * (")]},
    ),
    "monitor_counts_bins_plus_one": mistake(
        "bins + 1 counters per histogram",
        "monitor_memory",
        edit={
            MONITOR: [("per_feature = 2 * bins * bytes_per_count", "per_feature = 2 * (bins + 1) * bytes_per_count")]
        },
    ),
    # -- prediction ----------------------------------------------------------------------------------------------
    "prediction_blank": mistake("prediction left blank", "prediction", replace={"PREDICTION =": "PREDICTION = ...\n"}),
    # -- alternatives ----------------------------------------------------------------------------------------------
    "numpy_float_psi": alternative(
        "psi returns np.float64 (a real number)", edit={PSI: [(RETURN_PSI, "return np.sum((a - e) * np.log(a / e))")]}
    ),
    "percentile_edges": alternative(
        "np.percentile instead of np.quantile: edges may differ in the last bit",
        edit={
            PFS: [
                (
                    "np.quantile(train, np.linspace(0, 1, bins + 1))",
                    "np.percentile(train, np.linspace(0, 100, bins + 1))",
                )
            ]
        },
    ),
    "magic_cell": alternative("a cell of magics and operator continuation lines", insert=BLACK_CELL),
    "black_formatted_status": alternative(
        "Black-formatted continuation lines starting with != and %, magics at the top of the cell",
        replace={
            STATUS: """%matplotlib inline
!echo checking
def drift_status(psi_value):
    band = int(psi_value >= 0.1) + int(
        psi_value > 0.2
    )
    band = (band
        % 3)
    if (band
        != 0):
        return "investigate" if band == 1 else "significant"
    return "stable"
"""
        },
    ),
    "psi_pure_python": alternative(
        "psi with Python lists and math.log, smoothing in a loop",
        replace={
            PSI: """import math


def psi(expected, actual, eps=1e-4):
    def proportions(values):
        total = sum(values)
        p = [v / total for v in values]
        if any(x == 0 for x in p):
            p = [eps if x == 0 else x for x in p]
            total = sum(p)
            p = [x / total for x in p]
        return p

    e, a = proportions(list(expected)), proportions(list(actual))
    return sum((ai - ei) * math.log(ai / ei) for ei, ai in zip(e, a))
"""
        },
    ),
    "psi_log_difference": alternative(
        "ln(a) - ln(e) instead of ln(a/e)", edit={PSI: [("np.log(a / e)", "(np.log(a) - np.log(e))")]}
    ),
    "status_chained_comparison": alternative(
        "drift_status with a chained comparison",
        replace={
            STATUS: """
def drift_status(psi_value):
    if 0.1 <= psi_value <= 0.2:
        return "investigate"
    return "stable" if psi_value < 0.1 else "significant"
"""
        },
    ),
    "monitor_numpy_int": alternative(
        "max_monitored_features returns a NumPy integer (an integral number)",
        edit={MONITOR: [("int(budget_bytes // per_feature)", "np.int64(np.floor(budget_bytes / per_feature))")]},
    ),
    "monitor_math_floor": alternative(
        "math.floor of the division",
        edit={MONITOR: [("int(budget_bytes // per_feature)", "__import__('math').floor(budget_bytes / per_feature)")]},
    ),
    "pfs_histogram_counts": alternative(
        "counts with np.bincount on np.digitize (same bins)",
        edit={
            PFS: [
                ('np.searchsorted(inner, train, side="right")', "np.digitize(train, inner)"),
                ('np.searchsorted(inner, live, side="right")', "np.digitize(live, inner)"),
            ]
        },
    ),
    "other_track": alternative("the Tiny Pioneer track", track="tiny_pioneer"),
}
