"""Hand-written drift_detective answers for the report tests: two near-duplicates and an unrelated one.

``STUDENT_A`` forgets empty-bin smoothing in ``psi`` (the bundled ``psi_no_smoothing`` mistake, written
differently); ``STUDENT_A_RENAMED`` is the same code with every variable renamed, comments and layout
changed; ``STUDENT_B`` is an independent, correct solution in another style.
"""

STUDENT_A = {
    "PREDICTION =": 'PREDICTION = "No, CPU and latency only watch the servers and not the data."\n',
    "def psi(": '''def psi(expected, actual, eps=1e-4):
    # turn both histograms into proportions
    exp_counts = np.array(expected, dtype=float)
    act_counts = np.array(actual, dtype=float)
    exp_share = exp_counts / np.sum(exp_counts)
    act_share = act_counts / np.sum(act_counts)
    total = 0.0
    for p_exp, p_act in zip(exp_share, act_share):
        total += (p_act - p_exp) * np.log(p_act / p_exp)
    return float(total)
''',
    "def psi_from_samples(": '''def psi_from_samples(train, live, bins=10):
    train_values = np.array(train, dtype=float)
    live_values = np.array(live, dtype=float)
    quantiles = np.linspace(0, 1, bins + 1)
    cut_points = np.unique(np.quantile(train_values, quantiles))
    if len(cut_points) > 2:
        interior = cut_points[1:-1]
    else:
        interior = cut_points[:1]
    n_bins = len(interior) + 1
    train_bins = np.searchsorted(interior, train_values, side="right")
    live_bins = np.searchsorted(interior, live_values, side="right")
    train_hist = np.bincount(train_bins, minlength=n_bins)
    live_hist = np.bincount(live_bins, minlength=n_bins)
    return psi(train_hist, live_hist)
''',
    "def drift_status(": '''def drift_status(psi_value):
    if psi_value > 0.2:
        status = "significant"
    elif psi_value >= 0.1:
        status = "investigate"
    else:
        status = "stable"
    return status
''',
}

STUDENT_A_RENAMED = {
    "PREDICTION =": 'PREDICTION = "No, CPU and latency only watch the servers and not the data."\n',
    "def psi(": '''def psi(expected, actual, eps=1e-4):
    """My PSI."""
    e_raw = np.array(expected, dtype=float)
    a_raw = np.array(actual, dtype=float)
    e_p = e_raw/np.sum(e_raw)
    a_p = a_raw/np.sum(a_raw)
    acc = 0.0
    for pe, pa in zip(e_p, a_p):  # sum over bins
        acc += (pa - pe)*np.log(pa/pe)
    return float(acc)
''',
    "def psi_from_samples(": '''def psi_from_samples(train, live, bins=10):
    tr = np.array(train, dtype=float)
    lv = np.array(live, dtype=float)
    qs = np.linspace(0, 1, bins+1)
    edges = np.unique(np.quantile(tr, qs))

    if len(edges) > 2:
        inner = edges[1:-1]
    else:
        inner = edges[:1]
    nb = len(inner)+1
    tr_idx = np.searchsorted(inner, tr, side="right")
    lv_idx = np.searchsorted(inner, lv, side="right")
    h_train = np.bincount(tr_idx, minlength=nb)
    h_live = np.bincount(lv_idx, minlength=nb)
    return psi(h_train, h_live)
''',
    "def drift_status(": '''def drift_status(psi_value):
    # bands from the lecture
    if psi_value > 0.2:
        label = "significant"
    elif psi_value >= 0.1:
        label = "investigate"
    else:
        label = "stable"
    return label
''',
}

STUDENT_B = {
    "PREDICTION =": 'PREDICTION = "Yes, I expect the latency graph to go up when the inputs change."\n',
    "def psi(": '''def psi(expected, actual, eps=1e-4):
    def shares(counts):
        p = np.asarray(counts, dtype=float)
        p = p / p.sum()
        if (p == 0).any():
            p[p == 0] = eps
            p = p / p.sum()
        return p

    e, a = shares(expected), shares(actual)
    return float(((a - e) * np.log(a / e)).sum())
''',
    "def psi_from_samples(": '''def psi_from_samples(train, live, bins=10):
    import bisect
    reference = sorted(float(v) for v in train)
    cuts = sorted(set(np.quantile(reference, np.linspace(0, 1, bins + 1)).tolist()))
    inner = cuts[1:-1] if len(cuts) > 2 else cuts[:1]
    counts = {"train": [0] * (len(inner) + 1), "live": [0] * (len(inner) + 1)}
    for key, values in (("train", reference), ("live", live)):
        for v in values:
            counts[key][bisect.bisect_right(inner, float(v))] += 1
    return psi(counts["train"], counts["live"])
''',
    "def drift_status(": '''def drift_status(psi_value):
    for upper, name in ((0.1, "stable"), (0.2, "investigate")):
        if psi_value < upper or (name == "investigate" and psi_value == upper):
            return name
    return "significant"
''',
}

REFLECTIONS = {
    "student_a": "Infrastructure stayed green because the servers were fine; the data drifted. A silent failure.",
    "student_a_renamed": "The servers were fine, the data drifted: a silent failure that only PSI catches.",
    "student_b": "PSI above 0.2 says the live data moved away from training, so I would alert on PSI per feature.",
}
