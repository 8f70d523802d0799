"""Known-wrong submissions of drift_detective and the points each must lose."""

VARIANTS = {
    "psi_no_smoothing": {
        "why": "PSI without empty-bin smoothing returns inf/NaN whenever a bin is empty: loses psi/empty-bins (1) "
               "and psi_from_samples/random samples (1.5), whose samples often leave a bin empty: an upstream NaN "
               "or inf is never carried forward (it shows nothing about the binning), so the out-of-range and "
               "degenerate check (1, constant training data leaves a bin empty) is lost too. Before the degenerate "
               "cases were tested this variant lost 2.5.",
        "replace": {
            "def psi(": '''def psi(expected, actual, eps=1e-4):
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    e = e / e.sum()
    a = a / a.sum()
    return float(np.sum((a - e) * np.log(a / e)))
''',
        },
        "lost": 3.5,
    },
    "uniform_bins": {
        "why": "Equal-width instead of quantile bins: psi_from_samples disagrees with the reference on random "
               "samples (1.5), on the far-out-of-range sample (1) and on the track data (live_psi 1); the "
               "identical-samples check (0.5) and live_status (the status band does not change) still pass.",
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
        "lost": 3.5,
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
    "no_interior_edge_case": {
        "why": "The old literal recipe, inner = edges[1:-1] even when fewer than three edges remain: constant training "
               "data gives a single bin and PSI 0 (the reference, and the notebook's text now, use the first edge "
               "alone: below it | at or above it), and so does bins=1. Loses psi_from_samples/out of range and "
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
