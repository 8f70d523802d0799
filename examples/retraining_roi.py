"""Known-wrong submissions of retraining_roi and the points each must lose."""

VARIANTS = {
    "lambda_in_percent": {
        "why": "Decay rate read as a percentage (2 %/day entered as 2): the square-root law is 10x too short. Loses "
               "optimal_retrain_interval/worked example (1) and random economics (1.5) and track_answer/T_sqrt (1); "
               "the lam = 0 case still returns inf, and T_exact (minimised on cost_rate) is unaffected.",
        "replace": {
            "def optimal_retrain_interval(": '''def optimal_retrain_interval(C, Q, V, A0, lam):
    if lam == 0:
        return math.inf
    return math.sqrt(2 * C / (Q * V * A0 * (lam * 100)))
''',
        },
        "lost": 3.5,
    },
    "sqrt_law_without_2": {
        "why": "Square-root law without the factor 2 (T* = sqrt(C/(QVA0λ))), off by sqrt(2): loses "
               "optimal_retrain_interval/worked example (1) and random economics (1.5) and track_answer/T_sqrt (1).",
        "replace": {
            "def optimal_retrain_interval(": '''def optimal_retrain_interval(C, Q, V, A0, lam):
    if lam == 0:
        return math.inf
    return math.sqrt(C / (Q * V * A0 * lam))
''',
        },
        "lost": 3.5,
    },
    "staleness_no_limit": {
        "why": "The closed form typed in as written, without handling λ → 0: NaN (0/0) at lam = 0 and cancellation "
               "garbage at lam = 1e-9/1e-12. Loses staleness_cost/no decay (1) and tiny decay (1), and "
               "cost_rate/no decay (0.5), which calls it: a NaN from upstream is never carried forward, since it "
               "shows nothing about cost_rate; ordinary inputs (λT ≥ 2e-4) and all track answers pass.",
        "replace": {
            "def staleness_cost(": '''def staleness_cost(T, Q, V, A0, lam):
    T = np.asarray(T, dtype=float)
    loss = Q * V * A0 * (T - (1 - np.exp(-lam * T)) / lam)
    return float(loss) if loss.ndim == 0 else loss
''',
        },
        "lost": 2.5,
    },
    "cost_rate_not_per_day": {
        "why": "cost_rate returns the cost of one whole cycle, S(T) + C, without dividing by T: loses all of "
               "cost_rate (2). That curve only grows with T, so the minimiser ends at its lower bound (1e-3 days), "
               "and current_cost_ratio and cheaper_policy (now \"daily\") change too; but each is right given the "
               "student's own cost_rate, so exact_optimum (2), current_cost_ratio (1) and cheaper_policy (1) keep "
               "their points by error carried forward (they cost 6 points before).",
        "replace": {
            "def cost_rate(": '''def cost_rate(T, C, Q, V, A0, lam):
    return staleness_cost(T, Q, V, A0, lam) + C
''',
        },
        "lost": 2,
    },
    "no_prediction": {
        "why": "Prediction left blank: loses prediction (1) only.",
        "replace": {"PREDICTION =": "PREDICTION = ...\n"},
        "lost": 1,
    },
}
