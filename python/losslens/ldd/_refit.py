"""LDD's two formulations of eq. (11) and the code refit after the sparse fit (shared by memory and Dask fits)."""
import numpy as np

#: ``LDD(formulation=...)``: "paper" fits eq. (11) as printed (simplex atoms); "authors" fits non-negative
#: unit-norm atoms in scikit-learn's convention, as the paper's footnote 2 ran it, then rescales onto the simplex.
FORMULATIONS = ("paper", "authors")

#: ``LDD(refit=...)``: "none" keeps the Lasso codes; "least_squares" refits each step's code by least squares
#: on its support (relaxed lasso); "loss_sum" does the same subject to Σ_k Δa_k = Σ_i Δℓ_i (eq. (9)).
REFITS = ("none", "least_squares", "loss_sum")


def rescale_to_simplex(code, dictionary):
    """Scale every atom (row of ``dictionary`` = Dᵀ, non-negative) to sum 1 and its code column inversely.

    ``code`` (T, K) and ``dictionary`` (K, N) become ``code · s`` and ``dictionary / s`` with
    s_k = Σ_i d_ki, so ``code @ dictionary`` is unchanged (to rounding) and LDD eq. (10) holds. An atom that
    is all zero carries no part of the product: it becomes uniform (1/N) and its code column 0.
    Returns new arrays.
    """
    sums = dictionary.sum(axis=1)
    used = sums > 0
    scaled = np.where(used[:, None], dictionary / np.where(used, sums, 1.0)[:, None], 1.0 / dictionary.shape[1])
    return np.ascontiguousarray(code * np.where(used, sums, 0.0)), np.ascontiguousarray(scaled)


def refit_codes(code, cross, gram, step_sums, atom_sums, mode):
    """Refit each step's code on its support S_t = {k : code[t, k] ≠ 0} after the sparse fit.

    With ``cross`` = X Vᵀ (T, K) and ``gram`` = V Vᵀ (K, K) of the final atoms V = Dᵀ:
    "least_squares" solves min ‖x_t − u_S V_S‖² (the relaxed lasso: the support of the L1 fit, the
    shrinkage removed); "loss_sum" adds the constraint Σ_{k∈S} u_k 1ᵀv_k = 1ᵀx_t = ``step_sums[t]``
    (``atom_sums`` = V 1), so that Σ_k Δa_k^(t) = Σ_i Δℓ_i^(t) at every step with a non-empty support:
    the second half of LDD eq. (9), which makes eq. (8) exact up to the integration constant.
    Rank-deficient systems take the minimum-norm solution. Returns a new (T, K) array ("none": a copy).
    """
    refitted = np.array(code, dtype=np.float64, order="C")
    if mode == "none":
        return refitted
    for t in range(len(refitted)):
        support = np.flatnonzero(refitted[t])
        if len(support) == 0:
            continue
        system, right = gram[np.ix_(support, support)], cross[t, support]
        if mode == "loss_sum":  # KKT system of the equality-constrained least squares
            border = atom_sums[support][:, None]
            system = np.block([[system, border], [border.T, np.zeros((1, 1))]])
            right = np.r_[right, step_sums[t]]
        refitted[t, support] = np.linalg.lstsq(system, right, rcond=None)[0][:len(support)]
    return refitted
