"""Chapter 6: a GRU forecaster against the classical baselines on the yearly sunspot numbers.

``python -m utils.experiments ch6_forecast`` evaluates from five forecast origins (rolling
origin): for each, the models see the series up to that year and forecast the next
``HORIZON = 11`` years (about one solar cycle); the origins are 55, 44, 33, 22 and 11 years
before the end of the series (2008), so the five horizons tile the last 55 years without
overlap. Models: seasonal naïve (period 11), AR(p) with p chosen by AIC, ETS(A, N, A) with
period 11 (``utils.forecast``) and the GRU forecaster (``utils.gru_forecast``, window 22,
hidden size 16, 300 full-batch Adam epochs) over ten seeds. Each row records the forecast,
its MAE and its MASE (scaled by that origin's in-sample seasonal naïve error).
"""

from __future__ import annotations

from typing import Any

from utils.forecast import ar_aic, ets_seasonal, mae, mase, seasonal_naive
from utils.gru_forecast import fit_forecast
from utils.realdata import sunspots

DESCRIPTION = __doc__

HORIZON = 11
PERIOD = 11
ORIGINS_BACK = (55, 44, 33, 22, 11)  # years before the end of the series
SEEDS = tuple(range(10))
GRU = {"window": 22, "hidden_size": 16, "epochs": 300, "lr": 1e-2}

CONFIGS: list[dict[str, Any]] = (
    [{"model": m, "back": b} for m in ("seasonal_naive", "ar", "ets") for b in ORIGINS_BACK]
    + [{"model": "gru", "back": b, "seed": s} for b in ORIGINS_BACK for s in SEEDS])
QUICK = [{"model": m, "back": 22} for m in ("seasonal_naive", "ar", "ets")] + [
    {"model": "gru", "back": 22, "seed": 0}]


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    years, y = sunspots()
    cut = len(y) - config["back"]
    train, test = y[:cut], y[cut:cut + HORIZON]
    extra: dict[str, Any] = {}
    if config["model"] == "seasonal_naive":
        forecast = seasonal_naive(train, HORIZON, PERIOD)
    elif config["model"] == "ar":
        forecast, extra["ar_order"] = ar_aic(train, HORIZON)
    elif config["model"] == "ets":
        forecast = ets_seasonal(train, HORIZON, PERIOD)
    elif config["model"] == "gru":
        result = fit_forecast(train, HORIZON, seed=config["seed"], **GRU)
        forecast = result["forecast"]
        extra = {"params": result["params"], "final_loss": round(result["losses"][-1], 6)}
    else:
        raise ValueError(f"unknown model {config['model']!r}")
    return {"first_year": int(years[cut]), "horizon": HORIZON,
            "mae": round(mae(test, forecast), 6),
            "mase": round(mase(test, forecast, train, PERIOD), 6),
            "forecast": [round(float(v), 4) for v in forecast], **extra}


def forecast_verdict(rows: list[dict[str, Any]], baseline: str = "ar") -> Any:
    """The GRU (its MASE averaged over the seeds at each origin) against ``baseline`` on
    MASE, paired origin by origin (lower is better; ``utils.verdict.compare``).

    The samples of the comparison are the forecast origins, one pair per origin, not the
    GRU's seeds: at each origin every model forecasts the same eleven years, and the seeds
    only average out the GRU's own training noise there. So the interval has
    ``len(ORIGINS_BACK) - 1`` degrees of freedom, whatever the number of seeds."""
    import numpy as np

    from utils.verdict import compare

    names = {"seasonal_naive": "seasonal naïve", "ar": "AR", "ets": "ETS"}
    if baseline not in names:
        raise ValueError(f"baseline must be one of {sorted(names)}, got {baseline!r}")
    gru, base = [], []
    for back in ORIGINS_BACK:
        seeds = [r["mase"] for r in rows if r["model"] == "gru" and r["back"] == back]
        [other] = [r["mase"] for r in rows if r["model"] == baseline and r["back"] == back]
        if not seeds:
            raise ValueError(f"no GRU runs for the origin {back} years back")
        gru.append(float(np.mean(seeds)))
        base.append(other)
    return compare("GRU", gru, names[baseline], base, higher_is_better=False,
                   metric="MASE", paired=True)


ORIGIN_COUNT_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
                      8: "eight", 9: "nine", 10: "ten"}


def origins_headline(v: Any) -> str:
    """``forecast_verdict``'s result in words that name its unit, the forecast origin
    (``Comparison.headline`` would count them as runs): direction first, then how many
    origins the paired interval rests on."""
    n = len(v.values_a)
    count = ORIGIN_COUNT_WORDS.get(n, str(n))
    if v.direction in (v.a, v.b):
        other = v.b if v.direction == v.a else v.a
        return (f"{v.direction} has a lower MASE than {other}, paired over the {count} "
                f"forecast origins.")
    return (f"These {count} forecast origins do not settle whether {v.a} or {v.b} forecasts "
            f"better: {v.leader}'s mean MASE is lower, but the interval of the difference, "
            f"paired origin by origin, includes zero.")
