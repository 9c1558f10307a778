"""Distributions of uncertain parameters, kept inside each parameter's bounds honestly.

Every distribution is sampled by the inverse-CDF method on its *truncated* form: a
uniform u in [0, 1) is mapped through the quantile function of the distribution
restricted to the parameter's allowed interval. The result therefore follows exactly
the conditional distribution "X given X inside the bounds"; nothing is clipped (which
would pile probability up on the bounds) and nothing is redrawn (which needs an unbounded
number of tries). A final clip only absorbs floating-point rounding at the edges.

- ``normal``: Normal(mean, std) truncated to the parameter's hard bounds.
- ``truncnormal``: Normal(mean, std) truncated to [low, high] (inside the bounds).
- ``uniform``: Uniform[low, high].
- ``lognormal``: log X ~ Normal(log median, sigma), truncated to the bounds.
- ``triangular``: Triangular(low, mode, high).

Missing centre values (mean, median, mode) take the scenario's value of the parameter;
missing low/high take the parameter's slider range.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import param
from scipy import stats

from nexus_panel.analysis.specs import SpecBase, bound_error, parameter_selector, slider_range
from nexus_panel.models import EngineParams, FieldError

DISTRIBUTIONS: tuple[str, ...] = ("normal", "truncnormal", "uniform", "lognormal", "triangular")

_USES: dict[str, tuple[str, ...]] = {
    "normal": ("mean", "std"),
    "truncnormal": ("mean", "std", "low", "high"),
    "uniform": ("low", "high"),
    "lognormal": ("median", "sigma"),
    "triangular": ("low", "mode", "high"),
}


def _opt(doc: str, label: str) -> param.Number:
    return param.Number(None, allow_None=True, label=label, doc=doc)


class ParameterDistribution(SpecBase):
    """One uncertain engine parameter and the distribution its runs draw from."""

    parameter = parameter_selector("alpha", "The engine parameter to sample.")
    distribution = param.Selector(default="normal", objects=list(DISTRIBUTIONS),
                                  label="Distribution",
                                  doc="Shape of the distribution (always truncated to the "
                                      "parameter's bounds by inverse-CDF sampling).")
    mean = _opt("Mean of the (untruncated) normal; empty = the scenario's value.", "Mean")
    std = param.Number(None, allow_None=True, bounds=(0, None), label="Std. deviation",
                       doc="Standard deviation of the (untruncated) normal; empty = 10 % "
                           "of the slider range. 0 gives a constant.")
    low = _opt("Lower end (uniform, triangular) or truncation point (truncnormal); "
               "empty = the slider's lower end.", "Low")
    high = _opt("Upper end (uniform, triangular) or truncation point (truncnormal); "
                "empty = the slider's upper end.", "High")
    mode = _opt("Most likely value of the triangular distribution; empty = the scenario's "
                "value.", "Mode")
    median = param.Number(None, allow_None=True, bounds=(0, None),
                          inclusive_bounds=(False, True), label="Median",
                          doc="Median exp(mu) of the log-normal; empty = the scenario's value.")
    sigma = param.Number(0.1, bounds=(0, 10), label="Log std. deviation",
                         doc="Standard deviation of log X for the log-normal.")

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.form_fields()}

    def form_fields(self) -> list[str]:
        return ["parameter", "distribution", *_USES[self.distribution]]

    @classmethod
    def for_parameter(cls, parameter: str, base: float) -> ParameterDistribution:
        """A normal around ``base`` (the scenario's value) with every field filled in, so
        a form shows the numbers that will be used instead of empty boxes: mean = mode =
        median = ``base``, std = 10 % of the slider range, low/high = the slider range
        (rounded to 6 significant digits)."""
        lo, hi = cls.value_range(parameter)
        centre = _tidy(base)
        return cls(parameter=parameter, mean=centre, std=_tidy(0.1 * (hi - lo)),
                   low=_tidy(lo), high=_tidy(hi), mode=min(max(centre, lo), hi),
                   median=centre if centre > 0 else None)

    # --- what the sampled quantity allows (engine parameters here; subclasses may sample
    # other quantities, e.g. a network's agent attributes) ---------------------------------
    @classmethod
    def value_range(cls, name: str) -> tuple[float, float]:
        """The default [low, high] of ``name`` (its slider range)."""
        return slider_range(name)

    @classmethod
    def hard_bounds(cls, name: str) -> tuple[float, float]:
        """The closed interval every sample of ``name`` must lie in."""
        return _hard_bounds(name)

    @classmethod
    def bound_error(cls, name: str, field: str, value: float) -> FieldError | None:
        """A FieldError if ``value`` (of ``field``) is outside ``name``'s bounds."""
        return bound_error(name, field, value)

    # --- resolution against a base value -------------------------------------------------
    def resolved(self, base: float) -> dict[str, float]:
        """Every number the distribution needs, defaults filled in from ``base``."""
        lo, hi = self.value_range(self.parameter)
        return {
            "mean": base if self.mean is None else self.mean,
            "std": 0.1 * (hi - lo) if self.std is None else self.std,
            "low": lo if self.low is None else self.low,
            "high": hi if self.high is None else self.high,
            "mode": base if self.mode is None else self.mode,
            "median": base if self.median is None else self.median,
            "sigma": self.sigma,
        }

    def support(self, base: float) -> tuple[float, float]:
        """The interval the samples lie in."""
        v = self.resolved(base)
        if self.distribution in ("truncnormal", "uniform", "triangular"):
            return v["low"], v["high"]
        return self.hard_bounds(self.parameter)

    def check(self, base: float) -> list[FieldError]:
        """Problems given the scenario's value ``base`` (mode/mean default to it)."""
        v = self.resolved(base)
        out: list[FieldError] = []
        used = _USES[self.distribution]
        for key in ("low", "high", "mode"):
            err = self.bound_error(self.parameter, key, v[key]) if key in used else None
            if err is not None:
                out.append(err)
        if "low" in used and v["low"] >= v["high"] and not (
                self.distribution == "truncnormal" and v["low"] == v["high"]):
            out.append(FieldError("low", v["low"], f"less than high ({v['high']:g})"))
        if self.distribution == "triangular" and not v["low"] <= v["mode"] <= v["high"]:
            out.append(FieldError("mode", v["mode"], f"in [low, high] = [{v['low']:g}, "
                                                     f"{v['high']:g}]"))
        if not out and self.distribution in ("normal", "truncnormal", "lognormal"):
            lo, hi = self.support(base)
            if _mass(self.distribution, v, lo, hi) < 1e-9:
                key = "median" if self.distribution == "lognormal" else "mean"
                out.append(FieldError(key, v[key], f"a centre that leaves some probability "
                                                   f"inside [{lo:g}, {hi:g}]"))
        return out

    def sample(self, base: float, u: np.ndarray) -> np.ndarray:
        """Map uniforms ``u`` in [0, 1) to samples (inverse CDF of the truncated law)."""
        v = self.resolved(base)
        lo, hi = self.support(base)
        kind = self.distribution
        if kind == "uniform":
            x = v["low"] + u * (v["high"] - v["low"])
        elif kind == "triangular":
            width = v["high"] - v["low"]
            c = (v["mode"] - v["low"]) / width
            x = stats.triang.ppf(u, c, loc=v["low"], scale=width)
        elif kind == "lognormal":
            if v["sigma"] == 0:
                x = np.full_like(u, v["median"])
            else:
                mu = math.log(v["median"])
                a = (_log(lo) - mu) / v["sigma"]
                b = (_log(hi) - mu) / v["sigma"]
                x = np.exp(stats.truncnorm.ppf(u, a, b, loc=mu, scale=v["sigma"]))
        elif v["std"] == 0:
            x = np.full_like(u, v["mean"])
        else:
            a = (lo - v["mean"]) / v["std"]
            b = (hi - v["mean"]) / v["std"]
            x = stats.truncnorm.ppf(u, a, b, loc=v["mean"], scale=v["std"])
        return np.clip(x, lo, hi)


def _tidy(x: float) -> float:
    return float(f"{float(x):.6g}")


def _log(x: float) -> float:
    return -math.inf if x <= 0 else math.log(x)


def _mass(kind: str, v: dict[str, float], lo: float, hi: float) -> float:
    if kind == "lognormal":
        if v["sigma"] == 0:
            return 1.0 if lo <= v["median"] <= hi else 0.0
        dist = stats.norm(math.log(v["median"]), v["sigma"])
        return float(dist.cdf(_log(hi)) - dist.cdf(_log(lo)))
    if v["std"] == 0:
        return 1.0 if lo <= v["mean"] <= hi else 0.0
    dist = stats.norm(v["mean"], v["std"])
    return float(dist.cdf(hi) - dist.cdf(lo))


def _hard_bounds(name: str) -> tuple[float, float]:
    """The parameter's hard bounds as a closed interval (open ends nudged inwards)."""
    p = EngineParams.param[name]
    lo, hi = (float(b) for b in p.bounds)
    if not p.inclusive_bounds[0]:
        lo = float(np.nextafter(lo, math.inf))
    if not p.inclusive_bounds[1]:
        hi = float(np.nextafter(hi, -math.inf))
    return lo, hi


def sample_parameters(
    distributions: list[ParameterDistribution],
    base: EngineParams,
    n_runs: int,
    master_seed: int,
) -> dict[str, np.ndarray]:
    """Draw ``n_runs`` values of every parameter, each from its own uniform stream.

    The streams come from ``SeedSequence([master_seed, 1])`` (a different entropy pool
    from the per-run input seeds, which spawn from ``SeedSequence(master_seed)``), one
    child per parameter in list order; all values are drawn up front, so they do not depend
    on chunking or workers.
    """
    children = np.random.SeedSequence([master_seed, 1]).spawn(len(distributions))
    out: dict[str, np.ndarray] = {}
    for dist, child in zip(distributions, children, strict=True):
        u = np.random.default_rng(child).random(n_runs)
        out[dist.parameter] = dist.sample(float(getattr(base, dist.parameter)), u)
    return out
