"""The Nexus model as a plain-Python loop, written straight from docs/model.md.

Two jobs: it is the benchmark baseline (what an unoptimised implementation costs), and it
is the independent float64 reference the engine's tests compare against. So it is kept
as literal as possible: Python floats, one statement per line of the spec, no numpy, no
sharing of code with the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def reference_run(p: Mapping[str, float], inputs: Mapping[str, Sequence[float]],
                  phi_limit: float = 100.0) -> list[float]:
    """N at t_0 .. t_n for parameters ``p`` (the spec's names) and per-step inputs."""
    n = int(p["num_steps"])
    dt = p["delta_t"]
    H_in, M_in, D_in = inputs["H"], inputs["M"], inputs["D"]
    E_in, cc_in, cd_in = inputs["E"], inputs["C_cons"], inputs["C_disp"]
    N = p["N_initial"]
    integral = 0.0
    e_prev = 0.0
    trajectory = [N]
    for k in range(n):
        H, M, D = H_in[k], M_in[k], D_in[k]
        E = min(max(E_in[k], 0.0), 1.0)
        S = (p["lambda_E"] * E + p["lambda_N"] * N / p["N_0"] + p["lambda_H"] * H / p["H_0"]
             + p["lambda_M"] * M / p["M_0"])
        S = min(max(S, 0.0), 1.0)
        I = max(0.0, p["alpha"] * S * (p["w_H"] * H + p["w_M"] * M + p["w_D"] * D
                                       + p["w_E"] * E))
        load = max(0.0, 1.0 - E)
        B = max(0.0, p["beta"] * (p["gamma_C"] * cc_in[k] + p["gamma_D"] * cd_in[k]
                                  + p["gamma_E"] * load))
        e = N - p["N_target"]
        integral += e * dt
        derivative = (e - e_prev) / dt
        Phi = -(p["K_p"] * e + p["K_i"] * integral + p["K_d"] * derivative)
        Phi = min(max(Phi, -phi_limit), phi_limit)
        e_prev = e
        dN_dt = I - B - p["kappa"] * N + Phi + p["eta"] * p["F_floor"]
        N = max(0.0, N + dN_dt * dt)
        trajectory.append(N)
    return trajectory
