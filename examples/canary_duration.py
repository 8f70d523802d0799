"""Known-wrong submissions of canary_duration and the points each must lose.

The variants keep the solution's track (edge_guardian: 99.9 % confidence, a 1-in-1,000,000 edge case, 1 % of
1,000,000 requests/hour, so the exact window of 6,907,752 requests takes 690.8 h and does not fit the 168 h week).
"""

VARIANTS = {
    "rule_of_three": {
        "why": "n = ceil(3/p) instead of the exact bound: wrong at every confidence (2995 -> 3000 even at 95 %), so it "
               "loses all of canary_sample_size (4). The track answers computed from it (n_required, shadow_hours, "
               "needed_fraction) are right given the student's own bound (error carried forward), and "
               "fits_release_cycle survives: 3,000,000 requests still take 300 h > 168 h.",
        "replace": {
            "def canary_sample_size(": '''def canary_sample_size(confidence, failure_rate):
    return math.ceil(3 / failure_rate)
''',
        },
        "lost": 4,
    },
    "log_of_p": {
        "why": "ln(p) instead of ln(1-p) in the denominator: n collapses to 1 or 2, losing all of canary_sample_size "
               "(4). It is 1 on the suite's first inputs but 2 on others (high failure rates), so it is a real "
               "attempt: n_required is right given it, and shadow_hours, fits_release_cycle and needed_fraction "
               "given the student's own n_required (error carried forward).",
        "replace": {
            "def canary_sample_size(": '''def canary_sample_size(confidence, failure_rate):
    return max(1, math.ceil(math.log(1 - confidence) / math.log(failure_rate)))
''',
        },
        "lost": 4,
    },
    "floor_not_ceil": {
        "why": "int() truncates the ratio (a floor), one request short of the bound almost always: loses all of "
               "canary_sample_size (4); n_required is right given it (error carried forward). One request in 6.9 "
               "million changes shadow_hours and needed_fraction by 1.4e-7 (inside the 1e-6 tolerance) and "
               "fits_release_cycle not at all, so those three track answers survive.",
        "replace": {
            "def canary_sample_size(": '''def canary_sample_size(confidence, failure_rate):
    return int(math.log1p(-confidence) / math.log1p(-failure_rate))
''',
        },
        "lost": 4,
    },
    "duration_ignores_fraction": {
        "why": "canary_duration divides by the full request rate, forgetting the traffic fraction: loses the worked "
               "example (1) and the random durations (0.5) but keeps the default-fraction test (0.5); on the track "
               "shadow_hours (100x too short) and fits_release_cycle (True) are right given the student's own "
               "function (error carried forward). needed_fraction and the SPRT do not use canary_duration.",
        "replace": {
            "def canary_duration(": '''def canary_duration(samples, request_rate, traffic_fraction=1.0):
    return samples / request_rate
''',
        },
        "lost": 1.5,
    },
    "no_prediction": {
        "why": "Prediction left blank: loses prediction (1) only.",
        "replace": {"PREDICTION =": "PREDICTION = ...\n"},
        "lost": 1,
    },
    "bandwidth_in_bits": {
        "why": "Memory bandwidth read as bits per second (bytes x 8 / bandwidth): memory time 8x too long. Loses "
               "shadow_latency/worked example (0.5: the memory-bound Llama token), random hardware (1); "
               "t_infer_ms (Edge Guardian becomes memory-bound at 0.251 ms instead of 0.087 ms) is right given the "
               "student's own roofline_time (error carried forward), and max_shadow_share stays 1 and passes.",
        "replace": {
            "def roofline_time(": '''def roofline_time(ops, bytes_moved, peak_ops_per_s, bandwidth_bytes_per_s):
    """Roofline lower bound on the time of one inference, in seconds."""
    return float(max(ops / peak_ops_per_s, bytes_moved * 8 / bandwidth_bytes_per_s))  # bandwidth as bits/s


def shadow_share(serve_s, shadow_s, budget_s):
    """Largest fraction of requests a shadow model can also process while every request meets the deadline."""
    return min(1.0, max(0.0, (budget_s - serve_s) / shadow_s))


hw, dep = track.hardware, track.deployment
n_dev = dep.devices_per_replica
t_infer = roofline_time(dep.ops_per_inference / n_dev, dep.parameters * dep.bytes_per_parameter / n_dev,
                        hw.peak_flops, hw.memory_bandwidth)
t_infer_ms = 1000 * t_infer
max_shadow_share = shadow_share(t_infer, t_infer, dep.latency_budget_s)
print(f"{dep.model} on {hw.device}: {t_infer_ms:.3f} ms per inference against a "
      f"{1000 * dep.latency_budget_s:.1f} ms budget; a same-sized shadow fits on {max_shadow_share:.0%} of requests")
''',
        },
        "lost": 1.5,
    },
}
