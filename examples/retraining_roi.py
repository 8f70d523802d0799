"""Known-wrong submissions of retraining_roi and the points each must lose."""

VARIANTS = {
    "lambda_in_percent": {
        "why": "Decay rate read as a percentage (2 %/day entered as 2): the square-root law is 10x too short. Loses "
               "optimal_retrain_interval/worked example (1) and random economics (1.5) ; the lam = 0 case "
               "still returns inf, T_exact (minimised on cost_rate) is unaffected, and track_answer/T_sqrt is right "
               "given the student's own square-root law (error carried forward).",
        "replace": {
            "def optimal_retrain_interval(": '''def optimal_retrain_interval(C, Q, V, A0, lam):
    if lam == 0:
        return math.inf
    return math.sqrt(2 * C / (Q * V * A0 * (lam * 100)))
''',
        },
        "lost": 2.5,
    },
    "sqrt_law_without_2": {
        "why": "Square-root law without the factor 2 (T* = sqrt(C/(QVA0λ))), off by sqrt(2): loses "
               "optimal_retrain_interval/worked example (1) and random economics (1.5) ; track_answer/T_sqrt, computed "
               "with it, keeps its point by error carried forward.",
        "replace": {
            "def optimal_retrain_interval(": '''def optimal_retrain_interval(C, Q, V, A0, lam):
    if lam == 0:
        return math.inf
    return math.sqrt(C / (Q * V * A0 * lam))
''',
        },
        "lost": 2.5,
    },
    "staleness_no_limit": {
        "why": "The closed form typed in as written, without handling λ → 0: NaN (0/0) at lam = 0 and cancellation "
               "garbage at lam = 1e-9/1e-12. Loses staleness_cost/tiny and zero decay (1) only: "
               "cost_rate/no decay, which calls it, gives the same NaN as the solution's cost_rate through this "
               "staleness_cost (finite and varying elsewhere), so it passes by error carried forward; ordinary "
               "inputs, decay around the series switch (λT ≥ 1e-4) and all track answers pass.",
        "replace": {
            "def staleness_cost(": '''def staleness_cost(T, Q, V, A0, lam):
    T = np.asarray(T, dtype=float)
    loss = Q * V * A0 * (T - (1 - np.exp(-lam * T)) / lam)
    return float(loss) if loss.ndim == 0 else loss
''',
        },
        "lost": 1.0,
    },
    "cost_rate_not_per_day": {
        "why": "cost_rate returns the cost of one whole cycle, S(T) + C, without dividing by T: loses all of "
               "cost_rate (2). That curve only grows with T, so the minimiser ends at its lower bound (1e-3 days), "
               "and current_cost_ratio and cheaper_policy (\"daily\") change too; but each is right given the "
               "student's own cost_rate, so exact_optimum (2), current_cost_ratio (1) and cheaper_policy (1) keep "
               "their points by error carried forward.",
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
    "watts_as_kilowatts": {
        "why": "Accelerator power in watts used as kilowatts (no /1000): the electricity bill is 1000x too big. "
               "Loses retrain_hardware/worked example (0.5) and random hardware (1); C_hw and T_sqrt_hw are right "
               "given the student's own training_run_cost (error carried forward); everything before the hardware "
               "question is untouched.",
        "replace": {
            "def training_run_cost(": '''def training_run_cost(accelerator_hours, usd_per_hour, power_w, usd_per_kwh):
    """Dollars of a training run: accelerator rental plus electricity (power in watts)."""
    energy_kwh = accelerator_hours * power_w  # watts taken for kilowatts
    return float(accelerator_hours * usd_per_hour + energy_kwh * usd_per_kwh)


dep = track.deployment
hours, price = dep.retrain_accelerator_hours, dep.training_usd_per_hour
watts, kwh = dep.training_power_w, dep.usd_per_kwh
C_hw = training_run_cost(hours, price, watts, kwh)
T_sqrt_hw = optimal_retrain_interval(C_hw, Q, V, A0, lam)
print(f"{dep.retrain_accelerator_hours:,.0f} H100-hours: ${C_hw:,.0f} per retrain "
      f"(${C_hw - C:,.0f} of electricity on top of C = ${C:,.0f}); square-root law every {T_sqrt_hw:.2f} days")
''',
        },
        "lost": 1.5,
    },
}
