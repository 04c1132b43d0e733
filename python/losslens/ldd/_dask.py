"""LDD on a ``dask.array`` chunked along samples: the in-memory fit's iterates as map-reduce rounds.

The in-memory LDD runs dictionary learning on ``X = L_Δᵀ`` (checkpoint steps × samples) with atoms
``V = Dᵀ`` (K × samples). Split the samples into the array's row blocks b: ``X = [X_1 … X_B]``,
``V = [V_1 … V_B]``. Every block of V lives on the worker of its block of L and never moves; the
client holds only the code ``U = A_Δᵀ`` (T × K) and K×K, T×K statistics. One iteration of
``DictionaryLearning.fit`` (Swift) becomes:

* coding: ``C = Σ_b X_b V_bᵀ``, ``G = Σ_b V_b V_bᵀ`` (``_core.dl_block_products`` per block), then
  the Gram Lasso on the client (``_core.dl_encode_gram``, the in-memory coding kernel);
* the atom sweep, atom after atom: every block forms its part of the unprojected atom
  ``w = v_a + (B_a − Vᵀ A_a)/A_aa`` (``_core.dl_block_atom``, ``B_b = Uᵀ X_b`` formed once per sweep)
  and reports its maximum and sum; the simplex threshold τ (``Σ max(w − max w − τ, 0) = 1``) is found
  exactly by reduction rounds in which each block counts and sums its entries above a few candidate
  thresholds (``_core.simplex_block_sums``) until no entry lies between the bracketing candidates;
  the next round applies ``v_a = max(w − max w − τ, 0)`` on every block;
* unused atoms (``A_aa ≤ 1e-6``) are redrawn from the same xoshiro256** stream as in memory: the
  client walks the stream over the blocks and hands each block the generator state at its offset;
* the cost from ``‖X‖²``, C, ``A = UᵀU`` and G, and scikit-learn's stopping rule.

The SVD start uses the Gram route (the leading eigenvectors of ``X Xᵀ = Σ_b X_b X_bᵀ``, T × T), which
the in-memory fit uses too (``_dictionary_learning.leading_left_singular_vectors``). Block statistics
are summed in block order, so the result does not depend on how many workers run the blocks, and
equals the in-memory fit to rounding.
"""
import numpy as np
from sklearn.utils import check_random_state

from .. import _core
from .._dask import import_dask, whole_rows
from .._validation import check_n_jobs
from ..dictionary_learning._estimator import _CALLBACK_EVERY, _CODE_TOL, _PROGRESS_EVERY, leading_left_singular_vectors
from ._common import Decomposition, check_loss_layout, domain_losses, loss_differences, progress_bar
from ._refit import refit_codes

# DictionaryUpdate.sweep redraws an atom whose usage A_kk is at most this.
_USAGE_FLOOR = 1e-6
# Candidate thresholds evaluated per reduction round of a distributed simplex projection.
_CANDIDATES = 16
# Rounds after which the projection settles for a bracket a few ulps wide (never reached in tests).
_MAX_THRESHOLD_ROUNDS = 64
# Coordinate sweeps of each step's Lasso, as dict_learning_native's default code_max_iter.
_CODE_MAX_ITER = 1000


def _differences(data, kind):
    """X_b (steps × block samples, float64) of a block of losses or of loss differences, as in memory."""
    array = np.asarray(data[0])
    if kind == "losses":
        return loss_differences(array)
    return np.ascontiguousarray(array.T, dtype=np.float64)


def _first_pass(data, kind, absolute_sum):
    """A block's checks and sums: finite, largest |entry|, X_b X_bᵀ, row norms², column sums and,
    when `absolute_sum`, Σ|X_b| (only restarts need it; it costs a copy of the block)."""
    array = np.asarray(data[0])
    if not np.isfinite(array).all():
        return {"finite": False, "peak": np.inf}
    peak = float(max(-array.min(initial=0), array.max(initial=0)))
    X = _differences(data, kind)
    stats = {"finite": True, "peak": peak, "gram": X @ X.T, "norms": np.einsum("ij,ij->i", X, X),
             "abs_sum": float(np.abs(X).sum()) if absolute_sum else None, "step_sums": X.sum(axis=1)}
    if kind == "losses":
        stats["loss_sums"] = array.sum(axis=0, dtype=np.float64)
    elif len(data) > 1:
        initial = np.asarray(data[1], dtype=np.float64)
        stats["finite"] = bool(np.isfinite(initial).all())
        stats["initial_sum"] = float(initial.sum())
    return stats


def _mean_losses(data, kind, X):
    """mean_t ℓ_i^(t) of a block's samples, as ``LDD.fit`` / ``fit_differences`` form it in memory."""
    if kind == "losses":
        return np.asarray(data[0]).mean(axis=1, dtype=np.float64)
    n_steps = X.shape[0]
    return np.asarray(data[1], dtype=np.float64) - (n_steps - np.arange(n_steps)) @ X / (n_steps + 1)


def _aligned(array):
    """`array` as the native kernels take it: aligned, C-contiguous float64 (arrays that travelled
    between processes may arrive unaligned; those are copied once)."""
    return None if array is None else np.require(array, dtype=np.float64, requirements=["C", "A"])


def _block_step(state, data, kind, ops):
    """Runs `ops` in order on one block's state ``(V_b, B_b, w_b)``; returns the new state and the
    statistics the ops report. The input state is never modified (a retried task sees it unchanged)."""
    V, B, w = (_aligned(a) for a in state) if state is not None else (None, None, None)
    ops = [(op, *(_aligned(a) if isinstance(a, np.ndarray) and a.dtype == np.float64 else a for a in args))
           for op, *args in ops]
    X = None if data is None else _differences(data, kind)
    stats = []
    for op, *args in ops:
        if op == "apply":  # project atom a with the global shift and threshold
            a, shift, tau = args
            V = V.copy()
            V[a] = np.maximum((w - shift) - tau, 0)
            w = None
        elif op == "apply_ball":  # project atom a onto the non-negative unit ball with the global norm
            a, norm = args
            V = V.copy()
            V[a] = np.maximum(w, 0) / norm
            w = None
        elif op == "ball":
            stats.append(_positive_squares(w))
        elif op == "target":
            B = _core.dl_block_target(args[0], X)
        elif op == "atom":
            a, usage = args
            w, largest, total = _core.dl_block_atom(V, B, usage, a)
            stats.append((largest, total))
        elif op == "sums":
            stats.append(_core.simplex_block_sums(w, *args))
        elif op == "row_sum":
            stats.append(float(X[args[0]].sum()))
        elif op == "row_deviation":
            t, mean = args
            stats.append(float(np.square(X[t] - mean).sum()))
        elif op == "redraw":  # DictionaryUpdate.redraw on this block's samples
            t, noise, generator = args
            w = X[t] + noise * _core.xoshiro_gaussians(generator.copy(), X.shape[1])
            stats.append((float(w.max()), float(w.sum()), _positive_squares(w)))
        elif op == "products":
            B = None
            stats.append(_core.dl_block_products(X, V))
        elif op == "svd_start":  # S Vᵀ = Uᵀ X; its absolute value for simplex atoms
            code, absolute = args
            V = np.abs(code.T @ X) if absolute else code.T @ X
            stats.append(V.sum(axis=1))
        elif op == "random_start":  # LDD._initial_dictionary on this block's samples
            rows, scale, generators, squares = args
            V = np.maximum(X[rows], 0)
            for k, generator in enumerate(generators):
                uniform = np.random.RandomState()
                uniform.set_state(generator)
                V[k] += 1e-3 * uniform.random_sample(X.shape[1]) * scale
            stats.append(np.einsum("ij,ij->i", V, V) if squares else V.sum(axis=1))
        elif op == "normalize":
            V = V / np.maximum(args[0], np.finfo(float).tiny)[:, None]
        elif op == "atom_sums":
            stats.append(V.sum(axis=1))
        elif op == "to_simplex":  # rescale_to_simplex's atoms, with the global sums and sample count
            sums, n_total = args
            used = sums > 0
            V = np.where(used[:, None], V / np.where(used, sums, 1.0)[:, None], 1.0 / n_total)
        elif op == "residual":
            stats.append(float(np.square(X - args[0] @ V).sum()))
        elif op == "mean_projection":
            stats.append(V @ _mean_losses(data, kind, X))
        else:  # pragma: no cover - programming error
            raise ValueError(f"unknown block operation {op!r}")
    return (V, B, w), stats


def _positive_squares(w):
    """Σ max(w, 0)² of a block's part of an unprojected atom (its norm on the non-negative unit ball)."""
    kept = np.maximum(w, 0)
    return float(np.dot(kept, kept))


def _warm_candidates(previous):
    """Absolute thresholds around an atom's previous one, from 10⁻⁷ to 10⁻¹ of it on both sides."""
    if previous is None or previous == 0:
        return np.empty(0)
    offsets = np.abs(previous) * 10.0 ** np.arange(-7, 0)
    return np.unique(np.r_[previous - offsets, previous, previous + offsets])


def _dictionary_block(state):
    """D_b = V_bᵀ (block samples × K)."""
    return np.ascontiguousarray(state[0].T)


class _BlockData:
    """The row blocks of the loss matrix (and of the initial losses) and their persisted states."""

    def __init__(self, array, kind, initial_losses, name):
        dask, da = import_dask()
        self.dask, self.da = dask, da
        self.kind = kind
        array = whole_rows(array, None, name)
        if any(np.isnan(c) for c in array.chunks[0]):
            raise ValueError(f"{name} must have known chunk sizes (call compute_chunk_sizes())")
        self.sizes = tuple(int(c) for c in array.chunks[0])
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)])[:-1]
        self.n_samples, n_columns = array.shape
        self.n_steps = n_columns - 1 if kind == "losses" else n_columns
        blocks = list(array.to_delayed().ravel())
        if initial_losses is None:
            self.data = [(b,) for b in blocks]
        else:
            initial = da.asarray(initial_losses).astype(np.float64)
            if initial.shape != (self.n_samples,):
                raise ValueError(f"initial_losses must have shape ({self.n_samples},), got {initial.shape}")
            initial = initial.rechunk((self.sizes,))
            self.data = [(b, i) for b, i in zip(blocks, initial.to_delayed().ravel())]
        self.states = [None] * len(self.data)

    def first_pass(self, absolute_sum):
        call = self.dask.delayed(_first_pass, pure=True)
        return self.dask.compute(*[call(d, self.kind, absolute_sum) for d in self.data])

    def round(self, ops, needs_data, update=True):
        """One map-reduce round: ``ops`` (a list, or one list per block) on every block.

        Returns the per-block statistics in block order; with ``update`` the blocks' new states are
        persisted (kept on their workers) for the next round.
        """
        per_block = ops if ops and isinstance(ops[0], list) else [ops] * len(self.data)
        call = self.dask.delayed(_block_step, nout=2, pure=True)
        steps = [call(state, data if needs_data else None, self.kind, block_ops)
                 for state, data, block_ops in zip(self.states, self.data, per_block)]
        if not update:
            return self.dask.compute(*[s[1] for s in steps])
        states, stats = self.dask.persist([s[0] for s in steps], [s[1] for s in steps])
        self.states = states
        return self.dask.compute(*stats)

    def dictionary(self, states, n_atoms):
        """D as a lazy dask array chunked like the input's rows."""
        call = self.dask.delayed(_dictionary_block, pure=True)
        parts = [self.da.from_delayed(call(s), shape=(m, n_atoms), dtype=np.float64)
                 for s, m in zip(states, self.sizes)]
        return self.da.concatenate(parts, axis=0)


def _summed(stats, position):
    """Σ over blocks of each block's `position`-th statistic (element by element for tuples), in block order."""
    values = [block[position] for block in stats]
    if isinstance(values[0], tuple):
        return tuple(_summed([(v[i],) for v in values], 0) for i in range(len(values[0])))
    total = values[0]
    for value in values[1:]:
        total = total + value
    return total


class _DistributedFit:
    """``dict_learning_native`` on `_BlockData`, iterate for iterate (without extrapolation), with
    ``dict_constraint="simplex"`` (``simplex=True``, LDD eq. (11)) or ``"unit_norm"`` and
    ``positive_dict=True`` (the paper's footnote 2, ``formulation="authors"``)."""

    def __init__(self, data, n_atoms, alpha, threads, verbose, simplex=True):
        self.data, self.k, self.alpha, self.threads, self.verbose = data, n_atoms, alpha, threads, verbose
        self.simplex = simplex
        self.previous = {}  # atom -> its absolute threshold (shift + τ) in the last sweep

    def start_from_svd(self, row_gram):
        """The in-memory SVD start: U from ``X Xᵀ``; atoms ``|Uᵀ X|`` row-normalised onto the simplex,
        or scikit-learn's ``S Vᵀ = Uᵀ X`` as it is for unit-norm atoms."""
        code = leading_left_singular_vectors(row_gram, min(self.k, self.data.n_steps, self.data.n_samples))
        if not self.simplex:
            stats = self.data.round([("svd_start", code, False), ("products",)], needs_data=True)
            return np.ascontiguousarray(code), _summed(stats, 1)
        sums = _summed(self.data.round([("svd_start", code, True)], needs_data=True), 0)
        return np.ascontiguousarray(code), self._normalize(sums)

    def start_from_steps(self, rows, scale, random_state):
        """``LDD._initial_dictionary``: random steps' positive drops plus noise from ``random_state``.

        The noise is ``random_state.random_sample((K, N))``; each block regenerates its part from the
        generator state at its offset, which the client finds by drawing through the stream.
        """
        generators = [[] for _ in self.data.sizes]
        for _ in range(self.k):
            for b, m in enumerate(self.data.sizes):
                generators[b].append(random_state.get_state())
                random_state.random_sample(m)
        ops = [[("random_start", rows, scale, g, not self.simplex)] for g in generators]
        measure = _summed(self.data.round(ops, needs_data=True), 0)  # sums, or squared norms for unit atoms
        return np.zeros((self.data.n_steps, self.k)), self._normalize(measure if self.simplex else np.sqrt(measure))

    def _normalize(self, sums):
        stats = self.data.round([("normalize", sums), ("products",)], needs_data=True)
        return _summed(stats, 0)

    def run(self, code, products, norms, max_iter, tol, random_state, progress):
        """Alternating iterations until the stopping rule or ``max_iter``; returns the code, the final
        ``(C, G)``, the costs and the iterations run. Seeds are drawn from ``random_state`` exactly when
        ``dict_learning_native`` draws them (once per call of the native fit)."""
        chunk = _CALLBACK_EVERY if self.verbose else (_PROGRESS_EVERY if progress is not None else max_iter)
        cross, gram = products
        total_squared = float(norms.sum())
        previous, errors, generator = np.nan, [], None
        for iteration in range(max_iter):
            if iteration % chunk == 0:
                generator = _core.xoshiro_seed(int(random_state.randint(np.iinfo(np.int64).max)))
            _core.dl_encode_gram(gram, cross, norms, code, self.alpha, False, _CODE_MAX_ITER, _CODE_TOL, self.threads)
            usage = code.T @ code
            pending, redrawn = self._sweep(code, usage, generator)
            cross, gram = _summed(self.data.round([*pending, ("products",)], needs_data=True), 0)
            if redrawn:
                usage = code.T @ code
            current = 0.5 * max(total_squared - 2 * np.sum(code * cross) + np.sum(usage * gram), 0) + \
                self.alpha * np.abs(code).sum()
            errors.append(current)
            if self.verbose:
                print(f"[dict_learning] iteration {iteration + 1:4d}, cost {current:.6g}")
            if progress is not None:
                progress.update(1)
            if not np.isnan(previous) and previous - current < tol * current:
                break
            previous = current
        return code, (cross, gram), errors, len(errors)

    def _sweep(self, code, usage, generator):
        """``DictionaryUpdate.sweep``: every atom in turn; returns the last atom's pending projection.

        An atom's round also evaluates the block sums at thresholds around the atom's absolute
        threshold of the previous sweep (``self.previous``), which usually brackets the new one closely
        and saves a threshold round.
        """
        lead = [("target", code.copy())]  # B = UᵀX from the code before any redraw zeroes a column
        pending, redrawn = [], 0
        for a in range(self.k):
            warm = _warm_candidates(self.previous.get(a)) if self.simplex else ()
            if usage[a, a] > _USAGE_FLOOR:
                ops = [*lead, *pending, ("atom", a, usage)]
                if self.simplex:
                    measure = [("sums", 0.0, warm)] if len(warm) else []
                else:
                    measure = [("ball",)]
                stats = self.data.round(ops + measure, needs_data=bool(lead))
            else:
                stats, warm = self._redraw(generator, [*lead, *pending]), ()
                code[:, a] = 0
                redrawn += 1
            lead = []
            if not self.simplex:  # clip, then onto the unit ball (AtomProjection.projectOntoBall)
                squares = sum(s[1] if len(s) > 1 else s[0][2] for s in stats)
                pending = [("apply_ball", a, max(np.sqrt(squares), 1.0))]
                continue
            shift = max(s[0][0] for s in stats)
            prior = {}
            if len(warm):  # absolute thresholds θ → y = w − shift coordinates
                counts, sums = _summed([s[1] for s in stats], 0), _summed([s[1] for s in stats], 1)
                prior = {float(t - shift): (int(c), float(v - c * shift)) for t, c, v in zip(warm, counts, sums)}
            tau = self._threshold(shift, sum(s[0][1] for s in stats), prior)
            self.previous[a] = shift + tau
            pending = [("apply", a, shift, tau)]
        return pending, redrawn

    def _redraw(self, generator, before):
        """``DictionaryUpdate.redraw`` (a random step of X plus 1% noise) on every block."""
        n, t = self.data.n_samples, _core.xoshiro_next(generator) % self.data.n_steps
        mean = sum(s[0] for s in self.data.round([*before, ("row_sum", t)], needs_data=True)) / n
        deviation = sum(s[0] for s in self.data.round([("row_deviation", t, mean)], needs_data=True, update=False))
        std = np.sqrt(deviation / n)
        noise = 0.01 * (std if std > 0 else 1.0)
        states = []
        for m in self.data.sizes:
            states.append(generator.copy())
            _core.xoshiro_gaussians(generator, m)
        return self.data.round([[("redraw", t, noise, s)] for s in states], needs_data=True)

    def _threshold(self, shift, total, prior):
        """τ with ``Σ max(w − shift − τ, 0) = 1`` over all blocks (``SimplexProjection.blockSums``).

        With y = w − shift (max y = 0), f(τ) = Σ max(y − τ, 0) − 1 is convex, piecewise linear and
        decreasing, f(−1) ≥ 0 > f(0) = −1, and known at τ from the count and sum of the entries above
        it (`prior`: those already evaluated). Each round evaluates f at candidates: the Newton step from
        the best lower bound (a lower bound again), the secant root of the bracket (an upper bound) and a
        grid between. Once no entry lies between the bracketing thresholds (equal counts) the active set
        is known and τ = (Σ_{y>τ} y − 1) / #{y > τ} exactly.
        """
        n = self.data.n_samples
        evaluated = {0.0: (0, 0.0), **{t: v for t, v in prior.items() if -1.0 <= t < 0.0}}
        newton = None
        for _ in range(_MAX_THRESHOLD_ROUNDS):
            taus = sorted(evaluated)
            above = [t for t in taus if evaluated[t][1] - t * evaluated[t][0] - 1 >= 0]
            if not above and -1.0 not in evaluated:  # no lower bound yet: the first grid
                start = max(-1.0, (total - n * shift - 1.0) / n)
                candidates = np.unique(np.r_[-1.0, np.linspace(start, 0.0, _CANDIDATES + 1)[:-1]])
            else:
                low = above[-1] if above else taus[0]
                high = next(t for t in taus if t > low)
                (count_low, sum_low), (count_high, sum_high) = evaluated[low], evaluated[high]
                newton = (sum_low - 1) / count_low
                if count_low == count_high or high - low <= 4 * np.finfo(float).eps * max(abs(low), abs(high)):
                    return newton
                f_low = sum_low - low * count_low - 1
                f_high = sum_high - high * count_high - 1
                secant = low + f_low * (high - low) / (f_low - f_high)
                lower, upper = max(newton, low), min(max(secant, newton), high)
                candidates = np.unique(np.r_[lower, np.linspace(lower, upper, _CANDIDATES)[1:]])
                candidates = candidates[(candidates > low) & (candidates < high)]
                if len(candidates) == 0:
                    return newton
            stats = self.data.round([("sums", shift, candidates)], needs_data=False, update=False)
            counts, sums = _summed([s[0] for s in stats], 0), _summed([s[0] for s in stats], 1)
            evaluated.update({float(c): (int(k), float(v)) for c, k, v in zip(candidates, counts, sums)})
        return newton

    def objective(self, code):
        """0.5 ‖X − UV‖²_F + alpha ‖U‖₁,₁ and ‖X − UV‖²_F, from per-block residuals."""
        squared = sum(s[0] for s in self.data.round([("residual", code)], needs_data=True, update=False))
        return 0.5 * squared + self.alpha * np.abs(code).sum(), squared


def fit_dask(model, array, kind, initial_losses):
    """``LDD.fit`` (kind "losses") / ``fit_differences`` (kind "differences") on a dask array, with the
    parameters of `model` (which it does not modify): a :class:`Decomposition` with the same values as the
    in-memory fit, whose ``dictionary`` and ``multiplicity`` are lazy dask arrays chunked like the input's rows."""
    name = "losses" if kind == "losses" else "L_delta"
    check_loss_layout(array, name, 2 if kind == "losses" else 1)
    data = _BlockData(array, kind, initial_losses, name)
    first = data.first_pass(absolute_sum=model.n_init > 1)
    if not all(s["finite"] for s in first):
        raise ValueError(f"{name} contains NaN or infinity")
    limit = np.sqrt(np.finfo(np.float64).max / max(1, array.size))
    peak = max(s["peak"] for s in first)
    if peak > limit:
        raise ValueError(f"{name} has entries up to {peak:.3g}: sums of their squares overflow float64 "
                         f"(limit {limit:.3g} for this size); rescale {name}")
    n_domains = model._check_params(data.n_samples, data.n_steps)
    random_state = check_random_state(model.random_state)
    norms = _summed([(s["norms"],) for s in first], 0)
    fit = _DistributedFit(data, n_domains, model.alpha, check_n_jobs(model.n_jobs), model.verbose,
                          simplex=model.formulation == "paper")
    bar = progress_bar(model.progress and not model.verbose, model.max_iter * model.n_init, "LDD")
    best = None
    try:
        for restart in range(model.n_init):
            if restart == 0:
                code, products = fit.start_from_svd(_summed([(s["gram"],) for s in first], 0))
            else:
                rows = random_state.choice(data.n_steps, size=n_domains, replace=False)
                scale = sum(s["abs_sum"] for s in first) / (data.n_steps * data.n_samples) + np.finfo(float).tiny
                code, products = fit.start_from_steps(rows, scale, random_state)
            code, products, _, n_iter = fit.run(code, products, norms, model.max_iter, model.tol, random_state, bar)
            objective, squared = fit.objective(code)
            if bar is not None:
                bar.update(model.max_iter - n_iter)
            if best is None or objective < best[0]:
                best = (objective, code.copy(), products, n_iter, squared, data.states)
    finally:
        if bar is not None:
            bar.close()
    objective, code, (cross, gram), n_iter, squared, states = best
    data.states = states
    if not fit.simplex:  # rescale_to_simplex on the blocks: D A_Δ unchanged, eq. (10) exact
        sums = _summed(data.round([("atom_sums",)], needs_data=False, update=False), 0)
        code = np.ascontiguousarray(code * np.where(sums > 0, sums, 0.0))
        cross, gram = _summed(data.round([("to_simplex", sums, data.n_samples), ("products",)], needs_data=True), 0)
    if model.refit != "none":
        code = refit_codes(code, cross, gram, _summed([(s["step_sums"],) for s in first], 0), np.ones(n_domains),
                           model.refit)
        squared = fit.objective(code)[1]
    code_differences = np.ascontiguousarray(code.T)
    dictionary = data.dictionary(data.states, n_domains)
    loss_sums = _loss_sums(first, kind, initial_losses is not None)
    mean_projection = None
    if loss_sums is not None:
        mean_projection = _summed(data.round([("mean_projection",)], needs_data=True, update=False), 0)
    losses = domain_losses(code_differences, gram, mean_projection, loss_sums)
    return Decomposition(
        objective=objective, n_iter=n_iter, dictionary=dictionary, code_differences=code_differences,
        reconstruction_error=float(np.sqrt(squared) / max(np.sqrt(norms.sum()), np.finfo(float).tiny)),
        multiplicity=dictionary.sum(axis=1),  # LDD eq. (12)
        domain_losses=losses, loss_sum_residual=None if loss_sums is None else losses.sum(axis=0) - loss_sums)


def _loss_sums(first, kind, has_initial):
    """Σ_i ℓ_i^(t) per checkpoint, from the blocks' sums (None for differences without ℓ^(0))."""
    if kind == "losses":
        return _summed([(s["loss_sums"],) for s in first], 0)
    if not has_initial:
        return None
    step_sums = _summed([(s["step_sums"],) for s in first], 0)
    drops = np.zeros(len(step_sums) + 1)
    np.cumsum(step_sums, out=drops[1:])
    return sum(s["initial_sum"] for s in first) - drops


def _prune_block(weights, generator, offset, n_keep):
    """A block's ``n_keep`` largest Efraimidis–Spirakis keys (key, tie-break, index), as ``LDD.prune``."""
    weights = np.asarray(weights)
    uniform = np.random.RandomState()
    uniform.set_state(generator)
    uniform = uniform.random_sample(len(weights))
    with np.errstate(divide="ignore", over="ignore"):  # tiny m_i: key −inf
        keys = np.where(weights > 0, np.log(uniform) / np.maximum(weights, np.finfo(float).tiny), -np.inf)
    tie_break = np.where(weights > 0, 0.0, uniform)
    index = offset + np.arange(len(weights))
    order = np.lexsort((index, tie_break, keys))[::-1][:n_keep]
    return keys[order], tie_break[order], index[order]


def prune_dask(multiplicity, n_keep, random_state):
    """``LDD.prune`` on a lazy multiplicity: the same indices as in memory, without gathering it.

    The uniforms are ``random_state.random_sample(N)`` as in memory; each block regenerates its part
    from the generator state at its offset and keeps its ``n_keep`` largest keys; the client merges.
    """
    dask, _ = import_dask()
    generators = []
    for m in multiplicity.chunks[0]:
        generators.append(random_state.get_state())
        random_state.random_sample(m)
    offsets = np.concatenate([[0], np.cumsum(multiplicity.chunks[0])])[:-1]
    call = dask.delayed(_prune_block, pure=True)
    parts = dask.compute(*[call(b, g, int(o), n_keep) for b, g, o in
                           zip(multiplicity.to_delayed().ravel(), generators, offsets)])
    keys, tie_break, index = (np.concatenate([p[i] for p in parts]) for i in range(3))
    return index[np.lexsort((index, tie_break, keys))[::-1][:n_keep]]


def _top_block(column, offset, n):
    """A block's ``n`` largest entries of a dictionary column and their indices."""
    column = np.asarray(column)
    top = np.argsort(-column, kind="stable")[:n]
    return column[top], offset + top


def top_samples_dask(column, n):
    """``LDD.top_samples`` on a lazy dictionary column: per-block top ``n``, merged on the client."""
    dask, _ = import_dask()
    offsets = np.concatenate([[0], np.cumsum(column.chunks[0])])[:-1]
    call = dask.delayed(_top_block, pure=True)
    parts = dask.compute(*[call(b, int(o), n) for b, o in zip(column.to_delayed().ravel(), offsets)])
    values, index = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    return index[np.lexsort((index, -values))[:n]]


__all__ = ["fit_dask", "prune_dask", "top_samples_dask"]
