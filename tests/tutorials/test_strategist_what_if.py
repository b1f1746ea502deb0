"""docs/tutorials/strategist_what_if.py, run as a script at small sizes (see tests/conftest.py)."""


def test_strategist_what_if(run_tutorial):
    output, values = run_tutorial(
        "strategist_what_if.py",
        {
            "exact_gain": "exact['gain'].to_dict()",
            "checkout": "checkout.row('conversion_rate')[['current', 'future', 'difference', 'ci_low', 'ci_high']].astype(float).to_dict()",
            "friction_loss": "float(checkout.row('friction_loss_rate')['difference'])",
            "social": "social.row('conversion_rate')[['difference', 'ci_low']].astype(float).to_dict()",
            "social_purchases": "purchases.loc['social', ['current_count', 'future_count']].astype(float).tolist()",
            "figures": "[len(forest.axes), len(funnels.axes)]",
            "side_by_side": "side_by_side.loc['conversion_rate'].tolist()",
        },
    )
    # The exact solver: every persona converts more without most of the payment friction.
    assert set(values["exact_gain"]) == {"digital_native", "store_loyal", "time_poor_professional", "all"}
    assert all(gain > 0 for gain in values["exact_gain"].values())
    # The paired simulation agrees: the future state converts more, beyond the noise,
    # and loses fewer customers to friction.
    checkout = values["checkout"]
    assert checkout["future"] > checkout["current"] > 0
    assert 0 < checkout["ci_low"] <= checkout["difference"] <= checkout["ci_high"]
    assert values["friction_loss"] < 0
    # Selling on social: purchases on social appear (none today), and conversion rises.
    current_social, future_social = values["social_purchases"]
    assert current_social == 0 and future_social > 0
    assert values["social"]["ci_low"] > 0
    assert all(count > 0 for count in values["figures"])
    assert values["side_by_side"][0] == checkout["current"] and values["side_by_side"][1] == checkout["future"]
    assert "One-click checkout" in output and "conversion: " in output
