/*
 * losslens.h — the whole contract between the Swift core (liblosslens_swift.so) and its callers.
 *
 * Conventions (docs/architecture.md shows the layers and how to add a kernel)
 *  - Names: `ll_<method>_<verb>` plus `_f64` / `_f32` when the function takes floating-point arrays
 *    (float64-only functions carry `_f64` too, so a float32 twin can be added without a rename).
 *  - Arguments, in order: input arrays and their sizes, a `const ll_<method>_<verb>_options *`,
 *    output arrays, then `char *err, int64_t err_len`. Arrays are C-contiguous, row-major,
 *    native-endian buffers owned by the caller; sizes are int64_t. Outputs are allocated by the
 *    caller with the documented shape and filled in place. The library keeps no pointer after a call.
 *  - Options: every parameter that is not an array or a size (modes, tolerances, iteration limits,
 *    seeds, `n_threads`) lives in the entry point's options struct. Fill it with
 *    `ll_<method>_<verb>_options_init` (the defaults are documented next to each field), then set the
 *    fields you need: adding an option changes no signature, only LL_ABI_VERSION.
 *  - Modes are C enums (`LL_<METHOD>_<NAME>`); each code is defined here and nowhere else.
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

/** ABI version of this header; `ll_abi_version()` must return the same number. Bumped whenever a
 *  signature, an options struct or an enum changes. */
#define LL_ABI_VERSION 3

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

/* ---- Random numbers ------------------------------------------------------------------------ */

/** The state (4 words) of xoshiro256** seeded with `seed`, as the library's fits seed it. */
int32_t ll_xoshiro_seed(uint64_t seed, uint64_t *state, char *err, int64_t err_len);
/** The next 64 bits of the stream at `state` (4 words, advanced in place). */
int32_t ll_xoshiro_next(uint64_t *state, uint64_t *value, char *err, int64_t err_len);
/** `count` standard normal deviates (Box-Muller) from the stream at `state` (advanced in place). */
int32_t ll_xoshiro_gaussians_f64(uint64_t *state, int64_t count, double *out, char *err, int64_t err_len);

/* ---- Simplex projection ------------------------------------------------------------------- */

/** What ll_simplex_project projects. */
typedef enum ll_simplex_axis {
  LL_SIMPLEX_COLUMNS = 0,  /**< every column (NumPy axis 0) */
  LL_SIMPLEX_ROWS = 1      /**< every row (NumPy axis 1) */
} ll_simplex_axis;

typedef struct ll_simplex_project_options {
  ll_simplex_axis axis;  /**< default LL_SIMPLEX_COLUMNS */
  double radius;         /**< > 0, finite; default 1 */
  int32_t n_threads;     /**< default 0 */
} ll_simplex_project_options;
void ll_simplex_project_options_init(ll_simplex_project_options *options);

/**
 * Euclidean projection of every column or row of the rows×cols matrix `x` onto
 * {v : v >= 0, sum(v) = radius} (Condat 2016). `out` has the shape of `x` and may equal it.
 * Errors: empty x, bad axis, bad radius, non-finite entries in x.
 */
int32_t ll_simplex_project_f64(const double *x, int64_t rows, int64_t cols,
                               const ll_simplex_project_options *options, double *out,
                               char *err, int64_t err_len);
/** float32 variant of ll_simplex_project_f64 (threshold computed in double). */
int32_t ll_simplex_project_f32(const float *x, int64_t rows, int64_t cols,
                               const ll_simplex_project_options *options, float *out,
                               char *err, int64_t err_len);
/**
 * One block of a distributed projection: for each of t thresholds, the count and the sum of the
 * entries y_i - shift above it (m entries). float64 only (distributed fits exchange float64 sums).
 */
int32_t ll_simplex_block_sums_f64(const double *y, int64_t m, double shift, const double *thresholds, int64_t t,
                                  int64_t *counts, double *sums, char *err, int64_t err_len);

/* ---- KMeans ------------------------------------------------------------------------------- */

/** The iteration of ll_kmeans_fit. */
typedef enum ll_kmeans_algorithm {
  LL_KMEANS_LLOYD = 0,
  LL_KMEANS_ELKAN = 1  /**< triangle-inequality bounds; same result as Lloyd */
} ll_kmeans_algorithm;

typedef struct ll_kmeans_fit_options {
  ll_kmeans_algorithm algorithm;  /**< default LL_KMEANS_LLOYD */
  int64_t max_iter;               /**< >= 1; default 300 */
  double tol;                     /**< >= 0, absolute bound on the summed squared centre shift; default 0 */
  int32_t n_threads;              /**< default 0 */
} ll_kmeans_fit_options;
void ll_kmeans_fit_options_init(ll_kmeans_fit_options *options);

/**
 * k-means on the n×d row-major `x` with non-negative `weights` (n), from the k×d `centers`, which
 * are overwritten with the result; `labels` (n) receive the final assignment. Stops when the labels
 * repeat or the centre shift is <= tol, after at most max_iter iterations; then writes the inertia
 * and the iteration count.
 * Errors: empty x, k < 1 or k > n, max_iter < 1, tol < 0, non-finite values, negative weights.
 */
int32_t ll_kmeans_fit_f64(const double *x, int64_t n, int64_t d, const double *weights, double *centers,
                          int64_t k, const ll_kmeans_fit_options *options, int32_t *labels, double *inertia,
                          int64_t *n_iter, char *err, int64_t err_len);
/** float32 variant of ll_kmeans_fit_f64 (inertia accumulated in double). */
int32_t ll_kmeans_fit_f32(const float *x, int64_t n, int64_t d, const float *weights, float *centers,
                          int64_t k, const ll_kmeans_fit_options *options, int32_t *labels, double *inertia,
                          int64_t *n_iter, char *err, int64_t err_len);

typedef struct ll_kmeans_plusplus_options {
  int64_t n_local_trials;  /**< candidates per centre, >= 1; 0 (default): 2 + floor(ln k), scikit-learn's */
  uint64_t seed;           /**< default 0 */
  int32_t n_threads;       /**< default 0 */
} ll_kmeans_plusplus_options;
void ll_kmeans_plusplus_options_init(ll_kmeans_plusplus_options *options);

/**
 * Greedy k-means++ seeding: writes k×d `centers` and their row `indices` (k).
 * Errors: k < 1 or k > n, weights summing to zero.
 */
int32_t ll_kmeans_plusplus_f64(const double *x, int64_t n, int64_t d, const double *weights, int64_t k,
                               const ll_kmeans_plusplus_options *options, double *centers, int64_t *indices,
                               char *err, int64_t err_len);
/** float32 variant of ll_kmeans_plusplus_f64. */
int32_t ll_kmeans_plusplus_f32(const float *x, int64_t n, int64_t d, const float *weights, int64_t k,
                               const ll_kmeans_plusplus_options *options, float *centers, int64_t *indices,
                               char *err, int64_t err_len);

typedef struct ll_kmeans_assign_options {
  int32_t n_threads;  /**< default 0 */
} ll_kmeans_assign_options;
void ll_kmeans_assign_options_init(ll_kmeans_assign_options *options);

/** Nearest of the k×d `centers` for every row (`labels`) and the weighted inertia. */
int32_t ll_kmeans_assign_f64(const double *x, int64_t n, int64_t d, const double *weights,
                             const double *centers, int64_t k, const ll_kmeans_assign_options *options,
                             int32_t *labels, double *inertia, char *err, int64_t err_len);
/** float32 variant of ll_kmeans_assign_f64. */
int32_t ll_kmeans_assign_f32(const float *x, int64_t n, int64_t d, const float *weights,
                             const float *centers, int64_t k, const ll_kmeans_assign_options *options,
                             int32_t *labels, double *inertia, char *err, int64_t err_len);

/* ---- HDBSCAN ------------------------------------------------------------------------------ */

/** Distance of ll_hdbscan_mst. */
typedef enum ll_hdbscan_metric {
  LL_HDBSCAN_EUCLIDEAN = 0,
  LL_HDBSCAN_MANHATTAN = 1,
  LL_HDBSCAN_CHEBYSHEV = 2,
  LL_HDBSCAN_MINKOWSKI = 3,   /**< uses p >= 1 */
  LL_HDBSCAN_COSINE = 4,
  LL_HDBSCAN_PRECOMPUTED = 5  /**< x is an n x n distance matrix */
} ll_hdbscan_metric;

/** How ll_hdbscan_mst builds the tree. */
typedef enum ll_hdbscan_mst_algorithm {
  LL_HDBSCAN_PRIM = 0,         /**< exact Prim on the full graph (every metric) */
  LL_HDBSCAN_BORUVKA_KDTREE = 2 /**< Borůvka on a k-d tree (euclidean only) */
} ll_hdbscan_mst_algorithm;

typedef struct ll_hdbscan_mst_options {
  ll_hdbscan_metric metric;            /**< default LL_HDBSCAN_EUCLIDEAN */
  double p;                            /**< Minkowski exponent; default 2 */
  int64_t min_samples;                 /**< 1 <= min_samples < rows; default 5 */
  double alpha;                        /**< distance scaling, > 0; default 1 */
  ll_hdbscan_mst_algorithm algorithm;  /**< default LL_HDBSCAN_PRIM */
  int32_t n_threads;                   /**< default 0 */
} ll_hdbscan_mst_options;
void ll_hdbscan_mst_options_init(ll_hdbscan_mst_options *options);

/**
 * Core distances and minimum spanning tree (Campello et al. 2013) of the rows x cols matrix `x`
 * (finite): core[i] is the distance to the `min_samples`-th neighbour (self = 0th);
 * mst[(rows-1)*3] holds rows (source, target, weight) of the tree of the mutual-reachability
 * distance max(core_a, core_b, d(a, b) / alpha) in the order Prim's algorithm grown from point 0
 * adds them (ties to the lowest index). The k-d tree's edges are listed in that order too (equal
 * to Prim's unless weights tie). Distances are computed in double: the _f32 twin gives the
 * results of _f64 on the same values; its k-d tree reads `x` in place (LL_HDBSCAN_PRIM works on
 * a double copy).
 */
int32_t ll_hdbscan_mst_f64(const double *x, int64_t rows, int64_t cols, const ll_hdbscan_mst_options *options,
                           double *core, double *mst, char *err, int64_t err_len);
int32_t ll_hdbscan_mst_f32(const float *x, int64_t rows, int64_t cols, const ll_hdbscan_mst_options *options,
                           double *core, double *mst, char *err, int64_t err_len);

typedef struct ll_hdbscan_condense_options {
  int64_t min_cluster_size;  /**< >= 2; default 5 */
} ll_hdbscan_condense_options;
void ll_hdbscan_condense_options_init(ll_hdbscan_condense_options *options);

/**
 * Single-linkage tree of a spanning tree over `n_points` points whose n_points - 1 edges (mst rows
 * as above) are sorted by weight, merged in that row order (ties as sorted), and that tree condensed
 * with min_cluster_size. Outputs: linkage[(n-1)*4] in SciPy format; parent/child/lambda_val/child_size
 * with capacity min(2n + 1, n + 2 * (n / min_cluster_size) + 2) rows (integer division) and the
 * number of rows written in *condensed_rows. Unsorted, malformed or non-spanning rows: LL_EINVAL.
 */
int32_t ll_hdbscan_condense_f64(const double *mst, int64_t n_points, const ll_hdbscan_condense_options *options,
                                double *linkage, int64_t *parent, int64_t *child, double *lambda_val,
                                int64_t *child_size, int64_t *condensed_rows, char *err, int64_t err_len);

/** Which clusters ll_hdbscan_select keeps. */
typedef enum ll_hdbscan_selection {
  LL_HDBSCAN_EOM = 0,  /**< excess of mass */
  LL_HDBSCAN_LEAF = 1  /**< the leaves of the condensed tree */
} ll_hdbscan_selection;

typedef struct ll_hdbscan_select_options {
  ll_hdbscan_selection selection;  /**< default LL_HDBSCAN_EOM */
  double epsilon;                  /**< cluster_selection_epsilon >= 0; default 0 */
  int64_t max_cluster_size;        /**< 0 (default): none */
  int32_t allow_single_cluster;    /**< 0/1; default 0 */
  int32_t n_threads;               /**< default 0 */
} ll_hdbscan_select_options;
void ll_hdbscan_select_options_init(ll_hdbscan_select_options *options);

/**
 * Flat clustering of a condensed tree over `n_points` points (`rows` rows as written by
 * ll_hdbscan_condense_f64). Outputs: labels[n] (-1 noise), probabilities[n], outlier_scores[n]
 * (GLOSH); persistence and selected (condensed ids) with capacity n_points and the number of
 * clusters in *n_clusters.
 */
int32_t ll_hdbscan_select_f64(const int64_t *parent, const int64_t *child, const double *lambda_val,
                              const int64_t *child_size, int64_t rows, int64_t n_points,
                              const ll_hdbscan_select_options *options, int64_t *labels, double *probabilities,
                              double *outlier_scores, double *persistence, int64_t *selected, int64_t *n_clusters,
                              char *err, int64_t err_len);

/* ---- Lanczos ------------------------------------------------------------------------------ */

/** The end of the spectrum a Lanczos run looks for (ARPACK's `which`). */
typedef enum ll_lanczos_which {
  LL_LANCZOS_LA = 0,  /**< largest algebraic */
  LL_LANCZOS_LM = 1,  /**< largest magnitude */
  LL_LANCZOS_SA = 2   /**< smallest algebraic */
} ll_lanczos_which;

/** Options of ll_lanczos_create_f64 and ll_lanczos_dense_f64. */
typedef struct ll_lanczos_options {
  ll_lanczos_which which;  /**< default LL_LANCZOS_LA */
  double tol;              /**< (θ, y) converged when ‖Ay − θy‖ <= tol·max(|θ|, ε^{2/3} max|θ_j|); 0 (default): ε */
  int64_t max_restarts;    /**< >= 1; default 1000 */
  int64_t ncv;             /**< basis size; 0 (default): min(max(2k+1, 20), n − p) */
  uint64_t seed;           /**< random start when v0 is NULL; default 0 */
} ll_lanczos_options;
void ll_lanczos_options_init(ll_lanczos_options *options);

/**
 * Thick-restart Lanczos with full reorthogonalisation (Wu & Simon 2000) for k eigenpairs of a
 * symmetric operator, optionally deflated: with `deflate` (p×n row-major, orthonormal rows b_i)
 * the operator is (I − BBᵀ) A (I − BBᵀ) on the complement of span(B). `v0` (n) may be NULL.
 * Results: `values` (k, wanted first), `vectors` (n×k, column i for value i), `residuals` (k),
 * `info` (3: operator calls, restarts, converged leading pairs).
 */

/** Opaque solver state; owned by the caller between ll_lanczos_create_f64 and ll_lanczos_destroy. */
typedef struct ll_lanczos ll_lanczos;

/**
 * Creates a solver for an operator the caller applies (reverse communication). v0 and deflate are
 * copied: no pointer is kept after the call. On success `*handle` is set; free it with
 * ll_lanczos_destroy. A handle must not be used from two threads at once.
 */
int32_t ll_lanczos_create_f64(int64_t n, int64_t k, const double *v0, const double *deflate, int64_t p,
                              const ll_lanczos_options *options, ll_lanczos **handle, char *err, int64_t err_len);
/**
 * Advances the solver. `y` holds A·x for the x of the previous request (NULL on the first call).
 * Sets `*need_product` to 1 and writes the next vector into `x` (n) when the operator must be
 * applied, or to 0 when the result is ready. Errors: non-finite y.
 */
int32_t ll_lanczos_step_f64(ll_lanczos *handle, const double *y, double *x, int32_t *need_product,
                            char *err, int64_t err_len);
/** Writes the result of a finished solver (see the section comment for shapes). */
int32_t ll_lanczos_result_f64(ll_lanczos *handle, double *values, double *vectors, double *residuals,
                              int64_t *info, char *err, int64_t err_len);
/** Frees a solver; NULL is ignored. */
void ll_lanczos_destroy(ll_lanczos *handle);
/** The whole run on the dense symmetric n×n row-major matrix `a` (products by gemv). */
int32_t ll_lanczos_dense_f64(const double *a, int64_t n, int64_t k, const double *v0, const double *deflate,
                             int64_t p, const ll_lanczos_options *options, double *values, double *vectors,
                             double *residuals, int64_t *info, char *err, int64_t err_len);

/* ---- DIDS ---------------------------------------------------------------------------------- */

/** The random projection R of the gradient sketch. */
typedef enum ll_dids_projection {
  LL_DIDS_RADEMACHER = 0,  /**< ±1/sqrt(s) */
  LL_DIDS_GAUSSIAN = 1     /**< N(0, 1/s) */
} ll_dids_projection;

/** Options of ll_dids_sketch_f64 and ll_dids_projection_column_norms_f64. */
typedef struct ll_dids_sketch_options {
  ll_dids_projection projection;  /**< default LL_DIDS_RADEMACHER */
  uint64_t seed;                  /**< default 0 */
  int64_t topk;                   /**< entries kept per row, >= 1; default INT64_MAX (all) */
  int32_t n_threads;              /**< default 0 */
} ll_dids_sketch_options;
void ll_dids_sketch_options_init(ll_dids_sketch_options *options);

/**
 * Gradient sketch (DIDS §4.1, eq. 5, appendix A): each of the m rows of the m×h `x` keeps its topk
 * entries of largest magnitude, then is projected by R (h×n_components) generated from the seed in
 * blocks of 256 rows; columns of the result are multiplied by `column_scale` (n_components, may be
 * NULL). `out` is m×n_components. Errors: non-finite x, topk < 1, bad projection or sizes.
 */
int32_t ll_dids_sketch_f64(const double *x, int64_t m, int64_t h, int64_t n_components, const double *column_scale,
                           const ll_dids_sketch_options *options, double *out, char *err, int64_t err_len);
/** float32 variant of ll_dids_sketch_f64 (same R, rounded to float). */
int32_t ll_dids_sketch_f32(const float *x, int64_t m, int64_t h, int64_t n_components, const double *column_scale,
                           const ll_dids_sketch_options *options, float *out, char *err, int64_t err_len);
/** Euclidean norms of the n_components columns of the R of ll_dids_sketch_f64 (topk unused). */
int32_t ll_dids_projection_column_norms_f64(int64_t h, int64_t n_components, const ll_dids_sketch_options *options,
                                            double *out, char *err, int64_t err_len);

typedef struct ll_dids_fisher_diagonal_options {
  double eps;         /**< >= 0; default 0 */
  int32_t n_threads;  /**< default 0 */
} ll_dids_fisher_diagonal_options;
void ll_dids_fisher_diagonal_options_init(ll_dids_fisher_diagonal_options *options);

/** DIDS eq. (11): out[c] = mean_i g[i,c]^2 + eps for the n×p per-sample gradients. */
int32_t ll_dids_fisher_diagonal_f64(const double *g, int64_t n, int64_t p,
                                    const ll_dids_fisher_diagonal_options *options, double *out,
                                    char *err, int64_t err_len);
/** float32 variant of ll_dids_fisher_diagonal_f64 (accumulated in double). */
int32_t ll_dids_fisher_diagonal_f32(const float *g, int64_t n, int64_t p,
                                    const ll_dids_fisher_diagonal_options *options, float *out,
                                    char *err, int64_t err_len);

/** How ll_dids_impact compares a domain's and a task's mean gradients. */
typedef enum ll_dids_impact_kind {
  LL_DIDS_DIVERGENCE = 0,  /**< DIDS eq. (12): ½ Σ F (g_task − g_domain)² */
  LL_DIDS_KERNEL = 1       /**< the authors' Fisher kernel ½ Σ F g_domain g_task */
} ll_dids_impact_kind;

typedef struct ll_dids_impact_options {
  ll_dids_impact_kind kind;  /**< default LL_DIDS_DIVERGENCE */
  int32_t n_threads;         /**< default 0 */
} ll_dids_impact_options;
void ll_dids_impact_options_init(ll_dids_impact_options *options);

/** FIM-guided impact, out (nd×nt, float64). Errors: non-finite input, negative F. */
int32_t ll_dids_impact_f64(const double *domains, int64_t nd, const double *tasks, int64_t nt, const double *fisher,
                           int64_t p, const ll_dids_impact_options *options, double *out, char *err, int64_t err_len);
/** float32 variant of ll_dids_impact_f64 (accumulated and returned in double). */
int32_t ll_dids_impact_f32(const float *domains, int64_t nd, const float *tasks, int64_t nt, const float *fisher,
                           int64_t p, const ll_dids_impact_options *options, double *out, char *err, int64_t err_len);

/** How a fit of ll_dids_fit_exponential_decay_f64 ended. */
typedef enum ll_dids_decay_status {
  LL_DIDS_DECAY_CONVERGED = 0,
  LL_DIDS_DECAY_MAX_EVALUATIONS = 1,  /**< evaluation budget spent; best point returned */
  LL_DIDS_DECAY_TOO_FEW_POINTS = 2    /**< fewer than 3 points: params NaN */
} ll_dids_decay_status;

typedef struct ll_dids_fit_exponential_decay_options {
  int64_t max_evaluations;  /**< >= 1; default 2000 */
} ll_dids_fit_exponential_decay_options;
void ll_dids_fit_exponential_decay_options_init(ll_dids_fit_exponential_decay_options *options);

/**
 * DIDS eq. (14): fits y = a·exp(−b·t) + c by Levenberg–Marquardt from `guess` (3 values or NULL for
 * (1,1,1)) and from a grid over b; optional box `lower`/`upper` (3 values each or NULL). Writes
 * params (a,b,c), half the residual sum of squares, the evaluations and `fit_status`.
 * Errors only for invalid arguments (non-finite t or y).
 */
int32_t ll_dids_fit_exponential_decay_f64(const double *t, const double *y, int64_t n, const double *guess,
                                          const double *lower, const double *upper,
                                          const ll_dids_fit_exponential_decay_options *options, double *params,
                                          double *cost, int64_t *evaluations, ll_dids_decay_status *fit_status,
                                          char *err, int64_t err_len);

/** The learning potential of ll_dids_potential_f64. */
typedef enum ll_dids_potential_variant {
  LL_DIDS_POTENTIAL_PAPER = 0,   /**< DIDS eq. (15): y_last − L(t_last + tau) for the eq. (14) fit L */
  LL_DIDS_POTENTIAL_AUTHORS = 1  /**< the authors' code: fit over indices, predict at n + tau, 1 with < 5 points */
} ll_dids_potential_variant;

typedef struct ll_dids_potential_options {
  ll_dids_potential_variant variant;  /**< default LL_DIDS_POTENTIAL_PAPER */
  double tau;                         /**< horizon; default 1 */
} ll_dids_potential_options;
void ll_dids_potential_options_init(ll_dids_potential_options *options);

/** DIDS eq. (15): the learning potential of the loss history (t, y) of length n; 0 when no fit. */
int32_t ll_dids_potential_f64(const double *t, const double *y, int64_t n, const ll_dids_potential_options *options,
                              double *out, char *err, int64_t err_len);

/** How ll_dids_update turns utilities into probabilities. */
typedef enum ll_dids_normalization {
  LL_DIDS_SOFTMAX = 0,  /**< p̂ = softmax(U / temperature) (DIDS appendix C) */
  LL_DIDS_LINEAR = 1    /**< the authors' code: p̂ ∝ max(U, 1e-7) */
} ll_dids_normalization;

/** How ll_dids_update normalises each task column of the impact. */
typedef enum ll_dids_impact_normalization {
  LL_DIDS_MAX_GAP = 0,    /**< the authors' code: (max_k I_kj − I_ij) / Σ_k (max_k I_kj − I_kj) */
  LL_DIDS_SUM = 1,        /**< I_ij / Σ_k |I_kj| */
  LL_DIDS_UNNORMALIZED = 2 /**< the impact as given */
} ll_dids_impact_normalization;

typedef struct ll_dids_update_options {
  double beta;                                       /**< in [0, 1); default 0.1 */
  ll_dids_normalization normalization;               /**< default LL_DIDS_SOFTMAX */
  ll_dids_impact_normalization impact_normalization; /**< default LL_DIDS_MAX_GAP */
  double temperature;                                /**< > 0; default 1 */
} ll_dids_update_options;
void ll_dids_update_options_init(ll_dids_update_options *options);

/**
 * DIDS eqs. (13)–(16): normalises the nd×nt `impact`, U_i = Σ_j Ĩ_ij (improvement_j + potential_j)
 * / previous_i, p̂ from U, then p = beta·previous + (1 − beta)·p̂, renormalised. Writes p (nd), U (nd)
 * and Ĩ (nd×nt). Errors: previous not positive, non-finite inputs, beta outside [0, 1), temperature <= 0.
 */
int32_t ll_dids_update_f64(const double *impact, int64_t nd, int64_t nt, const double *improvement,
                           const double *potential, const double *previous, const ll_dids_update_options *options,
                           double *probabilities, double *utilities, double *normalized_impact,
                           char *err, int64_t err_len);

/* ---- POLCA -------------------------------------------------------------------------------- */

/** The Taylor order of the allocation. */
typedef enum ll_polca_order {
  LL_POLCA_FIRST_ORDER = 1,
  LL_POLCA_SECOND_ORDER = 2
} ll_polca_order;

/** The layout of ll_polca_allocate's `curvatures`. */
typedef enum ll_polca_curvature {
  LL_POLCA_CURVATURE_SUMMED = 0,     /**< T×m, b^T H_t(X) b of the summed loss, shared by eq. (6) */
  LL_POLCA_CURVATURE_PER_SAMPLE = 1  /**< T×n×m, b^T H_t(x) b per sample, used directly by eq. (5) */
} ll_polca_curvature;

typedef struct ll_polca_allocate_options {
  ll_polca_order order;          /**< default LL_POLCA_SECOND_ORDER */
  double share_tol;              /**< >= 0: eq. (6) share falls back to 1/n when |Σ dp| <= share_tol Σ |dp|; default 1e-6 */
  ll_polca_curvature curvature;  /**< default LL_POLCA_CURVATURE_SUMMED */
  int32_t n_threads;             /**< default 0 */
} ll_polca_allocate_options;
void ll_polca_allocate_options_init(ll_polca_allocate_options *options);

/**
 * Projection Oriented Loss Change Allocation (Kangaslahti et al., eqs. 4-10) for T steps, n samples
 * and m basis directions. Inputs: `grads` ((T+1)×n×m, <b, grad loss(x; theta_t)>), `steps` (T×m,
 * <b, theta_{t+1} - theta_t>), `curvatures` (layout per options->curvature). Outputs: `allocation`
 * and `first_order` (T×n×m), `projected_loss` ((T+1)×n×m, eq. 10), `guarded` (T×m, 1 where the
 * fallback was used).
 */
int32_t ll_polca_allocate_f64(const double *grads, const double *steps, const double *curvatures,
                              int64_t checkpoints, int64_t samples, int64_t directions,
                              const ll_polca_allocate_options *options, double *allocation, double *first_order,
                              double *projected_loss, uint8_t *guarded, char *err, int64_t err_len);

/* ---- DictionaryLearning ------------------------------------------------------------------- */

/** The set every atom (row of the dictionary) is projected onto. */
typedef enum ll_dl_constraint {
  LL_DL_UNIT_NORM = 0,  /**< ||v|| <= 1 (and v >= 0 with positive_dict) */
  LL_DL_SIMPLEX = 1     /**< the probability simplex (LDD eq. (11)) */
} ll_dl_constraint;

typedef struct ll_dl_fit_options {
  double alpha;                /**< l1 penalty >= 0; default 1 */
  double tol;                  /**< >= 0, relative cost decrease; default 1e-8 */
  int64_t max_iter;            /**< >= 0; default 1000 */
  int64_t code_max_iter;       /**< Lasso sweeps per iteration, >= 0; default 1000 */
  double code_tol;             /**< Lasso tolerance (scikit-learn's); default 1e-8 */
  ll_dl_constraint constraint; /**< default LL_DL_UNIT_NORM */
  int32_t positive_code;       /**< 0/1; default 0 */
  int32_t positive_dict;       /**< 0/1; default 0 */
  uint64_t seed;               /**< redraws of unused atoms; default 0 */
  int32_t n_threads;           /**< default 0 */
} ll_dl_fit_options;
void ll_dl_fit_options_init(ll_dl_fit_options *options);

/**
 * Sparse dictionary learning: up to max_iter iterations of alternating minimisation of
 * 0.5 ||X - U V||_F^2 + alpha ||U||_{1,1} over the code U (n x k, `code`) and the dictionary V
 * (k x p, `dictionary`), both read as the starting point and overwritten. Each iteration codes every
 * sample by coordinate-descent Lasso on the Gram matrix, sweeps the atoms once (block coordinate
 * descent, each atom projected onto the constraint), then writes the cost to `errors[i]`. Stops when
 * the cost decreased by less than tol times the cost (`previous_cost` is the cost before this call,
 * NaN if none). Atoms with usage <= 1e-6 are redrawn from a random sample. Outputs `*n_iter`
 * (iterations run, the length written to `errors`, which must hold max_iter values) and
 * `*converged` (0/1).
 * Extrapolation (NULL `extrapolation_state`: none): each iteration also codes the extrapolated
 * dictionary P(W + beta (W - W_prev)) after the sweep W and keeps the cheaper, so `errors` then holds
 * the kept point's cost with its own code. `extrapolation_state` holds 3 + n*k doubles (start:
 * 0.5, 1, 0, then anything) and `previous_sweep` k x p values of X's type; both carry the state
 * from one call to the next. `data_gram` (n x n, may be NULL) is X X^T when the caller has it.
 * Errors: empty X, non-finite inputs, alpha < 0, tol < 0, max_iter < 0, bad constraint.
 */
int32_t ll_dl_fit_f64(const double *x, int64_t n, int64_t p, int64_t k, const double *data_gram,
                      const ll_dl_fit_options *options, double previous_cost, double *dictionary, double *code,
                      double *extrapolation_state, double *previous_sweep, double *errors, int64_t *n_iter,
                      int32_t *converged, char *err, int64_t err_len);
/** float32 variant of ll_dl_fit_f64 (costs and small statistics in double). */
int32_t ll_dl_fit_f32(const float *x, int64_t n, int64_t p, int64_t k, const double *data_gram,
                      const ll_dl_fit_options *options, double previous_cost, float *dictionary, float *code,
                      double *extrapolation_state, float *previous_sweep, double *errors, int64_t *n_iter,
                      int32_t *converged, char *err, int64_t err_len);

/** Options of the Lasso coders ll_dl_encode_lasso_* and ll_dl_encode_gram_f64. */
typedef struct ll_dl_encode_options {
  double alpha;       /**< l1 penalty >= 0; default 1 */
  int32_t positive;   /**< 0/1: codes >= 0; default 0 */
  int64_t max_iter;   /**< coordinate-descent sweeps, >= 0; default 1000 */
  double tol;         /**< duality-gap tolerance, times ||x||^2; default 1e-8 */
  int32_t n_threads;  /**< default 0 */
} ll_dl_encode_options;
void ll_dl_encode_options_init(ll_dl_encode_options *options);

/**
 * Lasso codes of every row of X (n x p) against `dictionary` (k x p):
 * min_u 0.5 ||x - V^T u||^2 + alpha ||u||_1, coordinate descent on the Gram matrix. `code` (n x k)
 * holds the warm start on entry (zeros for none) and the codes on exit.
 */
int32_t ll_dl_encode_lasso_f64(const double *x, int64_t n, int64_t p, const double *dictionary, int64_t k,
                               const ll_dl_encode_options *options, double *code, char *err, int64_t err_len);
/** float32 variant of ll_dl_encode_lasso_f64. */
int32_t ll_dl_encode_lasso_f32(const float *x, int64_t n, int64_t p, const float *dictionary, int64_t k,
                               const ll_dl_encode_options *options, float *code, char *err, int64_t err_len);

/* ---- DictionaryLearning blocks (distributed fits) -------------------------------------------
 * float64 only, without float32 twins: the blocks exchange sums between processes, which the
 * distributed fit accumulates in float64 whatever X's type. */

/**
 * Lasso codes from statistics only: gram (k x k) = V V^T, cross (n x k) = X V^T, squared_norms (n)
 * = ||x_i||^2; same iteration as ll_dl_encode_lasso_f64. `code` (n x k): warm start in, codes out.
 */
int32_t ll_dl_encode_gram_f64(const double *gram, const double *cross, const double *squared_norms, int64_t n,
                              int64_t k, const ll_dl_encode_options *options, double *code,
                              char *err, int64_t err_len);
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

/* ---- Sparse k-means (CSR input; issue 19) -------------------------------------------------------
 * X is n_rows x n_cols in CSR form: row i's stored values data[indptr[i] .. indptr[i+1]) at columns
 * indices[...]; indptr has n_rows + 1 entries from 0 to nnz. Distances to the dense centres are
 * row-wise sparse dot products (scikit-learn's sparse Lloyd/Elkan kernels). The options are those
 * of the dense ll_kmeans_fit / ll_kmeans_assign. */

/**
 * k-means on the CSR matrix from the k x n_cols `centers` (overwritten with the result), with
 * ll_kmeans_fit's stopping rules; writes the n_rows labels, the inertia and the iteration count.
 * Errors: as ll_kmeans_fit, and an inconsistent CSR structure (indptr not from 0 to nnz or
 * decreasing, a column index outside [0, n_cols)).
 */
int32_t ll_kmeans_sparse_fit_f64(const double *data, const int32_t *indices, const int64_t *indptr, int64_t n_rows,
                                 int64_t n_cols, int64_t nnz, const double *weights, double *centers, int64_t k,
                                 const ll_kmeans_fit_options *options, int32_t *labels, double *inertia,
                                 int64_t *n_iter, char *err, int64_t err_len);
/** float32 variant of ll_kmeans_sparse_fit_f64 (inertia accumulated in double). */
int32_t ll_kmeans_sparse_fit_f32(const float *data, const int32_t *indices, const int64_t *indptr, int64_t n_rows,
                                 int64_t n_cols, int64_t nnz, const float *weights, float *centers, int64_t k,
                                 const ll_kmeans_fit_options *options, int32_t *labels, double *inertia,
                                 int64_t *n_iter, char *err, int64_t err_len);

/** Nearest of the k centres for each CSR row (`labels`) and the weighted inertia (predict / score). */
int32_t ll_kmeans_sparse_assign_f64(const double *data, const int32_t *indices, const int64_t *indptr,
                                    int64_t n_rows, int64_t n_cols, int64_t nnz, const double *weights,
                                    const double *centers, int64_t k, const ll_kmeans_assign_options *options,
                                    int32_t *labels, double *inertia, char *err, int64_t err_len);
/** float32 variant of ll_kmeans_sparse_assign_f64. */
int32_t ll_kmeans_sparse_assign_f32(const float *data, const int32_t *indices, const int64_t *indptr,
                                    int64_t n_rows, int64_t n_cols, int64_t nnz, const float *weights,
                                    const float *centers, int64_t k, const ll_kmeans_assign_options *options,
                                    int32_t *labels, double *inertia, char *err, int64_t err_len);

#ifdef __cplusplus
}
#endif
#endif /* LOSSLENS_H */
