"""docs/tutorials/planner_budget_shift.py, run as a script at small sizes (see tests/conftest.py)."""


def test_planner_budget_shift(run_tutorial):
    output, values = run_tutorial(
        "planner_budget_shift.py",
        {
            "move": "move",
            "spend": "{channel: budget.spend_per_day for channel, budget in shifted.budget.items()}",
            "prospects": "by_channel[by_channel['measure'] == 'prospects'].set_index('channel')[['difference', 'ci_low', 'ci_high']].astype(float).to_dict('index')",
            "current": "plan.current",
            "recommended": "plan.recommended",
            "gain": "{key: float(plan.gain[key]) for key in ('difference', 'ci_low', 'ci_high')}",
            "evaluations": "plan.evaluations",
            "figures": "sorted(figures)",
        },
    )
    assert values["move"] == {"budget": {"search": {"spend_per_day": 480.0}, "social": {"spend_per_day": 520.0}}}
    assert values["spend"] == {"search": 480.0, "social": 520.0, "video": 300.0}
    # More social spend brings more social prospects, less search spend fewer search ones.
    prospects = values["prospects"]
    assert prospects["social"]["ci_low"] > 0 and prospects["search"]["ci_high"] < 0
    assert prospects["video"]["difference"] == 0
    # The optimiser splits the same total, re-checks it, and reports the gain with its interval.
    assert abs(sum(values["recommended"].values()) - sum(values["current"].values())) < 0.05
    assert all(spend >= 0 for spend in values["recommended"].values())
    gain = values["gain"]
    assert gain["ci_low"] <= gain["difference"] <= gain["ci_high"]
    assert values["evaluations"] > 0
    assert values["figures"] == ["budget_marginal_return.png", "budget_response_curves.png", "budget_split.png"]
    assert "journeysim budget optimiser" in output and "verdict:" in output
