"""Known-wrong submissions of platform_roi and the points each must lose.

All variants keep the notebook's default track, edge_guardian (24 models, h = 2, $150/h,
4,000 h/yr; N* = 57, 51 models by hand).
"""

VARIANTS = {
    "off_by_one": {
        "why": "Returns the last N at which manual operations are still cheaper (N* - 1): every break_even_models "
               "check with a finite N* fails (lab example 1, h = 2.5 example 0.5, h = 0 cheap platform 0.5, "
               "random decisions 1.5): 3.5 lost; n_star is right given the student's own break_even_models "
               "(error carried forward). The never-pays-off check (0.5) still "
               "passes: no crossing means None either way, and a crossing still gives a number.",
        "replace": {
            "def break_even_models(": '''def break_even_models(capex, hourly_cost, heterogeneity=1.0):
    n = np.arange(1, 1_000_001)
    manual = hourly_cost * manual_toil(n, heterogeneity=heterogeneity)
    platform = capex + hourly_cost * platform_toil(n)
    hits = np.flatnonzero(manual >= platform)
    if hits.size == 0:
        return None
    return int(n[hits[0]]) - 1  # last N where manual < platform
''',
        },
        "lost": 3.5,
    },
    "natural_log": {
        "why": "np.log instead of np.log2 in both toils (the chapter's figure uses ln): every manual_toil (3) and "
               "platform_toil (2) check fails. N*, the team capacities and the three track answers all move too "
               "(with ln the h = 0 saving 15N - 2N ln N peaks near 1,330 h/yr, so even the never-pays-off case "
               "breaks even at N = 23), but each is right given the student's own toils, so break_even_models (4), "
               "team_capacity_models (2) and track_answer (3) keep their points by error carried "
               "forward.",
        "replace": {
            "def manual_toil(": '''def manual_toil(n, alert_hours=20, deploy_hours=1, dependency_hours=0.5,
                heterogeneity=1.0):
    n = np.asarray(n, dtype=float)
    n_log_n = np.where(n > 0, n * np.log(np.maximum(n, 1.0)), 0.0)
    return alert_hours * n + deploy_hours * n_log_n + heterogeneity * dependency_hours * n**2
''',
            "def platform_toil(": '''def platform_toil(n, platform_alert_hours=5, deploy_hours=1,
                  platform_dependency_hours=2):
    n = np.asarray(n, dtype=float)
    n_log_n = np.where(n > 0, n * np.log(np.maximum(n, 1.0)), 0.0)
    return platform_alert_hours * n + (deploy_hours + platform_dependency_hours) * n_log_n
''',
        },
        "lost": 5,
    },
    "heterogeneity_everywhere": {
        "why": "Heterogeneity multiplies the whole manual toil instead of the N² term only: checks at h = 1 pass, "
               "manual_toil/random coefficients (1.5) fails. With h = 0 the toil vanishes, so team_capacity_models "
               "(doubling until the toil exceeds the capacity) fails on a random capacity at h = 0, exactly as the "
               "solution's own code does through this toil (the same error, error carried forward). Everything else "
               "that depends on manual_toil (break-even at h = 2.5 and h = 0, random decisions, the three "
               "edge_guardian answers at h = 2) is right given the student's own toil and keeps its points by error "
               "carried forward.",
        "replace": {
            "def manual_toil(": '''def manual_toil(n, alert_hours=20, deploy_hours=1, dependency_hours=0.5,
                heterogeneity=1.0):
    n = np.asarray(n, dtype=float)
    n_log_n = np.where(n > 0, n * np.log2(np.maximum(n, 1.0)), 0.0)
    return heterogeneity * (alert_hours * n + deploy_hours * n_log_n + dependency_hours * n**2)
''',
        },
        "lost": 1.5,
    },
    "capex_only": {
        "why": "break_even_models compares manual toil with the capex alone, forgetting the toil that remains with "
               "a platform: N* comes out too small (lab example gives 60 instead of 80) and is never None, so all "
               "break_even_models checks (4) fail; n_star is right given the student's own function (error carried "
               "forward).",
        "replace": {
            "def break_even_models(": '''def break_even_models(capex, hourly_cost, heterogeneity=1.0):
    n = np.arange(1, 1_000_001)
    hits = np.flatnonzero(hourly_cost * manual_toil(n, heterogeneity=heterogeneity) >= capex)
    return int(n[hits[0]]) if hits.size else None
''',
        },
        "lost": 4,
    },
    "no_prediction": {
        "why": "Prediction left blank: loses prediction (1) only.",
        "replace": {"PREDICTION =": "PREDICTION = ...\n"},
        "lost": 1,
    },
    "link_in_bytes": {
        "why": "Bytes divided by a link speed in bits per second (the x8 missing): updates look 8x faster. Loses "
               "fleet_update/worked example (0.5), random fleets (1); update_hours is right given the student's own "
               "function (error carried forward) and update_terabytes does not use it.",
        "replace": {
            "def fleet_update_hours(": '''def fleet_update_hours(update_bytes, devices, link_bits_per_s):
    """Hours to send update_bytes to each of `devices` devices through one link of link_bits_per_s."""
    return float(update_bytes * devices / link_bits_per_s / 3600)  # bytes divided by bits per second


dep = track.deployment
update_bytes = dep.parameters * dep.bytes_per_parameter
update_terabytes = update_bytes * dep.fleet_devices / 1e12
update_hours = fleet_update_hours(update_bytes, dep.fleet_devices, dep.update_link_bits_per_s)
print(f"{dep.model} update to {dep.fleet_devices:,} devices: {update_terabytes:,.2f} TB, "
      f"{update_hours:.2f} h through {dep.update_link_bits_per_s / 1e9:g} Gb/s; "
      f"{fleet} models x one update each: {fleet * update_hours:,.1f} h of link time")
''',
        },
        "lost": 1.5,
    },
    "per_pair": {
        "why": "c read as hours per pair of models, N(N-1)/2 pairs, instead of the notebook's c N²: the dependency "
               "term halves and loses its linear part. Every manual_toil check fails (3); break_even_models, "
               "team_capacity_models and the track answers are computed with the student's own manual_toil and "
               "keep their points by error carried forward.",
        "replace": {
            "def manual_toil(": '''def manual_toil(n, alert_hours=20, deploy_hours=1, dependency_hours=0.5,
                heterogeneity=1.0):
    n = np.asarray(n, dtype=float)
    n_log_n = np.where(n > 0, n * np.log2(np.maximum(n, 1.0)), 0.0)
    pairs = n * (n - 1) / 2
    return alert_hours * n + deploy_hours * n_log_n + heterogeneity * dependency_hours * pairs
''',
        },
        "lost": 3,
    },
}
