"""Held-out fairness corpus for drift_detective, written from the student notebook alone."""
# ruff: noqa: E501  (the edits quote whole lines of student code; breaking them hides what the student wrote)

from fairness import BLACK_CELL, alternative, mistake

PSI = "def psi("
PFS = "def psi_from_samples"
STATUS = "def drift_status"
TRACK = "data = scenario_data"
MEM = "def max_monitored_features"

_PSI_RETURN = "return float(np.sum((a - e) * np.log(a / e)))"


def _psi(body: str) -> dict:
    return {PSI: f'''def psi(expected, actual, eps=1e-4):
    """Population Stability Index between two histograms over the same bins."""
{body}'''}


MUTANTS = {
    # ---- psi ---------------------------------------------------------------------------------------------------
    "h_psi_log2": mistake("base-2 logarithm instead of the natural one", "psi",
                          edit={PSI: [("np.log(a / e)", "np.log2(a / e)")]}),
    "h_psi_log10": mistake("base-10 logarithm instead of the natural one", "psi",
                           edit={PSI: [("np.log(a / e)", "np.log10(a / e)")]}),
    "h_psi_no_normalise": mistake("uses the raw counts as proportions (no normalisation to sum 1)", "psi",
                                  edit={PSI: [("    e = e / e.sum()\n    a = a / a.sum()\n", "")]}),
    "h_psi_normalise_expected_only": mistake("normalises only the expected histogram", "psi",
                                             edit={PSI: [("    a = a / a.sum()\n    if", "    if")]}),
    "h_psi_eps_no_renormalise": mistake("replaces empty bins by eps but forgets to renormalise", "psi",
                                        edit={PSI: [("        e = e / e.sum()\n", ""),
                                                    ("        a = a / a.sum()\n", "")]}),
    "h_psi_eps_added_everywhere": mistake("adds eps to every bin instead of replacing only the empty ones", "psi",
                                          edit={PSI: [("np.where(e == 0, eps, e)", "e + eps"),
                                                      ("np.where(a == 0, eps, a)", "a + eps"),
                                                      ("if np.any(e == 0):", "if True:"),
                                                      ("if np.any(a == 0):", "if True:")]}),
    "h_psi_ratio_flipped": mistake("log(e / a) instead of log(a / e): a negative PSI", "psi",
                                   edit={PSI: [("np.log(a / e)", "np.log(e / a)")]}),
    "h_psi_abs_difference": mistake("|a - e| times the log ratio (negative terms where a < e)", "psi",
                                    edit={PSI: [("(a - e) * np.log", "np.abs(a - e) * np.log")]}),
    "h_psi_kl_only": mistake("one-sided KL divergence sum a ln(a/e) instead of PSI", "psi",
                             edit={PSI: [(_PSI_RETURN, "return float(np.sum(a * np.log(a / e)))")]}),
    "h_psi_mean_not_sum": mistake("averages the bin terms instead of summing them", "psi",
                                  edit={PSI: [("np.sum((a - e)", "np.mean((a - e)")]}),
    "h_psi_eps_hardcoded": mistake("ignores the eps argument (always 1e-4)", "psi",
                                   edit={PSI: [("np.where(e == 0, eps, e)", "np.where(e == 0, 1e-4, e)"),
                                               ("np.where(a == 0, eps, a)", "np.where(a == 0, 1e-4, a)")]}),
    "h_psi_clip_small_bins": mistake("clips every proportion below eps up to eps (touches non-empty bins)", "psi",
                                     edit={PSI: [("np.where(e == 0, eps, e)", "np.clip(e, eps, None)"),
                                                 ("np.where(a == 0, eps, a)", "np.clip(a, eps, None)"),
                                                 ("if np.any(e == 0):", "if np.any(e < eps):"),
                                                 ("if np.any(a == 0):", "if np.any(a < eps):")]}),
    "h_psi_rounded": mistake("rounds the PSI to 3 decimals", "psi",
                             edit={PSI: [(_PSI_RETURN, "return round(float(np.sum((a - e) * np.log(a / e))), 3)")]}),
    "h_psi_eps_on_counts": mistake("replaces zero counts by eps before normalising (eps as a count, not a "
                                   "proportion)", "psi",
                                   replace=_psi("""    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    e = np.where(e == 0, eps, e)
    a = np.where(a == 0, eps, a)
    e = e / e.sum()
    a = a / a.sum()
    return float(np.sum((a - e) * np.log(a / e)))
""")),
    # ---- psi_from_samples --------------------------------------------------------------------------------------
    "h_pfs_side_left": mistake("searchsorted side='left': values equal to an edge go to the lower bin",
                               "psi_from_samples",
                               edit={PFS: [('inner, train, side="right"', 'inner, train, side="left"'),
                                           ('inner, live, side="right"', 'inner, live, side="left"')]}),
    "h_pfs_edges_from_live": mistake("learns the quantile edges on the live sample", "psi_from_samples",
                                     edit={PFS: [("np.quantile(train,", "np.quantile(live,")]}),
    "h_pfs_edges_from_both": mistake("learns the quantile edges on training and live together", "psi_from_samples",
                                     edit={PFS: [("np.quantile(train,", "np.quantile(np.concatenate([train, live]),")]}),
    "h_pfs_all_edges": mistake("uses every edge (min and max included) as bin boundaries", "psi_from_samples",
                               edit={PFS: [("inner = edges[1:-1] if edges.size > 2 else edges[:1]", "inner = edges")]}),
    "h_pfs_no_constant_case": mistake("always edges[1:-1]: a constant training sample gives a single bin",
                                      "psi_from_samples",
                                      edit={PFS: [("edges[1:-1] if edges.size > 2 else edges[:1]", "edges[1:-1]")]}),
    "h_pfs_linspace_bins": mistake("np.linspace(0, 1, bins): one quantile edge short (bins - 1 bins)",
                                   "psi_from_samples",
                                   edit={PFS: [("np.linspace(0, 1, bins + 1)", "np.linspace(0, 1, bins)")]}),
    "h_pfs_histogram_drops": mistake("np.histogram over the training edges: live values outside the training "
                                     "range are dropped", "psi_from_samples",
                                     edit={PFS: [("    inner = edges[1:-1] if edges.size > 2 else edges[:1]\n"
                                                  "    n_bins = inner.size + 1\n"
                                                  '    train_counts = np.bincount(np.searchsorted(inner, train, '
                                                  'side="right"), minlength=n_bins)\n'
                                                  '    live_counts = np.bincount(np.searchsorted(inner, live, '
                                                  'side="right"), minlength=n_bins)\n',
                                                  "    train_counts, _ = np.histogram(train, bins=edges)\n"
                                                  "    live_counts, _ = np.histogram(live, bins=edges)\n")]}),
    "h_pfs_bins_ignored": mistake("always 10 bins, ignoring the bins argument", "psi_from_samples",
                                  edit={PFS: [("np.linspace(0, 1, bins + 1)", "np.linspace(0, 1, 11)")]}),
    "h_pfs_no_minlength": mistake("bincount without minlength: histograms of different lengths",
                                  "psi_from_samples",
                                  edit={PFS: [('side="right"), minlength=n_bins)', 'side="right"))')]}),
    "h_pfs_percentile_fractions": mistake("np.percentile with fractions 0..1 (percent expected): edges all near "
                                          "the minimum", "psi_from_samples",
                                          edit={PFS: [("np.quantile(train,", "np.percentile(train,")]}),
    # ---- drift_status ------------------------------------------------------------------------------------------
    "h_status_stable_inclusive": mistake("PSI = 0.1 called stable (<= instead of <)", "drift_status",
                                         edit={STATUS: [("psi_value < 0.1", "psi_value <= 0.1")]}),
    "h_status_investigate_exclusive": mistake("PSI = 0.2 called significant (< instead of <=)", "drift_status",
                                              edit={STATUS: [("psi_value <= 0.2", "psi_value < 0.2")]}),
    "h_status_percent_bands": mistake("bands written in percent (10 and 20)", "drift_status",
                                      edit={STATUS: [("psi_value < 0.1", "psi_value < 10"),
                                                     ("psi_value <= 0.2", "psi_value <= 20")]}),
    "h_status_industry_025": mistake("uses the 0.25 significance threshold of another text", "drift_status",
                                     edit={STATUS: [("psi_value <= 0.2", "psi_value <= 0.25")]}),
    "h_status_capitalised": mistake("returns 'Stable' with a capital letter", "drift_status",
                                    edit={STATUS: [('return "stable"', 'return "Stable"')]}),
    # ---- track answer ------------------------------------------------------------------------------------------
    "h_track_five_bins": mistake("live_psi with 5 bins instead of 10", "track_answer",
                                 edit={TRACK: [('data["live"])', 'data["live"], bins=5)')]}),
    "h_track_typed_psi": mistake("live_psi typed in from the printout (1.084)", "track_answer",
                                 edit={TRACK: [('live_psi = psi_from_samples(data["train"], data["live"])',
                                                "live_psi = 1.084")]}),
    "h_track_bins_on_live": mistake("psi_from_samples(live, train): bins learned on the live sample",
                                    "track_answer",
                                    edit={TRACK: [('psi_from_samples(data["train"], data["live"])',
                                                   'psi_from_samples(data["live"], data["train"])')]}),
    # ---- monitor_memory ----------------------------------------------------------------------------------------
    "h_mem_one_histogram": mistake("counts one histogram per feature instead of two", "monitor_memory",
                                   edit={MEM: [("per_feature = 2 * bins * bytes_per_count",
                                                "per_feature = bins * bytes_per_count")]}),
    "h_mem_bits": mistake("counter size in bits (32) instead of bytes", "monitor_memory",
                          edit={MEM: [("per_feature = 2 * bins * bytes_per_count",
                                       "per_feature = 2 * bins * bytes_per_count * 8")]}),
    "h_mem_round": mistake("rounds to the nearest integer instead of flooring", "monitor_memory",
                           edit={MEM: [("int(budget_bytes // per_feature)", "round(budget_bytes / per_feature)")]}),
    "h_mem_ceil": mistake("ceiling instead of floor", "monitor_memory",
                          edit={MEM: [("int(budget_bytes // per_feature)",
                                       "int(np.ceil(budget_bytes / per_feature))")]}),
    "h_mem_float_ratio": mistake("returns the unfloored ratio (a float)", "monitor_memory",
                                 edit={MEM: [("int(budget_bytes // per_feature)", "budget_bytes / per_feature")]}),
    "h_mem_float_floor": mistake("floor division of a float budget returns a float count (2995.0)",
                                 "monitor_memory",
                                 edit={MEM: [("int(budget_bytes // per_feature)", "budget_bytes // per_feature")]}),
    "h_mem_share_as_percent": mistake("divides the 1 % share by 100 again", "monitor_memory",
                                      edit={MEM: [("dep.monitor_memory_share * (", "dep.monitor_memory_share / 100 * (")]}),
    "h_mem_weights_ignored": mistake("budget = share of the whole memory (the weights are not subtracted)",
                                     "monitor_memory",
                                     edit={MEM: [("(hw.memory_bytes - weights_per_device)", "hw.memory_bytes")]}),
    "h_mem_all_weights_one_gpu": mistake("subtracts the whole model's weights from one device (Cloud Titan "
                                         "spans 8 GPUs)", "monitor_memory", track="cloud_titan",
                                         edit={MEM: [("(hw.memory_bytes - weights_per_device)",
                                                      "(hw.memory_bytes - dep.parameters * dep.bytes_per_parameter)")]}),
    "h_mem_example_answer": mistake("max_features typed in from the worked check (12,500)", "monitor_memory",
                                    edit={MEM: [("max_features = max_monitored_features(monitor_budget_bytes, "
                                                 "dep.histogram_bins, dep.counter_bytes)", "max_features = 12500")]}),
    "h_mem_gib_units": mistake("memory converted to GiB before subtracting bytes of weights", "monitor_memory",
                               edit={MEM: [("(hw.memory_bytes - weights_per_device)",
                                            "(hw.memory_bytes / 2**30 - weights_per_device / 2**30)")]}),
    # ======== alternatives =====================================================================================
    "h_alt_psi_scipy_entropy": alternative("PSI as the symmetric KL divergence with scipy.stats.entropy",
                                           edit={PSI: [(_PSI_RETURN, "from scipy.stats import entropy\n"
                                                        "    return float(entropy(a, e) + entropy(e, a))")]}),
    "h_alt_psi_pure_python": alternative("pure Python with math.log and loops", replace=_psi("""    import math
    e = [float(x) for x in expected]
    a = [float(x) for x in actual]
    se, sa = sum(e), sum(a)
    e = [x / se for x in e]
    a = [x / sa for x in a]
    if any(x == 0 for x in e):
        e = [eps if x == 0 else x for x in e]
        se = sum(e)
        e = [x / se for x in e]
    if any(x == 0 for x in a):
        a = [eps if x == 0 else x for x in a]
        sa = sum(a)
        a = [x / sa for x in a]
    total = 0.0
    for ai, ei in zip(a, e):
        total += (ai - ei) * math.log(ai / ei)
    return total
""")),
    "h_alt_psi_numpy_scalar": alternative("returns np.float64 (no float())",
                                          edit={PSI: [(_PSI_RETURN, "return np.sum((a - e) * np.log(a / e))")]}),
    "h_alt_psi_always_smooth": alternative("smooths and renormalises unconditionally (a no-op without zeros)",
                                           edit={PSI: [("if np.any(e == 0):", "if True:"),
                                                       ("if np.any(a == 0):", "if True:")]}),
    "h_alt_psi_log_difference": alternative("ln a - ln e instead of ln(a / e)",
                                            edit={PSI: [("np.log(a / e)", "(np.log(a) - np.log(e))")]}),
    "h_alt_psi_helper": alternative("a helper function that normalises and smooths one histogram",
                                    replace=_psi('''    def _prep(h):
        p = np.asarray(h, dtype=float)
        p = p / p.sum()
        if (p == 0).any():
            p = np.where(p == 0, eps, p)
            p = p / p.sum()
        return p

    e, a = _prep(expected), _prep(actual)
    print("psi over", e.size, "bins")
    return float(np.sum((a - e) * np.log(a / e)))
''')),
    "h_alt_pfs_digitize": alternative("np.digitize(x, inner) (same as searchsorted side='right')",
                                      edit={PFS: [('np.searchsorted(inner, train, side="right")', "np.digitize(train, inner)"),
                                                  ('np.searchsorted(inner, live, side="right")', "np.digitize(live, inner)")]}),
    "h_alt_pfs_swapped_symmetric": alternative("psi(live_counts, train_counts): PSI is symmetric",
                                               edit={PFS: [("return psi(train_counts, live_counts)",
                                                            "return psi(live_counts, train_counts)")]}),
    "h_alt_pfs_pandas_counts": alternative("counts with pandas value_counts reindexed over the bins",
                                           edit={PFS: [('    return psi(train_counts, live_counts)',
                                                        "    import pandas as pd\n"
                                                        '    train_counts = pd.Series(np.searchsorted(inner, train, side="right"))'
                                                        ".value_counts().reindex(range(n_bins), fill_value=0).to_numpy()\n"
                                                        '    live_counts = pd.Series(np.searchsorted(inner, live, side="right"))'
                                                        ".value_counts().reindex(range(n_bins), fill_value=0).to_numpy()\n"
                                                        "    return psi(train_counts, live_counts)")]}),
    "h_alt_pfs_histogram_open_ends": alternative("np.histogram over [-inf, inner..., +inf] (same bins)",
                                                 edit={PFS: [('np.bincount(np.searchsorted(inner, train, side="right"), '
                                                              'minlength=n_bins)',
                                                              "np.histogram(train, bins=np.r_[-np.inf, inner, np.inf])[0]"),
                                                             ('np.bincount(np.searchsorted(inner, live, side="right"), '
                                                              'minlength=n_bins)',
                                                              "np.histogram(live, bins=np.r_[-np.inf, inner, np.inf])[0]")]}),
    "h_alt_status_descending": alternative("checks the bands from the top down",
                                           edit={STATUS: [('    if psi_value < 0.1:\n        return "stable"\n'
                                                           '    if psi_value <= 0.2:\n        return "investigate"\n'
                                                           '    return "significant"',
                                                           '    if psi_value > 0.2:\n        return "significant"\n'
                                                           '    elif psi_value >= 0.1:\n        return "investigate"\n'
                                                           '    else:\n        return "stable"')]}),
    "h_alt_mem_math_floor": alternative("math.floor of the ratio",
                                        edit={MEM: [("int(budget_bytes // per_feature)",
                                                     "__import__('math').floor(budget_bytes / per_feature)")]}),
    "h_alt_mem_numpy_int": alternative("np.int64 count from np.floor_divide",
                                       edit={MEM: [("int(budget_bytes // per_feature)",
                                                    "np.int64(np.floor_divide(budget_bytes, per_feature))")]}),
    "h_alt_mem_expanded_budget": alternative("share * M - share * weights (same algebra)",
                                             edit={MEM: [("dep.monitor_memory_share * (hw.memory_bytes - weights_per_device)",
                                                          "dep.monitor_memory_share * hw.memory_bytes - "
                                                          "dep.monitor_memory_share * weights_per_device")]}),
    "h_alt_mem_literal_constants": alternative("bins and counter bytes typed as 10 and 4 (the stated constants)",
                                               edit={MEM: [("dep.histogram_bins, dep.counter_bytes)", "10, 4)")]}),
    "h_alt_black_cell": alternative("magics and Black-formatted continuation lines", insert=BLACK_CELL),
    "h_alt_track_cloud": alternative("the solution on Cloud Titan", track="cloud_titan"),
    "h_alt_track_tiny": alternative("the solution on Tiny Pioneer", track="tiny_pioneer"),
    "h_alt_track_mobile": alternative("the solution on Mobile Nomad", track="mobile_nomad"),
}
