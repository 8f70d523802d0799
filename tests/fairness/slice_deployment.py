"""Slice-Aware Deployment: mistakes and acceptable alternatives, written from the notebook's text."""

from . import BLACK_CELL, alternative, mistake

METRICS = "def slice_metrics("
AGG = "def aggregate_accuracy("
WORST = "def worst_slice("
GATE = "def rollout_gate("
TRACK = "old_metrics = slice_metrics(old_df)"
COPIES = "def max_model_copies("
ENOUGH = 'enough = bool((old["n"] >= min_samples).all() and (new["n"] >= min_samples).all())'
FIXED = 'fixed = bool(new.loc[target_slice, "accuracy"] - old.loc[target_slice, "accuracy"] > 0)'
NO_REG = "no_regression = bool((drops <= tolerance + 1e-12).all())"

MUTANTS = {
    # -- slice_metrics ------------------------------------------------------------------------------------------
    "metrics_unsorted": mistake(
        "slices in order of first appearance, not sorted",
        "slice_metrics",
        edit={
            METRICS: [
                (
                    'hits.groupby(df["slice"]).agg(["size", "mean"]).sort_index()',
                    'hits.groupby(df["slice"], sort=False).agg(["size", "mean"])',
                )
            ]
        },
    ),
    "metrics_share_of_slices": mistake(
        "share = 1 / number of slices",
        "slice_metrics",
        edit={METRICS: [('table["share"] = table["n"] / len(df)', 'table["share"] = 1 / len(table)')]},
    ),
    "metrics_share_percent": mistake(
        "share in percent", "slice_metrics", edit={METRICS: [('table["n"] / len(df)', '100 * table["n"] / len(df)')]}
    ),
    "metrics_error_rate": mistake(
        "error rate instead of accuracy",
        "slice_metrics",
        edit={METRICS: [('hits = df["label"] == df["prediction"]', 'hits = df["label"] != df["prediction"]')]},
    ),
    "metrics_correct_count": mistake(
        "number correct instead of the fraction",
        "slice_metrics",
        edit={METRICS: [('agg(["size", "mean"])', 'agg(["size", "sum"])')]},
    ),
    "metrics_n_correct_only": mistake(
        "n counts the correct requests only",
        "slice_metrics",
        edit={METRICS: [('agg(["size", "mean"])', 'agg(["sum", "mean"])')]},
    ),
    "metrics_n_as_float": mistake(
        "n as floats (n is a count)",
        "slice_metrics",
        edit={METRICS: [('table["n"] = table["n"].astype(int)', 'table["n"] = table["n"].astype(float)')]},
    ),
    "metrics_no_index": mistake(
        "slice names in a column, index 0..k-1",
        "slice_metrics",
        edit={METRICS: [("    return table", "    return table.reset_index()")]},
    ),
    # -- aggregate_accuracy -----------------------------------------------------------------------------------
    "agg_unweighted": mistake(
        "plain mean of slice accuracies",
        "aggregate_accuracy",
        replace={
            AGG: """def aggregate_accuracy(df):
    hits = df["label"] == df["prediction"]
    return float(hits.groupby(df["slice"]).mean().mean())
"""
        },
    ),
    "agg_error_rate": mistake(
        "error rate",
        "aggregate_accuracy",
        edit={AGG: [('(df["label"] == df["prediction"]).mean()', '(df["label"] != df["prediction"]).mean()')]},
    ),
    "agg_percent": mistake(
        "accuracy in percent", "aggregate_accuracy", edit={AGG: [("return float(", "return 100 * float(")]}
    ),
    "agg_rounded": mistake(
        "rounded to 2 decimals",
        "aggregate_accuracy",
        edit={
            AGG: [
                (
                    'return float((df["label"] == df["prediction"]).mean())',
                    'return round(float((df["label"] == df["prediction"]).mean()), 2)',
                )
            ]
        },
    ),
    # -- worst_slice ------------------------------------------------------------------------------------------
    "worst_best_slice": mistake(
        "the best slice (idxmax)",
        "worst_slice",
        edit={WORST: [('metrics["accuracy"].idxmin()', 'metrics["accuracy"].idxmax()')]},
    ),
    "worst_last_tie": mistake(
        "ties go to the last slice",
        "worst_slice",
        edit={WORST: [('name = metrics["accuracy"].idxmin()', 'name = metrics["accuracy"][::-1].idxmin()')]},
    ),
    "worst_as_list": mistake(
        "a list where the notebook asks for the tuple",
        "worst_slice",
        edit={
            WORST: [
                (
                    'return str(name), float(metrics.loc[name, "accuracy"])',
                    'return [str(name), float(metrics.loc[name, "accuracy"])]',
                )
            ]
        },
    ),
    "worst_name_only": mistake(
        "the name only",
        "worst_slice",
        edit={WORST: [('return str(name), float(metrics.loc[name, "accuracy"])', "return str(name)")]},
    ),
    "worst_smallest_share": mistake(
        "the slice with the smallest traffic share",
        "worst_slice",
        edit={WORST: [('metrics["accuracy"].idxmin()', 'metrics["share"].idxmin()')]},
    ),
    # -- rollout_gate -----------------------------------------------------------------------------------------
    "gate_new_table_only": mistake(
        "sample floor checked in the new table only",
        "rollout_gate",
        edit={GATE: [(ENOUGH, 'enough = bool((new["n"] >= min_samples).all())')]},
    ),
    "gate_strict_floor": mistake(
        "n > min_samples",
        "rollout_gate",
        edit={
            GATE: [
                ('(old["n"] >= min_samples)', '(old["n"] > min_samples)'),
                ('(new["n"] >= min_samples)', '(new["n"] > min_samples)'),
            ]
        },
    ),
    "gate_no_change_is_fix": mistake(
        "an unchanged target counts as fixed (>= 0)",
        "rollout_gate",
        edit={GATE: [(FIXED, FIXED.replace("> 0)", ">= 0)"))]},
    ),
    "gate_tolerance_strict": mistake(
        "a drop equal to the tolerance fails (no slack, <)",
        "rollout_gate",
        edit={GATE: [(NO_REG, "no_regression = bool((drops < tolerance).all())")]},
    ),
    "gate_no_slack": mistake(
        "no 1e-12 slack: 0.95 -> 0.94 fails",
        "rollout_gate",
        edit={GATE: [(NO_REG, "no_regression = bool((drops <= tolerance).all())")]},
    ),
    "gate_target_in_regression": mistake(
        "the target slice also checked for regression (harmless) but the sample floor skipped",
        "rollout_gate",
        edit={GATE: [(ENOUGH, "enough = True")]},
    ),
    "gate_any_improvement": mistake(
        "approves when any slice improves",
        "rollout_gate",
        edit={GATE: [(FIXED, 'fixed = bool((new["accuracy"] - old["accuracy"] > 0).any())')]},
    ),
    "gate_relative_drop": mistake(
        "relative drop (old - new)/old against the tolerance",
        "rollout_gate",
        edit={
            GATE: [
                (
                    'drops = old.loc[others, "accuracy"] - new.loc[others, "accuracy"]',
                    'drops = (old.loc[others, "accuracy"] - new.loc[others, "accuracy"]) / old.loc[others, "accuracy"]',
                )
            ]
        },
    ),
    "gate_numpy_bool": mistake(
        "returns a pandas/NumPy result of & (np.bool_) but ignores the sample floor of the old table",
        "rollout_gate",
        edit={
            GATE: [
                (ENOUGH, 'enough = (new["n"] >= min_samples).all()'),
                ("return enough and fixed and no_regression", "return enough & fixed & no_regression"),
            ]
        },
    ),
    # -- track answers ----------------------------------------------------------------------------------------
    "track_worst_tuple": mistake(
        "worst_old is the (name, accuracy) tuple, not the name",
        "track_answer",
        edit={TRACK: [("worst_old = worst_slice(old_metrics)[0]", "worst_old = worst_slice(old_metrics)")]},
    ),
    "track_aggregates_swapped": mistake(
        "old and new aggregates swapped",
        "track_answer",
        edit={
            TRACK: [
                ("old_aggregate = aggregate_accuracy(old_df)", "old_aggregate = aggregate_accuracy(new_df)"),
                ("new_aggregate = aggregate_accuracy(new_df)", "new_aggregate = aggregate_accuracy(old_df)"),
            ]
        },
    ),
    "track_gate_swapped_tables": mistake(
        "gate called with new and old swapped",
        "track_answer",
        edit={TRACK: [("rollout_gate(old_metrics, new_metrics,", "rollout_gate(new_metrics, old_metrics,")]},
    ),
    "hardcoded_track_answers": mistake(
        "aggregate_accuracy left unfinished, old_aggregate and new_aggregate typed in",
        {"aggregate_accuracy", "track_answer"},
        edit={
            AGG: [('    return float((df["label"] == df["prediction"]).mean())', "    return 0.9")],
            TRACK: [
                ("old_aggregate = aggregate_accuracy(old_df)", "old_aggregate = 0.9432967032967033"),
                ("new_aggregate = aggregate_accuracy(new_df)", "new_aggregate = 0.9542857142857143"),
            ],
        },
    ),
    # -- shadow_memory ----------------------------------------------------------------------------------------
    "copies_bits": mistake(
        "bytes per parameter read as bits (x8)",
        "shadow_memory",
        edit={COPIES: [("(parameters * bytes_per_parameter)", "(parameters * bytes_per_parameter * 8)")]},
    ),
    "copies_rounds": mistake(
        "round() instead of the floor",
        "shadow_memory",
        track="tiny_pioneer",
        edit={
            COPIES: [
                (
                    "int(memory_bytes // (parameters * bytes_per_parameter))",
                    "int(round(memory_bytes / (parameters * bytes_per_parameter)))",
                )
            ]
        },
    ),
    "copies_float": mistake(
        "returns a float count",
        "shadow_memory",
        edit={
            COPIES: [
                (
                    "int(memory_bytes // (parameters * bytes_per_parameter))",
                    "memory_bytes // (parameters * bytes_per_parameter)",
                )
            ]
        },
    ),
    "copies_one_device": mistake(
        "one GPU's memory for the 8-GPU replica",
        "shadow_memory",
        track="cloud_titan",
        edit={COPIES: [("hw.memory_bytes * dep.devices_per_replica)", "hw.memory_bytes)")]},
    ),
    "shadow_fits_one_copy": mistake(
        "shadow_fits when one copy fits (>= 1)",
        "shadow_memory",
        track="tiny_pioneer",
        edit={COPIES: [("memory_bytes) >= 2", "memory_bytes) >= 1")]},
    ),
    "shadow_fits_strict": mistake(
        "shadow_fits needs more than two copies (> 2)",
        "shadow_memory",
        edit={COPIES: [("memory_bytes) >= 2", "memory_bytes) > 2")]},
    ),
    "fits_strict_memory": mistake(
        "two copies must leave memory free (2 w < M): exactly filling the memory does not fit",
        "shadow_memory",
        edit={
            COPIES: [
                (
                    "return max_model_copies(parameters, bytes_per_parameter, memory_bytes) >= 2",
                    "return 2 * parameters * bytes_per_parameter < memory_bytes",
                )
            ]
        },
    ),
    "fits_ignores_weights_size": mistake(
        "fits when one copy fits in half the memory, computed in bits",
        "shadow_memory",
        edit={
            COPIES: [
                (
                    "return max_model_copies(parameters, bytes_per_parameter, memory_bytes) >= 2",
                    "return 2 * parameters * bytes_per_parameter * 8 <= memory_bytes",
                )
            ]
        },
    ),
    "copies_gib": mistake(
        "memory divided by 2**30 and weights by 1e9 (units mixed)",
        "shadow_memory",
        edit={
            COPIES: [
                (
                    "int(memory_bytes // (parameters * bytes_per_parameter))",
                    "int((memory_bytes / 2**30) // (parameters * bytes_per_parameter / 1e9))",
                )
            ]
        },
    ),
    "prediction_blank": mistake("prediction left blank", "prediction", replace={"PREDICTION =": "PREDICTION = ''\n"}),
    # -- alternatives ---------------------------------------------------------------------------------------
    "magic_cell": alternative("a cell of magics and operator continuation lines", insert=BLACK_CELL),
    "metrics_groupby_agg": alternative(
        "named aggregation with a correct column, numpy int64 counts",
        replace={
            METRICS: """def slice_metrics(df):
    work = df.assign(correct=(df["label"] == df["prediction"]).astype(float))
    table = work.groupby("slice").agg(n=("correct", "size"), accuracy=("correct", "mean"))
    table["share"] = table["n"] / table["n"].sum()
    return table.sort_index()
"""
        },
    ),
    "metrics_value_counts": alternative(
        "counts from value_counts, accuracy from a groupby mean",
        replace={
            METRICS: """def slice_metrics(df):
    n = df["slice"].value_counts().sort_index()
    accuracy = (df["label"] == df["prediction"]).groupby(df["slice"]).mean().sort_index()
    return pd.DataFrame({"n": n, "accuracy": accuracy, "share": n / len(df)})
"""
        },
    ),
    "agg_weighted_by_n": alternative(
        "aggregate as the n-weighted mean of the slice accuracies",
        replace={
            AGG: """def aggregate_accuracy(df):
    m = slice_metrics(df)
    return float((m["accuracy"] * m["n"]).sum() / m["n"].sum())
"""
        },
    ),
    "agg_numpy_float": alternative(
        "aggregate_accuracy returns np.float64",
        edit={
            AGG: [
                (
                    'return float((df["label"] == df["prediction"]).mean())',
                    'return np.mean(df["label"].to_numpy() == df["prediction"].to_numpy())',
                )
            ]
        },
    ),
    "worst_numpy_float": alternative(
        "worst_slice's accuracy as np.float64",
        edit={WORST: [('float(metrics.loc[name, "accuracy"])', 'np.float64(metrics.loc[name, "accuracy"])')]},
    ),
    "worst_sort_values": alternative(
        "stable sort by accuracy, first row",
        edit={
            WORST: [
                (
                    'name = metrics["accuracy"].idxmin()',
                    'name = metrics["accuracy"].sort_values(kind="stable").index[0]',
                )
            ]
        },
    ),
    "gate_numpy_bool_result": alternative(
        "rollout_gate returns np.bool_ (a bool)",
        edit={
            GATE: [("return enough and fixed and no_regression", "return np.bool_(enough and fixed and no_regression)")]
        },
    ),
    "gate_loop": alternative(
        "rollout_gate with a loop over slices",
        replace={
            GATE: """def rollout_gate(old, new, target_slice, tolerance=0.01, min_samples=100):
    for s in old.index:
        if old.loc[s, "n"] < min_samples or new.loc[s, "n"] < min_samples:
            return False
    if not new.loc[target_slice, "accuracy"] > old.loc[target_slice, "accuracy"]:
        return False
    for s in old.index:
        if s != target_slice and old.loc[s, "accuracy"] - new.loc[s, "accuracy"] > tolerance + 1e-12:
            return False
    return True
"""
        },
    ),
    "fits_two_times_weights": alternative(
        "fits_with_shadow as 2 x weights <= memory",
        edit={
            COPIES: [
                (
                    "return max_model_copies(parameters, bytes_per_parameter, memory_bytes) >= 2",
                    "return 2 * parameters * bytes_per_parameter <= memory_bytes",
                )
            ]
        },
    ),
    "copies_numpy_int": alternative(
        "max_model_copies returns a NumPy integer",
        edit={
            COPIES: [
                (
                    "int(memory_bytes // (parameters * bytes_per_parameter))",
                    "np.int64(memory_bytes // (parameters * bytes_per_parameter))",
                )
            ]
        },
    ),
    "other_track": alternative("the Tiny Pioneer track", track="tiny_pioneer"),
    "mobile_track": alternative("the Mobile Nomad track", track="mobile_nomad"),
}
