"""Known-wrong submissions of drift_detective and the points each must lose."""

VARIANTS = {
    "psi_no_smoothing": {
        "why": "PSI without empty-bin smoothing returns inf/NaN whenever a bin is empty: loses psi/empty-bins (1) "
               "only. psi_from_samples (right) gives the same inf through it, and this psi gives finite, varying "
               "values elsewhere, so its random-samples and degenerate-data tests pass by error carried forward.",
        "replace": {
            "def psi(": '''def psi(expected, actual, eps=1e-4):
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    e = e / e.sum()
    a = a / a.sum()
    return float(np.sum((a - e) * np.log(a / e)))
''',
        },
        "lost": 1.0,
    },
    "uniform_bins": {
        "why": "Equal-width instead of quantile bins: psi_from_samples disagrees with the reference on random "
               "samples (1.5) and on the far-out-of-range sample (1); live_psi is right given the student's own "
               "psi_from_samples (error carried forward), and the identical and shifted samples (uniform data: "
               "both binnings agree) and live_status still pass.",
        "replace": {
            "def psi_from_samples(": '''def psi_from_samples(train, live, bins=10):
    train = np.asarray(train, dtype=float)
    live = np.asarray(live, dtype=float)
    edges = np.linspace(train.min(), train.max(), bins + 1)
    inner = edges[1:-1]
    train_counts = np.bincount(np.searchsorted(inner, train, side="right"), minlength=bins)
    live_counts = np.bincount(np.searchsorted(inner, live, side="right"), minlength=bins)
    return psi(train_counts, live_counts)
''',
        },
        "lost": 2.5,
    },
    "strict_bands": {
        "why": "0.2 classified as significant (> instead of >=): loses drift_status/boundaries (1).",
        "replace": {
            "def drift_status(": '''def drift_status(psi_value):
    if psi_value < 0.1:
        return "stable"
    if psi_value < 0.2:
        return "investigate"
    return "significant"
''',
        },
        "lost": 1,
    },
    "no_prediction": {
        "why": "Prediction left blank: loses prediction (1) only.",
        "replace": {"PREDICTION =": "PREDICTION = ...\n"},
        "lost": 1,
    },
    "counters_in_bits": {
        "why": "Histogram counters sized in bits against a budget in bytes (a uint32 counted as 32): 8x too few "
               "features. Loses monitor_memory/worked example (0.5) and random budgets (1); max_features is right "
               "given the student's own function (error carried forward) and monitor_budget_bytes does not use it.",
        "replace": {
            "def max_monitored_features(": '''def max_monitored_features(budget_bytes, bins, bytes_per_count):
    """Largest number of features whose reference and live histograms fit budget_bytes."""
    per_feature = 2 * bins * bytes_per_count * 8  # counted in bits, budget in bytes
    return int(budget_bytes // per_feature)


hw, dep = track.hardware, track.deployment
weights_per_device = dep.parameters * dep.bytes_per_parameter / dep.devices_per_replica
monitor_budget_bytes = dep.monitor_memory_share * (hw.memory_bytes - weights_per_device)
max_features = max_monitored_features(monitor_budget_bytes, dep.histogram_bins, dep.counter_bytes)
print(f"{hw.device}: {monitor_budget_bytes:,.0f} bytes for the monitor -> at most {max_features:,} features")
''',
        },
        "lost": 1.5,
    },
    "gb_read_as_gib": {
        "why": "The Orin NX's 16 GB (decimal, 16e9 bytes) converted as 16 GiB (2^30 bytes each, 7.4 % more): the "
               "monitor budget and the feature count are too large. Loses monitor_memory/monitor_budget_bytes (0.75); "
               "max_monitored_features is right, and max_features is right given the student's own budget (error "
               "carried forward).",
        "replace": {
            "def max_monitored_features(": '''def max_monitored_features(budget_bytes, bins, bytes_per_count):
    """Largest number of features whose reference and live histograms fit budget_bytes."""
    per_feature = 2 * bins * bytes_per_count
    return int(budget_bytes // per_feature)


hw, dep = track.hardware, track.deployment
weights_per_device = dep.parameters * dep.bytes_per_parameter / dep.devices_per_replica
memory = hw.memory_bytes / 1e9 * 2**30  # the spec sheet's "16 GB" converted as if it were GiB
monitor_budget_bytes = dep.monitor_memory_share * (memory - weights_per_device)
max_features = max_monitored_features(monitor_budget_bytes, dep.histogram_bins, dep.counter_bytes)
print(f"{hw.device}: {monitor_budget_bytes:,.0f} bytes for the monitor -> at most {max_features:,} features")
''',
        },
        "lost": 0.75,
    },
    "no_interior_edge_case": {
        "why": "The literal recipe inner = edges[1:-1] applied even when fewer than three edges remain: constant "
               "training data gives a single bin and PSI 0 (the notebook asks for the first edge alone: below it | "
               "at or above it), and so does bins=1. Loses psi_from_samples/out of range and "
               "degenerate (1); the random samples that draw bins=1 have no live value below the training minimum, "
               "where the two readings differ.",
        "replace": {
            "def psi_from_samples(": '''def psi_from_samples(train, live, bins=10):
    train = np.asarray(train, dtype=float)
    live = np.asarray(live, dtype=float)
    edges = np.unique(np.quantile(train, np.linspace(0, 1, bins + 1)))
    inner = edges[1:-1]
    n_bins = max(len(edges) - 1, 1)
    train_counts = np.bincount(np.searchsorted(inner, train, side="right"), minlength=n_bins)
    live_counts = np.bincount(np.searchsorted(inner, live, side="right"), minlength=n_bins)
    return psi(train_counts, live_counts)
''',
        },
        "lost": 1,
    },
}
