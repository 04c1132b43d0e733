/*
 * losslens.h — the whole contract between the Swift core (liblosslens_swift.so) and its callers.
 *
 * Conventions
 *  - Every function is prefixed `ll_`. Array arguments are C-contiguous, row-major, native-endian
 *    buffers owned by the caller; sizes are int64_t. Outputs are allocated by the caller with the
 *    documented shape and filled in place. The library keeps no pointer after a call returns.
 *  - Functions that can fail return an `ll_status` and write a NUL-terminated message naming the
 *    offending argument into `err` (capacity `err_len`, may be 0). They never abort the process.
 *  - `n_threads`: 0 uses the library's budget (`ll_set_num_threads`), -1 every CPU, k > 0 k threads.
 *  - Long computations poll a process-wide cancellation flag (`ll_request_cancel`) and then return
 *    `LL_ECANCELLED`; the flag is cleared when the next computation starts.
 */
#ifndef LOSSLENS_H
#define LOSSLENS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** ABI version of this header; `ll_abi_version()` must return the same number. */
#define LL_ABI_VERSION 1

/** Status codes. */
typedef enum ll_status {
  LL_OK = 0,          /**< success */
  LL_EINVAL = 1,      /**< invalid value or shape (Python ValueError) */
  LL_ETYPE = 2,       /**< unsupported type (Python TypeError) */
  LL_ENOMEM = 3,      /**< allocation failed (Python MemoryError) */
  LL_ECANCELLED = 4,  /**< stopped by ll_request_cancel (Python KeyboardInterrupt) */
  LL_ENUMERIC = 5     /**< a numerical routine failed (Python RuntimeError) */
} ll_status;

/* ---- Library ------------------------------------------------------------------------------ */

/** ABI version the library was built with. */
int32_t ll_abi_version(void);
/** Writes the library version ("major.minor.patch") into `buf`. */
void ll_version(char *buf, int64_t len);
/** Writes OpenBLAS's configuration string and core name into `buf`. */
void ll_blas_config(char *buf, int64_t len);
/** Sets the thread budget of the Swift core and of OpenBLAS (0: every CPU). */
void ll_set_num_threads(int32_t n);
/** The thread budget of the Swift core. */
int32_t ll_get_num_threads(void);
/** The number of threads OpenBLAS currently uses. */
int32_t ll_blas_num_threads(void);
/** Asks every running computation to stop at its next check. */
void ll_request_cancel(void);
/** Returns the address the library receives for `p` (used to test that arrays pass without copy). */
uint64_t ll_debug_address(const void *p);
/** Busy-waits for `seconds` of CPU time on the calling thread, polling cancellation (tests). */
int32_t ll_debug_spin(double seconds, char *err, int64_t err_len);

/* ---- Simplex projection ------------------------------------------------------------------- */

/**
 * Euclidean projection of every column (axis 0) or row (axis 1) of the rows×cols matrix `x` onto
 * {v : v >= 0, sum(v) = radius} (Condat 2016). `out` has the shape of `x` and may equal it.
 * Errors: empty x, axis not 0/1, radius <= 0 or not finite, non-finite entries in x.
 */
int32_t ll_project_simplex_f64(const double *x, int64_t rows, int64_t cols, int32_t axis,
                               double radius, double *out, int32_t n_threads,
                               char *err, int64_t err_len);
/** float32 variant of ll_project_simplex_f64 (threshold computed in double). */
int32_t ll_project_simplex_f32(const float *x, int64_t rows, int64_t cols, int32_t axis,
                               double radius, float *out, int32_t n_threads,
                               char *err, int64_t err_len);

/* ---- KMeans ------------------------------------------------------------------------------- */

/**
 * k-means on the n×d row-major `x` with non-negative `weights` (n), from the k×d `centers`, which
 * are overwritten with the result; `labels` (n) receive the final assignment. algorithm 0 = Lloyd,
 * 1 = Elkan. Stops when the labels repeat or the summed squared centre shift is <= `tol` (absolute),
 * after at most `max_iter` iterations; then writes the inertia and the iteration count.
 * Errors: empty x, k < 1 or k > n, max_iter < 1, tol < 0, non-finite values, negative weights.
 */
int32_t ll_kmeans_fit_f64(const double *x, int64_t n, int64_t d, const double *weights, double *centers,
                          int64_t k, int32_t algorithm, int64_t max_iter, double tol, int32_t *labels,
                          double *inertia, int64_t *n_iter, int32_t n_threads, char *err, int64_t err_len);
/** float32 variant of ll_kmeans_fit_f64 (inertia accumulated in double). */
int32_t ll_kmeans_fit_f32(const float *x, int64_t n, int64_t d, const float *weights, float *centers,
                          int64_t k, int32_t algorithm, int64_t max_iter, double tol, int32_t *labels,
                          double *inertia, int64_t *n_iter, int32_t n_threads, char *err, int64_t err_len);
/**
 * Greedy k-means++ seeding with `n_local_trials` candidates per centre, from `seed`: writes k×d
 * `centers` and their row `indices` (k). Errors: k < 1 or k > n, weights summing to zero.
 */
int32_t ll_kmeans_plusplus_f64(const double *x, int64_t n, int64_t d, const double *weights, int64_t k,
                               int64_t n_local_trials, uint64_t seed, double *centers, int64_t *indices,
                               int32_t n_threads, char *err, int64_t err_len);
/** float32 variant of ll_kmeans_plusplus_f64. */
int32_t ll_kmeans_plusplus_f32(const float *x, int64_t n, int64_t d, const float *weights, int64_t k,
                               int64_t n_local_trials, uint64_t seed, float *centers, int64_t *indices,
                               int32_t n_threads, char *err, int64_t err_len);
/** Nearest of the k×d `centers` for every row (`labels`) and the weighted inertia. */
int32_t ll_kmeans_assign_f64(const double *x, int64_t n, int64_t d, const double *weights,
                             const double *centers, int64_t k, int32_t *labels, double *inertia,
                             int32_t n_threads, char *err, int64_t err_len);
/** float32 variant of ll_kmeans_assign_f64. */
int32_t ll_kmeans_assign_f32(const float *x, int64_t n, int64_t d, const float *weights,
                             const float *centers, int64_t k, int32_t *labels, double *inertia,
                             int32_t n_threads, char *err, int64_t err_len);

/* ---- HDBSCAN ------------------------------------------------------------------------------ */

/** Metric codes of ll_hdbscan_mst. */
typedef enum ll_hdbscan_metric {
  LL_METRIC_EUCLIDEAN = 0,
  LL_METRIC_MANHATTAN = 1,
  LL_METRIC_CHEBYSHEV = 2,
  LL_METRIC_MINKOWSKI = 3,   /**< uses p >= 1 */
  LL_METRIC_COSINE = 4,
  LL_METRIC_PRECOMPUTED = 5  /**< x is an n x n distance matrix */
} ll_hdbscan_metric;

/**
 * Core distances and minimum spanning tree (Campello et al. 2013) of the rows x cols matrix `x`
 * (finite): core[i] is the distance to the `min_samples`-th neighbour (self = 0th,
 * 1 <= min_samples < rows); mst[(rows-1)*3] holds rows (source, target, weight) of the tree of the
 * mutual-reachability distance max(core_a, core_b, d(a, b) / alpha) in the order Prim's algorithm
 * grown from point 0 adds them (ties to the lowest index). `algorithm` 0/1: exact Prim on the
 * full graph (every metric); 2: Borůvka on a k-d tree (euclidean only), its edges listed in the
 * order Prim's algorithm takes them along the tree (equal to algorithm 1 unless weights tie).
 */
int32_t ll_hdbscan_mst(const double *x, int64_t rows, int64_t cols, int32_t metric, double p,
                       int64_t min_samples, double alpha, int32_t algorithm, int32_t n_threads,
                       double *core, double *mst,
                       char *err, int64_t err_len);

/**
 * Single-linkage tree of a spanning tree over `n_points` points whose edges (mst rows as above)
 * are merged in `order` (a permutation sorting the weights), and that tree condensed with
 * `min_cluster_size` (>= 2). Outputs: linkage[(n-1)*4] in SciPy format; parent/child/lambda_val/
 * child_size with capacity 2n rows and the number of rows written in *condensed_rows.
 */
int32_t ll_hdbscan_condense(const double *mst, const int64_t *order, int64_t n_points,
                            int64_t min_cluster_size, double *linkage, int64_t *parent, int64_t *child,
                            double *lambda_val, int64_t *child_size, int64_t *condensed_rows,
                            char *err, int64_t err_len);

/**
 * Flat clustering of a condensed tree over `n_points` points (`rows` rows as written by
 * ll_hdbscan_mst): excess of mass (`eom` != 0) or leaves, `epsilon` >= 0, `max_cluster_size`
 * (0: none), `allow_single_cluster`. Outputs: labels[n] (-1 noise), probabilities[n],
 * outlier_scores[n] (GLOSH); persistence and selected (condensed ids) with capacity n_points and
 * the number of clusters in *n_clusters.
 */
int32_t ll_hdbscan_select(const int64_t *parent, const int64_t *child, const double *lambda_val,
                          const int64_t *child_size, int64_t rows, int64_t n_points, int32_t eom,
                          double epsilon, int64_t max_cluster_size, int32_t allow_single_cluster,
                          int64_t *labels, double *probabilities, double *outlier_scores,
                          double *persistence, int64_t *selected, int64_t *n_clusters,
                          char *err, int64_t err_len);

/* ---- Lanczos ------------------------------------------------------------------------------ */

/**
 * Thick-restart Lanczos with full reorthogonalisation (Wu & Simon 2000) for k eigenpairs of a
 * symmetric operator, optionally deflated: with `deflate` (p×n row-major, orthonormal rows b_i)
 * the operator is (I − BBᵀ) A (I − BBᵀ) on the complement of span(B).
 * `which`: 0 largest algebraic ("LA"), 1 largest magnitude ("LM"), 2 smallest algebraic ("SA").
 * `tol`: a pair (θ, y) is converged when ‖Ay − θy‖ ≤ tol·max(|θ|, ε^{2/3} max|θ_j|); 0 means ε.
 * `max_restarts` >= 1; `ncv`: basis size (0: min(max(2k+1, 20), n − p)); `seed`: random start.
 * `v0` (n) may be NULL. Results: `values` (k, wanted first), `vectors` (n×k, column i for value i),
 * `residuals` (k), `info` (3: operator calls, restarts, converged leading pairs).
 */

/** Opaque solver state; owned by the caller between ll_lanczos_create and ll_lanczos_destroy. */
typedef struct ll_lanczos ll_lanczos;

/**
 * Creates a solver for an operator the caller applies (reverse communication). v0 and deflate are
 * copied: no pointer is kept after the call. On success `*handle` is set; free it with
 * ll_lanczos_destroy. A handle must not be used from two threads at once.
 */
int32_t ll_lanczos_create(int64_t n, int64_t k, int32_t which, double tol, int64_t max_restarts,
                          int64_t ncv, uint64_t seed, const double *v0, const double *deflate,
                          int64_t p, ll_lanczos **handle, char *err, int64_t err_len);
/**
 * Advances the solver. `y` holds A·x for the x of the previous request (NULL on the first call).
 * Sets `*need_product` to 1 and writes the next vector into `x` (n) when the operator must be
 * applied, or to 0 when the result is ready. Errors: non-finite y.
 */
int32_t ll_lanczos_step(ll_lanczos *handle, const double *y, double *x, int32_t *need_product,
                        char *err, int64_t err_len);
/** Writes the result of a finished solver (see the section comment for shapes). */
int32_t ll_lanczos_result(ll_lanczos *handle, double *values, double *vectors, double *residuals,
                          int64_t *info, char *err, int64_t err_len);
/** Frees a solver; NULL is ignored. */
void ll_lanczos_destroy(ll_lanczos *handle);
/** The whole run on the dense symmetric n×n row-major matrix `a` (products by gemv). */
int32_t ll_lanczos_dense(const double *a, int64_t n, int64_t k, int32_t which, double tol,
                         int64_t max_restarts, int64_t ncv, uint64_t seed, const double *v0,
                         const double *deflate, int64_t p, double *values, double *vectors,
                         double *residuals, int64_t *info, char *err, int64_t err_len);

/* ---- DIDS ---------------------------------------------------------------------------------- */

/**
 * Gradient sketch (DIDS §4.1, eq. 5, appendix A): each of the m rows of the m×h `x` keeps its `topk`
 * entries of largest magnitude, then is projected by R (h×n_components, kind 0 = ±1/sqrt(s) Rademacher,
 * 1 = N(0, 1/s) Gaussian) generated from `seed` in blocks of 256 rows; columns of the result are
 * multiplied by `column_scale` (n_components, may be NULL). `out` is m×n_components.
 * Errors: non-finite x, topk < 1, bad kind or sizes.
 */
int32_t ll_dids_sketch_f64(const double *x, int64_t m, int64_t h, int64_t n_components, int32_t kind,
                           uint64_t seed, int64_t topk, const double *column_scale, double *out,
                           int32_t n_threads, char *err, int64_t err_len);
/** float32 variant of ll_dids_sketch_f64 (same R, rounded to float). */
int32_t ll_dids_sketch_f32(const float *x, int64_t m, int64_t h, int64_t n_components, int32_t kind,
                           uint64_t seed, int64_t topk, const double *column_scale, float *out,
                           int32_t n_threads, char *err, int64_t err_len);
/** Euclidean norms of the n_components columns of the R of ll_dids_sketch_f64, generated block by block. */
int32_t ll_dids_projection_column_norms(int64_t h, int64_t n_components, int32_t kind, uint64_t seed,
                                        double *out, int32_t n_threads, char *err, int64_t err_len);
/** DIDS eq. (11): out[c] = mean_i g[i,c]^2 + eps for the n×p per-sample gradients. */
int32_t ll_dids_fisher_diagonal_f64(const double *g, int64_t n, int64_t p, double eps, double *out,
                                    int32_t n_threads, char *err, int64_t err_len);
/** float32 variant of ll_dids_fisher_diagonal_f64 (accumulated in double). */
int32_t ll_dids_fisher_diagonal_f32(const float *g, int64_t n, int64_t p, double eps, float *out,
                                    int32_t n_threads, char *err, int64_t err_len);
/**
 * FIM-guided impact, out (nd×nt, float64): kind 0 = DIDS eq. (12) ½ Σ F (g_task − g_domain)²,
 * kind 1 = the authors' Fisher kernel ½ Σ F g_domain g_task. Errors: non-finite input, negative F.
 */
int32_t ll_dids_impact_f64(const double *domains, int64_t nd, const double *tasks, int64_t nt,
                           const double *fisher, int64_t p, int32_t kind, double *out, int32_t n_threads,
                           char *err, int64_t err_len);
/** float32 variant of ll_dids_impact_f64 (accumulated and returned in double). */
int32_t ll_dids_impact_f32(const float *domains, int64_t nd, const float *tasks, int64_t nt,
                           const float *fisher, int64_t p, int32_t kind, double *out, int32_t n_threads,
                           char *err, int64_t err_len);
/**
 * DIDS eq. (14): fits y = a·exp(−b·t) + c by Levenberg–Marquardt from `guess` (3 values or NULL for
 * (1,1,1)) and from a grid over b; optional box `lower`/`upper` (3 values each). Writes params (a,b,c),
 * half the residual sum of squares, the evaluations and `fit_status` (0 converged, 1 evaluation budget
 * spent, 2 fewer than 3 points: params NaN). Errors only for invalid arguments (non-finite t or y).
 */
int32_t ll_dids_fit_exponential_decay(const double *t, const double *y, int64_t n, const double *guess,
                                      const double *lower, const double *upper, int64_t max_evaluations,
                                      double *params, double *cost, int64_t *evaluations,
                                      int32_t *fit_status, char *err, int64_t err_len);
/**
 * DIDS eq. (15): l_p = y_last − L(t_last + tau) for the eq. (14) fit L (authors_code = 0), or the
 * authors' code (1): fit over indices, predict at n + tau, 1 with fewer than 5 points. 0 when no fit.
 */
int32_t ll_dids_potential(const double *t, const double *y, int64_t n, double tau, int32_t authors_code,
                          double *out, char *err, int64_t err_len);
/**
 * DIDS eqs. (13)–(16): normalises each task column of the nd×nt `impact` (impact_normalization 0 =
 * max gap (authors' code), 1 = divided by Σ|I|, 2 = none), U_i = Σ_j Ĩ_ij (improvement_j + potential_j)
 * / previous_i, p̂ = softmax(U / temperature) (normalization 0) or ∝ max(U, 1e-7) (1), then
 * p = beta·previous + (1 − beta)·p̂, renormalised. Writes p (nd), U (nd) and Ĩ (nd×nt).
 * Errors: previous not positive, non-finite inputs, beta outside [0, 1), temperature <= 0.
 */
int32_t ll_dids_update(const double *impact, int64_t nd, int64_t nt, const double *improvement,
                       const double *potential, const double *previous, double beta, int32_t normalization,
                       int32_t impact_normalization, double temperature, double *probabilities,
                       double *utilities, double *normalized_impact, char *err, int64_t err_len);

/* ---- POLCA -------------------------------------------------------------------------------- */

/**
 * Projection Oriented Loss Change Allocation (Kangaslahti et al., eqs. 4-10) for T steps, n samples
 * and m basis directions. Inputs: `grads` ((T+1)×n×m, <b, grad loss(x; theta_t)>), `steps` (T×m,
 * <b, theta_{t+1} - theta_t>), `curvatures` (T×m, b^T H_t(X) b of the summed loss over the n samples).
 * `order` 1 or 2; `share_tol` >= 0: the eq. (6) share falls back to 1/n when
 * |sum_x dp| <= share_tol * sum_x |dp|. With `per_sample_curvature` != 0, `curvatures` is T×n×m,
 * b^T H_t(x) b per sample, used directly by eq. (5) (no share, no guard). Outputs: `allocation` and `first_order` (T×n×m),
 * `projected_loss` ((T+1)×n×m, eq. 10), `guarded` (T×m, 1 where the fallback was used).
 */
int32_t ll_polca_allocate(const double *grads, const double *steps, const double *curvatures,
                          int64_t checkpoints, int64_t samples, int64_t directions, int32_t order,
                          double share_tol, int32_t per_sample_curvature, double *allocation, double *first_order,
                          double *projected_loss, uint8_t *guarded, int32_t n_threads,
                          char *err, int64_t err_len);

/* ---- DictionaryLearning ------------------------------------------------------------------- */

/**
 * Sparse dictionary learning: up to `max_iter` iterations of alternating minimisation of
 * 0.5 ||X - U V||_F^2 + alpha ||U||_{1,1} over the code U (n x k, `code`) and the dictionary V
 * (k x p, `dictionary`), both read as the starting point and overwritten. Each iteration codes every
 * sample by coordinate-descent Lasso on the Gram matrix (at most `code_max_iter` sweeps, tolerance
 * `code_tol` as scikit-learn's), sweeps the atoms once (block coordinate descent, each atom projected
 * onto `constraint`: 0 = ||v|| <= 1 (and v >= 0 if `positive_dict`), 1 = probability simplex), then
 * writes the cost to `errors[i]`. Stops when the cost decreased by less than `tol` times the cost
 * (`previous_cost` is the cost before this call, NaN if none). Atoms with usage <= 1e-6 are
 * redrawn from a random sample (generator seeded by `seed`). Outputs `*n_iter` (iterations run, the
 * length written to `errors`, which must hold `max_iter` values) and `*converged` (0/1).
 * Extrapolation (NULL `extrapolation_state`: none): each iteration also codes the extrapolated
 * dictionary P(W + beta (W - W_prev)) after the sweep W and keeps the cheaper, so `errors` then holds
 * the kept point's cost with its own code. `extrapolation_state` holds 3 + n*k doubles (start:
 * 0.5, 1, 0, then anything) and `previous_sweep` k x p values of X's type; both carry the state
 * from one call to the next. `data_gram` (n x n, may be NULL) is X X^T when the caller has it: the
 * core forms it otherwise when it keeps X V^T current without streaming X (wide float64 X).
 * Errors: empty X, non-finite inputs, alpha < 0, tol < 0, max_iter < 0, bad constraint.
 */
int32_t ll_dict_learning_f64(const double *x, int64_t n, int64_t p, int64_t k, double alpha, double tol,
                             int64_t max_iter, int64_t code_max_iter, double code_tol, int32_t constraint,
                             int32_t positive_code, int32_t positive_dict, uint64_t seed,
                             double previous_cost, double *dictionary, double *code, double *errors,
                             int64_t *n_iter, int32_t *converged, double *extrapolation_state,
                             double *previous_sweep, const double *data_gram, int32_t n_threads, char *err,
                             int64_t err_len);
/** float32 variant of ll_dict_learning_f64 (costs and small statistics in double). */
int32_t ll_dict_learning_f32(const float *x, int64_t n, int64_t p, int64_t k, double alpha, double tol,
                             int64_t max_iter, int64_t code_max_iter, double code_tol, int32_t constraint,
                             int32_t positive_code, int32_t positive_dict, uint64_t seed,
                             double previous_cost, float *dictionary, float *code, double *errors,
                             int64_t *n_iter, int32_t *converged, double *extrapolation_state,
                             float *previous_sweep, const double *data_gram, int32_t n_threads, char *err,
                             int64_t err_len);
/**
 * Lasso codes of every row of X (n x p) against `dictionary` (k x p):
 * min_u 0.5 ||x - V^T u||^2 + alpha ||u||_1 (u >= 0 if `positive`), coordinate descent on the Gram
 * matrix with at most `max_iter` sweeps and duality-gap tolerance `tol * ||x||^2`. `code` (n x k)
 * holds the warm start on entry (zeros for none) and the codes on exit.
 */
int32_t ll_sparse_encode_lasso_f64(const double *x, int64_t n, int64_t p, const double *dictionary,
                                   int64_t k, double alpha, int32_t positive, int64_t max_iter,
                                   double tol, double *code, int32_t n_threads, char *err, int64_t err_len);
/** float32 variant of ll_sparse_encode_lasso_f64. */
int32_t ll_sparse_encode_lasso_f32(const float *x, int64_t n, int64_t p, const float *dictionary,
                                   int64_t k, double alpha, int32_t positive, int64_t max_iter,
                                   double tol, float *code, int32_t n_threads, char *err, int64_t err_len);

/* ---- DictionaryLearning blocks (distributed fits) ---- */
/**
 * Lasso codes from statistics only: gram (k x k) = V V^T, cross (n x k) = X V^T, squared_norms (n)
 * = ||x_i||^2; same iteration as ll_sparse_encode_lasso_f64. `code` (n x k): warm start in, codes out.
 */
int32_t ll_dl_encode_gram_f64(const double *gram, const double *cross, const double *squared_norms, int64_t n,
                              int64_t k, double alpha, int32_t positive, int64_t max_iter, double tol,
                              double *code, int32_t n_threads, char *err, int64_t err_len);
/** One column block x (n x m) with its dictionary block (k x m): cross = x V^T (n x k), gram = V V^T (k x k). */
int32_t ll_dl_block_products_f64(const double *x, int64_t n, int64_t m, const double *dictionary, int64_t k,
                                 double *cross, double *gram, char *err, int64_t err_len);
/** target (k x m) = code^T x for the code (n x k) and one column block x (n x m). */
int32_t ll_dl_block_target_f64(const double *code, const double *x, int64_t n, int64_t m, int64_t k,
                               double *target, char *err, int64_t err_len);
/**
 * Atom `atom`'s block before projection, w (m) = v_a + (target_a - V^T usage_a) / usage_aa, from the
 * dictionary and target blocks (k x m) and usage (k x k); summary[0] = max(w), summary[1] = sum(w).
 */
int32_t ll_dl_block_atom_f64(const double *dictionary, const double *target, const double *usage, int64_t atom,
                             int64_t k, int64_t m, double *w, double *summary, char *err, int64_t err_len);
/** For each of t thresholds: count and sum of the entries y_i - shift above it (m entries). */
int32_t ll_simplex_block_sums_f64(const double *y, int64_t m, double shift, const double *thresholds, int64_t t,
                                  int64_t *counts, double *sums, char *err, int64_t err_len);
/** The state (4 words) of xoshiro256** seeded with `seed`, as the library's fits seed it. */
int32_t ll_xoshiro_seed(uint64_t seed, uint64_t *state, char *err, int64_t err_len);
/** The next 64 bits of the stream at `state` (4 words, advanced in place). */
int32_t ll_xoshiro_next(uint64_t *state, uint64_t *value, char *err, int64_t err_len);
/** `count` standard normal deviates (Box-Muller) from the stream at `state` (advanced in place). */
int32_t ll_xoshiro_gaussians(uint64_t *state, int64_t count, double *out, char *err, int64_t err_len);

#ifdef __cplusplus
}
#endif
#endif /* LOSSLENS_H */
