"""Known-wrong submissions of ensemble_lockdown and the exact score each must get (of 17)."""

VARIANTS = {
    "fingerprint_no_sort_keys": {
        "why": "TBD",
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
        "score": 0,
    },
    "fingerprint_sorted_features": {
        "why": "TBD",
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
        "score": 0,
    },
    "compatible_names_only": {
        "why": "TBD",
        "replace": {
            "def is_compatible(": '''def is_compatible(trained_on, serving):
    return [f[0] for f in trained_on["features"]] == [f[0] for f in serving["features"]]
''',
        },
        "score": 0,
    },
    "skew_no_smoothing": {
        "why": "TBD",
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
        "score": 0,
    },
    "no_prediction": {
        "why": "Prediction left blank: loses prediction (1) only.",
        "replace": {"PREDICTION =": "PREDICTION = ...\n"},
        "score": 16.0,
    },
}
