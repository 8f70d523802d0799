"""Known-wrong submissions of slice_deployment and the points each must lose."""

VARIANTS = {
    "unweighted_aggregate": {
        "why": "Aggregate accuracy as the plain mean of the slice accuracies instead of over all requests (traffic-"
               "weighted): loses aggregate_accuracy/chapter (1; 0.84 instead of 0.906), aggregate_accuracy/random "
               "logs (1); the track aggregates old_aggregate and new_aggregate are right given the student's own "
               "function (error carried forward).",
        "replace": {
            "def aggregate_accuracy(": '''def aggregate_accuracy(df):
    return float(slice_metrics(df)["accuracy"].mean())
''',
        },
        "lost": 2,
    },
    "gate_target_only": {
        "why": "Gate that checks the sample floor and the target slice but ignores regressions on the other slices, "
               "on the mobile_nomad track (low_battery 0.93 -> 0.90): loses rollout_gate/track tables (1), "
               "rollout_gate/rules (1), rollout_gate/tolerance boundary (0.5) and rollout_gate/random tables (1.5); "
               "its sample-floor cases have no regression and still pass. gate_approved is right given the student's "
               "own gate, which approves on the four tracks but refuses too-small samples (a real attempt, not a "
               "constant): error carried forward.",
        "replace": {
            "def rollout_gate(": '''def rollout_gate(old, new, target_slice, tolerance=0.01, min_samples=100):
    if (old["n"] < min_samples).any() or (new["n"] < min_samples).any():
        return False
    return bool(new.loc[target_slice, "accuracy"] > old.loc[target_slice, "accuracy"])
''',
        },
        "track": "mobile_nomad",
        "lost": 4,
    },
    "gate_no_min_samples": {
        "why": "Gate without the sample-floor rule (approves on too little evidence): loses rollout_gate/min samples "
               "(1) and rollout_gate/random tables (1.5); every track slice has thousands of requests, so the track "
               "tables and gate_approved still pass.",
        "replace": {
            "def rollout_gate(": '''def rollout_gate(old, new, target_slice, tolerance=0.01, min_samples=100):
    if not new.loc[target_slice, "accuracy"] - old.loc[target_slice, "accuracy"] > 0:
        return False
    for name in old.index:
        if name != target_slice and old.loc[name, "accuracy"] - new.loc[name, "accuracy"] > tolerance + 1e-12:
            return False
    return True
''',
        },
        "lost": 2.5,
    },
    "share_within_slice": {
        "why": "share divided by the slice's own size instead of the total number of requests (every share is 1): "
               "loses slice_metrics/chapter (1), slice_metrics/random logs (1.5) and slice_metrics/share (0.5); "
               "the sorted-counts test checks only n and accuracy, and nothing downstream uses share.",
        "replace": {
            "def slice_metrics(": '''def slice_metrics(df):
    hits = df["label"] == df["prediction"]
    groups = hits.groupby(df["slice"])
    table = pd.DataFrame({"n": groups.size(), "accuracy": groups.mean()}).sort_index()
    table["share"] = table["n"] / groups.size()
    return table
''',
        },
        "lost": 3,
    },
    "no_prediction": {
        "why": "Prediction left blank: loses prediction (1) only.",
        "replace": {"PREDICTION =": "PREDICTION = ...\n"},
        "lost": 1,
    },
    "bits_per_parameter": {
        "why": "Weights sized in bits (INT8 = 8) against memory in bytes: 8x too few copies. Loses "
               "shadow_memory/worked example (0.5: the 8-GPU node holds 0 instead of 4 Llama-3-70B copies), random "
               "sizes (1); model_copies (625 instead of 5,000 on Edge Guardian) is right given the student's own "
               "function (error carried forward), and shadow_fits stays True there and passes.",
        "replace": {
            "def max_model_copies(": '''def max_model_copies(parameters, bytes_per_parameter, memory_bytes):
    """How many copies of a model's weights fit in memory_bytes."""
    return int(memory_bytes // (parameters * bytes_per_parameter * 8))  # bits per weight, bytes of memory


def fits_with_shadow(parameters, bytes_per_parameter, memory_bytes):
    """Whether the serving model and its shadow (two copies of the weights) fit in memory_bytes."""
    return max_model_copies(parameters, bytes_per_parameter, memory_bytes) >= 2


hw, dep = track.hardware, track.deployment
model_copies = max_model_copies(dep.parameters, dep.bytes_per_parameter, hw.memory_bytes * dep.devices_per_replica)
shadow_fits = fits_with_shadow(dep.parameters, dep.bytes_per_parameter, hw.memory_bytes * dep.devices_per_replica)
print(f"{dep.model} ({dep.parameters * dep.bytes_per_parameter / 1e6:,.1f} MB of weights) on {hw.device}: "
      f"{model_copies:,} copies fit; serving model + shadow fit: {shadow_fits}")
''',
        },
        "lost": 1.5,
    },
}
