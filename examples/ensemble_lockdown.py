"""Known-wrong submissions of ensemble_lockdown and the points each must lose."""

VARIANTS = {
    "fingerprint_no_sort_keys": {
        "why": "json.dumps without sort_keys: the hash depends on insertion order (the normalised dict's "
               "extractor/version/features/params order is not alphabetical, and params keep the caller's order). "
               "Loses every schema_fingerprint test (demo 0.5, defaults 0.5, track contracts 0.5, random contracts "
               "1.5). is_compatible compares the student's own fingerprints, so its verdicts on shuffled keys and "
               "random pairs, and fingerprint_v1, are right given them (error carried forward); genuinely different "
               "contracts still hash differently, and contract_diff, PSI and the other track answers are "
               "untouched.",
        "replace": {
            "def schema_fingerprint(": '''def schema_fingerprint(contract):
    canonical = {
        "extractor": str(contract.get("extractor", "")),
        "version": str(contract.get("version", "")),
        "features": [[str(name), str(dtype)] for name, dtype in contract["features"]],
        "params": dict(contract.get("params", {})),
    }
    text = json.dumps(canonical, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
''',
        },
        "lost": 3,
    },
    "fingerprint_sorted_features": {
        "why": "Features sorted before hashing, so the order the classifier consumes is lost: loses "
               "schema_fingerprint defaults (0.5, an unsorted pair), track contracts (0.5, 2.0.0 emits its features "
               "in a new order) and random contracts (1.5); is_compatible keeps its points by error carried forward "
               "(a pure reorder is compatible given this fingerprint). fingerprint_v1 still passes on edge_guardian "
               "because brightness, contrast, edge_density, object_count are already alphabetical (on cloud_titan "
               "and mobile_nomad it is lost too).",
        "replace": {
            "def schema_fingerprint(": '''def schema_fingerprint(contract):
    canonical = {
        "extractor": str(contract.get("extractor", "")),
        "version": str(contract.get("version", "")),
        "features": sorted([str(name), str(dtype)] for name, dtype in contract["features"]),
        "params": dict(contract.get("params", {})),
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
''',
        },
        "lost": 2.5,
    },
    "compatible_names_only": {
        "why": "is_compatible compares only the feature names: a new version, a changed parameter or "
               "dtype pass as compatible. Loses is_compatible's fixed cases (1: the single changes count as "
               "compatible) and random pairs (1). "
               "compatible_after_upgrade is still False because 2.0.0 adds a feature and reorders, so the name "
               "lists differ; fingerprints and contract_diff are untouched.",
        "replace": {
            "def is_compatible(": '''def is_compatible(trained_on, serving):
    return [f[0] for f in trained_on["features"]] == [f[0] for f in serving["features"]]
''',
        },
        "lost": 2,
    },
    "skew_no_smoothing": {
        "why": "feature_skew recomputes PSI without the eps smoothing: an empty bin gives inf (or NaN for "
               "0*log(0/0)). Loses feature_skew random tables (1), DataFrames (0.5) and track (0.5); "
               "skewed, whose worst-first order collapses to the name tie-break when every renormalised feature has "
               "PSI inf, is what the solution's code gives through this feature_skew (finite and varying elsewhere), "
               "so it passes by error carried forward. psi_from_samples itself is right (the mistake is in "
               "feature_skew only).",
        "replace": {
            "def feature_skew(": '''def feature_skew(train, serving, bins=10):
    out = {}
    for name in train:
        if name not in serving:
            continue
        t = np.asarray(train[name], dtype=float)
        s = np.asarray(serving[name], dtype=float)
        edges = np.unique(np.quantile(t, np.linspace(0, 1, bins + 1)))
        inner = edges[1:-1] if len(edges) >= 3 else edges[:1]
        k = len(inner) + 1
        e = np.bincount(np.searchsorted(inner, t, side="right"), minlength=k) / len(t)
        a = np.bincount(np.searchsorted(inner, s, side="right"), minlength=k) / len(s)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[name] = float(np.sum((a - e) * np.log(a / e)))
    return out
''',
        },
        "lost": 2,
    },
    "no_prediction": {
        "why": "Prediction left blank: loses prediction (1) only.",
        "replace": {"PREDICTION =": "PREDICTION = ...\n"},
        "lost": 1,
    },
    "levels_not_steps": {
        "why": "INT quantization step computed with 2^b levels instead of 2^b - 1 steps (off by 0.4 % at INT8). "
               "Loses precision_skew/worked example (0.5) and random ranges (1); the track's precision_skew "
               "(Edge Guardian serves INT8) is right given the student's own function (error carried forward), and "
               "the floating-point branch is right.",
        "replace": {
            "def quantization_error(": '''def quantization_error(low, high, precision):
    """Worst-case rounding error of values in [low, high] stored at precision ("int<b>", "fp32", "fp16")."""
    if precision.startswith("int"):
        bits = int(precision[3:])
        return float((high - low) / (2 * 2**bits))  # 256 levels taken for 256 steps
    mantissa = {"fp32": 23, "fp16": 10}[precision]
    return float(max(abs(low), abs(high)) * 2.0 ** -(mantissa + 1))


first = scenario.features[0]
column = np.asarray(snapshot_v1[first], dtype=float)
precision_skew = quantization_error(column.min(), column.max(), track.deployment.precision) / column.std()
print(f"{first} at {track.deployment.precision}: worst-case rounding error {precision_skew:.2e} standard deviations")
''',
        },
        "lost": 1.5,
    },
}
