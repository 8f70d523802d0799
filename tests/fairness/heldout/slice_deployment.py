"""Held-out fairness corpus for slice_deployment, written from the student notebook alone."""
# ruff: noqa: E501  (the edits quote whole lines of student code; breaking them hides what the student wrote)

from fairness import BLACK_CELL, alternative, mistake

SM = "def slice_metrics"
AGG = "def aggregate_accuracy"
WS = "def worst_slice"
GATE = "def rollout_gate"
TRACK = "old_metrics = slice_metrics"
MEM = "def max_model_copies"

_SM_HEAD = '''def slice_metrics(df):
    """Per-slice request count, accuracy and traffic share, indexed by slice name (sorted)."""
'''
_AGG_RET = 'return float((df["label"] == df["prediction"]).mean())'
_WS_BODY = '    name = metrics["accuracy"].idxmin()\n    return str(name), float(metrics.loc[name, "accuracy"])'
_DROPS = "no_regression = bool((drops <= tolerance + 1e-12).all())"
_GATE_CALL = "gate_approved = rollout_gate(old_metrics, new_metrics, scenario.target_slice)"
_COPIES = "return int(memory_bytes // (parameters * bytes_per_parameter))"
_FITS = "return max_model_copies(parameters, bytes_per_parameter, memory_bytes) >= 2"
_TRACK_MEM = "hw.memory_bytes * dep.devices_per_replica)"


def _ws(body: str) -> dict:
    return {WS: [(_WS_BODY, body)]}


MUTANTS = {
    # ---- slice_metrics -----------------------------------------------------------------------------------------
    "h_sm_unsorted": mistake("slices in order of first appearance (groupby sort=False, no sort_index)",
                             "slice_metrics",
                             edit={SM: [('hits.groupby(df["slice"]).agg(["size", "mean"]).sort_index()',
                                         'hits.groupby(df["slice"], sort=False).agg(["size", "mean"])')]}),
    "h_sm_share_percent": mistake("share in percent", "slice_metrics",
                                  edit={SM: [('table["share"] = table["n"] / len(df)',
                                              'table["share"] = 100 * table["n"] / len(df)')]}),
    "h_sm_n_float": mistake("n as a float column (counts must be integers)", "slice_metrics",
                            edit={SM: [('table["n"] = table["n"].astype(int)', 'table["n"] = table["n"].astype(float)')]}),
    "h_sm_accuracy_percent": mistake("accuracy in percent", "slice_metrics",
                                     edit={SM: [('table["accuracy"] = table["accuracy"].astype(float)',
                                                 'table["accuracy"] = 100 * table["accuracy"].astype(float)')]}),
    "h_sm_error_rate": mistake("prediction != label: the error rate instead of the accuracy", "slice_metrics",
                               edit={SM: [('hits = df["label"] == df["prediction"]',
                                           'hits = df["label"] != df["prediction"]')]}),
    "h_sm_share_of_correct": mistake("share = the slice's fraction of the correct requests", "slice_metrics",
                                     edit={SM: [('table["share"] = table["n"] / len(df)',
                                                 'table["share"] = hits.groupby(df["slice"]).sum() / hits.sum()')]}),
    "h_sm_count_column": mistake("column named count instead of n", "slice_metrics",
                                 replace={SM: _SM_HEAD + """    hits = df["label"] == df["prediction"]
    table = hits.groupby(df["slice"]).agg(["size", "mean"]).sort_index()
    table.columns = ["count", "accuracy"]
    table["share"] = table["count"] / len(df)
    return table
"""}),
    "h_sm_returns_dict": mistake("returns a dict of per-slice dicts, not a DataFrame", "slice_metrics",
                                 edit={SM: [("    return table\n", '    return table.to_dict(orient="index")\n')]}),
    "h_sm_slice_column": mistake("reset_index: slice names in a column, a RangeIndex", "slice_metrics",
                                 edit={SM: [("    return table\n", "    return table.reset_index()\n")]}),
    # ---- aggregate_accuracy ------------------------------------------------------------------------------------
    "h_agg_unweighted": mistake("plain average of the slice accuracies", "aggregate_accuracy",
                                edit={AGG: [(_AGG_RET, 'return float((df["label"] == df["prediction"])'
                                                       '.groupby(df["slice"]).mean().mean())')]}),
    "h_agg_percent": mistake("accuracy in percent", "aggregate_accuracy",
                             edit={AGG: [(_AGG_RET, 'return float(100 * (df["label"] == df["prediction"]).mean())')]}),
    "h_agg_count": mistake("the number of correct requests, not the fraction", "aggregate_accuracy",
                           edit={AGG: [(_AGG_RET, 'return float((df["label"] == df["prediction"]).sum())')]}),
    "h_agg_rounded": mistake("rounds to 2 decimals (0.91)", "aggregate_accuracy",
                             edit={AGG: [(_AGG_RET, 'return round(float((df["label"] == df["prediction"]).mean()), 2)')]}),
    "h_agg_n_minus_one": mistake("divides by len(df) - 1", "aggregate_accuracy",
                                 edit={AGG: [(_AGG_RET, 'return float((df["label"] == df["prediction"]).sum() / '
                                                        '(len(df) - 1))')]}),
    # ---- worst_slice -------------------------------------------------------------------------------------------
    "h_ws_idxmax": mistake("the best slice instead of the worst", "worst_slice",
                           edit={WS: [("idxmin()", "idxmax()")]}),
    "h_ws_last_tie": mistake("ties go to the last slice in index order", "worst_slice",
                             edit={WS: [('metrics["accuracy"].idxmin()', 'metrics["accuracy"][::-1].idxmin()')]}),
    "h_ws_name_only": mistake("returns the name only", "worst_slice",
                              edit=_ws('    return str(metrics["accuracy"].idxmin())')),
    "h_ws_list": mistake("returns a list [name, accuracy] instead of the tuple", "worst_slice",
                         edit=_ws('    name = metrics["accuracy"].idxmin()\n'
                                  '    return [str(name), float(metrics.loc[name, "accuracy"])]')),
    "h_ws_series_accuracy": mistake("accuracy returned as a one-row Series", "worst_slice",
                                    edit=_ws('    name = metrics["accuracy"].idxmin()\n'
                                             '    return str(name), metrics.loc[[name], "accuracy"]')),
    "h_ws_position": mistake("returns the row position instead of the slice name", "worst_slice",
                             edit=_ws('    i = int(metrics["accuracy"].to_numpy().argmin())\n'
                                      '    return i, float(metrics["accuracy"].iloc[i])')),
    "h_gate_n_strict": mistake("n > min_samples: exactly min_samples is refused", "rollout_gate",
                               edit={GATE: [('(old["n"] >= min_samples)', '(old["n"] > min_samples)'),
                                            ('(new["n"] >= min_samples)', '(new["n"] > min_samples)')]}),
    "h_gate_old_n_only": mistake("checks the sample floor in the old table only", "rollout_gate",
                                 edit={GATE: [(' and (new["n"] >= min_samples).all()', "")]}),
    "h_gate_target_nonstrict": mistake("new - old >= 0: no change counts as a fix", "rollout_gate",
                                       edit={GATE: [('old.loc[target_slice, "accuracy"] > 0)',
                                                     'old.loc[target_slice, "accuracy"] >= 0)')]}),
    "h_gate_no_slack": mistake("drops <= tolerance without the 1e-12 slack (0.95 -> 0.94 fails)", "rollout_gate",
                               edit={GATE: [(_DROPS, "no_regression = bool((drops <= tolerance).all())")]}),
    "h_gate_abs_change": mistake("|old - new| <= tolerance: big improvements fail too", "rollout_gate",
                                 edit={GATE: [(_DROPS, "no_regression = bool((drops.abs() <= tolerance + 1e-12).all())")]}),
    "h_gate_tolerance_hardcoded": mistake("always 0.01, ignoring the tolerance argument", "rollout_gate",
                                          edit={GATE: [(_DROPS, "no_regression = bool((drops <= 0.01 + 1e-12).all())")]}),
    "h_gate_relative_drop": mistake("relative drop (old - new) / old compared with the tolerance", "rollout_gate",
                                    edit={GATE: [(_DROPS, 'no_regression = bool((drops / old.loc[others, "accuracy"] '
                                                          '<= tolerance + 1e-12).all())')]}),
    "h_gate_any_enough": mistake("any slice with enough samples suffices", "rollout_gate",
                                 edit={GATE: [('(old["n"] >= min_samples).all() and (new["n"] >= min_samples).all()',
                                               '(old["n"] >= min_samples).any() and (new["n"] >= min_samples).any()')]}),
    "h_gate_string": mistake('returns "approve" / "reject" instead of a bool', "rollout_gate",
                             edit={GATE: [("    return enough and fixed and no_regression",
                                           '    return "approve" if enough and fixed and no_regression else "reject"')]}),
    "h_gate_total_samples": mistake("sample floor on the total requests, not per slice", "rollout_gate",
                                    edit={GATE: [('(old["n"] >= min_samples).all() and (new["n"] >= min_samples).all()',
                                                  'old["n"].sum() >= min_samples and new["n"].sum() >= min_samples')]}),
    # ---- track answer ------------------------------------------------------------------------------------------
    "h_track_worst_tuple": mistake("worst_old is the whole (name, accuracy) tuple", "track_answer",
                                   edit={TRACK: [("worst_old = worst_slice(old_metrics)[0]",
                                                  "worst_old = worst_slice(old_metrics)")]}),
    "h_track_aggregates_swapped": mistake("old and new aggregates swapped", "track_answer",
                                          edit={TRACK: [("old_aggregate = aggregate_accuracy(old_df)",
                                                         "old_aggregate = aggregate_accuracy(new_df)"),
                                                        ("new_aggregate = aggregate_accuracy(new_df)",
                                                         "new_aggregate = aggregate_accuracy(old_df)")]}),
    "h_track_aggregate_typed": mistake("old_aggregate typed in from the printout (0.9433)", "track_answer",
                                       edit={TRACK: [("old_aggregate = aggregate_accuracy(old_df)",
                                                      "old_aggregate = 0.9433")]}),
    "h_track_gate_tables_swapped": mistake("rollout_gate(new, old, ...): the tables swapped", "track_answer",
                                           edit={TRACK: [(_GATE_CALL, "gate_approved = rollout_gate(new_metrics, "
                                                                      "old_metrics, scenario.target_slice)")]}),
    # ---- shadow_memory -----------------------------------------------------------------------------------------
    "h_mem_one_device": mistake("one device's memory for Llama-3-70B's 8-GPU replica", "shadow_memory",
                                track="cloud_titan",
                                edit={MEM: [(_TRACK_MEM, "hw.memory_bytes)")]}),
    "h_mem_bits": mistake("bytes per parameter times 8 (bits)", "shadow_memory",
                          edit={MEM: [(_COPIES, "return int(memory_bytes // (parameters * bytes_per_parameter * 8))")]}),
    "h_mem_round": mistake("rounds the number of copies instead of flooring", "shadow_memory",
                           edit={MEM: [(_COPIES, "return round(memory_bytes / (parameters * bytes_per_parameter))")]}),
    "h_mem_float_copies": mistake("returns the unfloored ratio", "shadow_memory",
                                  edit={MEM: [(_COPIES, "return memory_bytes / (parameters * bytes_per_parameter)")]}),
    "h_mem_fits_strict": mistake("more than two copies needed (> 2): exactly two is refused", "shadow_memory",
                                 edit={MEM: [(_FITS, "return max_model_copies(parameters, bytes_per_parameter, "
                                                     "memory_bytes) > 2")]}),
    "h_mem_fits_one_copy": mistake("fits when one copy fits", "shadow_memory",
                                   edit={MEM: [(_FITS, "return max_model_copies(parameters, bytes_per_parameter, "
                                                       "memory_bytes) >= 1")]}),
    "h_mem_fits_string": mistake('returns "yes" / "no"', "shadow_memory",
                                 edit={MEM: [(_FITS, 'return "yes" if max_model_copies(parameters, bytes_per_parameter, '
                                                     'memory_bytes) >= 2 else "no"')]}),
    "h_mem_gb_memory": mistake("memory in GB against weights in bytes", "shadow_memory",
                               edit={MEM: [(_TRACK_MEM, "hw.memory_bytes * dep.devices_per_replica / 1e9)")]}),
    "h_mem_fits_strict_bytes": mistake("2 * weights < memory: exactly filling the memory is refused",
                                       "shadow_memory",
                                       edit={MEM: [(_FITS, "return 2 * parameters * bytes_per_parameter < memory_bytes")]}),
    # ======== alternatives =====================================================================================
    "h_alt_sm_named_agg": alternative("groupby with named aggregation on an assigned column",
                                      replace={SM: _SM_HEAD + """    t = df.assign(correct=df["label"] == df["prediction"]).groupby("slice").agg(
        n=("correct", "size"), accuracy=("correct", "mean")
    )
    t["share"] = t["n"] / len(df)
    return t.sort_index()
"""}),
    "h_alt_sm_pure_python": alternative("a loop over rows into dicts, then a DataFrame",
                                        replace={SM: _SM_HEAD + """    counts, correct = {}, {}
    for s, y, p in zip(df["slice"], df["label"], df["prediction"]):
        counts[s] = counts.get(s, 0) + 1
        correct[s] = correct.get(s, 0) + (1 if y == p else 0)
    rows = [{"slice": s, "n": counts[s], "accuracy": correct[s] / counts[s], "share": counts[s] / len(df)}
            for s in sorted(counts)]
    return pd.DataFrame(rows).set_index("slice")
"""}),
    "h_alt_sm_value_counts": alternative("n from value_counts, accuracy from a groupby mean, other column order",
                                         replace={SM: _SM_HEAD + """    n = df["slice"].value_counts().sort_index()
    acc = (df["label"] == df["prediction"]).groupby(df["slice"]).mean()
    return pd.DataFrame({"share": n / n.sum(), "accuracy": acc, "n": n}).sort_index()
"""}),
    "h_alt_sm_index_name": alternative("index named segment",
                                       edit={SM: [("    return table\n", '    table.index.name = "segment"\n'
                                                                       "    return table\n")]}),
    "h_alt_agg_weighted_mean": alternative("np.average of the slice accuracies weighted by n",
                                           edit={AGG: [(_AGG_RET, "m = slice_metrics(df)\n"
                                                                  '    return float(np.average(m["accuracy"], '
                                                                  'weights=m["n"]))')]}),
    "h_alt_agg_numpy": alternative("NumPy arrays, returns np.float64",
                                   edit={AGG: [(_AGG_RET, 'return np.mean(df["label"].to_numpy() == '
                                                          'df["prediction"].to_numpy())')]}),
    "h_alt_agg_sum_len": alternative("correct count over len(df)",
                                     edit={AGG: [(_AGG_RET, 'return (df["label"] == df["prediction"]).sum() / len(df)')]}),
    "h_alt_ws_stable_sort": alternative("stable sort by accuracy (ties keep index order), no mutation",
                                        edit=_ws('    s = metrics["accuracy"].sort_values(kind="stable")\n'
                                                 '    return str(s.index[0]), float(s.iloc[0])')),
    "h_alt_ws_loop": alternative("a loop keeping the first strict minimum",
                                 edit=_ws('    best = None\n'
                                          '    for name, acc in metrics["accuracy"].items():\n'
                                          '        if best is None or acc < best[1]:\n'
                                          '            best = (str(name), float(acc))\n'
                                          '    return best')),
    "h_alt_ws_numpy_float": alternative("accuracy as np.float64 (no float())",
                                        edit=_ws('    name = metrics["accuracy"].idxmin()\n'
                                                 '    return str(name), metrics["accuracy"].min()')),
    "h_alt_gate_all_slices": alternative("the regression rule also over the target (it improved, so it passes)",
                                         edit={GATE: [('drops = old.loc[others, "accuracy"] - new.loc[others, "accuracy"]',
                                                       'drops = old["accuracy"] - new.loc[old.index, "accuracy"]')]}),
    "h_alt_gate_numpy_bool": alternative("returns np.bool_",
                                         edit={GATE: [("    return enough and fixed and no_regression",
                                                       "    return np.bool_(enough and fixed and no_regression)")]}),
    "h_alt_gate_loop": alternative("loops with early returns",
                                   replace={GATE: '''def rollout_gate(old, new, target_slice, tolerance=0.01, min_samples=100):
    """True if the new model fixes target_slice, regresses no other slice beyond tolerance, with enough samples."""
    for s in old.index:
        if old.loc[s, "n"] < min_samples or new.loc[s, "n"] < min_samples:
            return False
    if not new.loc[target_slice, "accuracy"] - old.loc[target_slice, "accuracy"] > 0:
        return False
    for s in old.index:
        if s != target_slice and old.loc[s, "accuracy"] - new.loc[s, "accuracy"] > tolerance + 1e-12:
            return False
    return True
'''}),
    "h_alt_mem_math_floor": alternative("math.floor of the ratio",
                                        edit={MEM: [(_COPIES, "return __import__('math').floor(memory_bytes / "
                                                              "(parameters * bytes_per_parameter))")]}),
    "h_alt_mem_fits_direct": alternative("2 * weights <= memory without max_model_copies",
                                         edit={MEM: [(_FITS, "return 2 * parameters * bytes_per_parameter <= memory_bytes")]}),
    "h_alt_mem_numpy_int": alternative("np.floor_divide: a NumPy integer count",
                                       edit={MEM: [(_COPIES, "return np.floor_divide(memory_bytes, parameters * "
                                                             "bytes_per_parameter).astype(np.int64)")]}),
    "h_alt_black_cell": alternative("magics and Black-formatted continuation lines", insert=BLACK_CELL),
    "h_alt_track_cloud": alternative("the solution on Cloud Titan", track="cloud_titan"),
    "h_alt_track_tiny": alternative("the solution on Tiny Pioneer", track="tiny_pioneer"),
    "h_alt_track_mobile": alternative("the solution on Mobile Nomad", track="mobile_nomad"),
}
