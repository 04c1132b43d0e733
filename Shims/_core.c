/*
 * losslens._core — the CPython extension over the Swift core (see include/losslens.h).
 *
 * It takes NumPy arrays that the Python layer has already validated and made C-contiguous, passes
 * their data pointers to Swift without copying, allocates every output with NumPy, releases the
 * GIL while Swift runs and turns status codes into exceptions. Method groups live in core_*.c.
 */
#define LL_CORE_MAIN
#include "_core.h"

#include <pthread.h>
#include <string.h>
#include <signal.h>

/* ---- Ctrl-C while Swift runs ----------------------------------------------------------------
 * Python runs its SIGINT handler only when the interpreter regains control, which a long Swift
 * computation never gives it. While any native call runs, our handler requests cancellation from
 * the library (which polls the flag between iterations) and chains to the previous handler, so
 * Python still sees the signal. Installed by the first concurrent call, restored by the last. */
static pthread_mutex_t interrupt_lock = PTHREAD_MUTEX_INITIALIZER;
static int interrupt_depth = 0;
static int interrupt_installed = 0;
static struct sigaction interrupt_previous;

static void interrupt_handler(int signum) {
  ll_request_cancel();
  if (!(interrupt_previous.sa_flags & SA_SIGINFO) && interrupt_previous.sa_handler != SIG_IGN &&
      interrupt_previous.sa_handler != SIG_DFL && interrupt_previous.sa_handler != NULL)
    interrupt_previous.sa_handler(signum);
}

void ll_interrupts_begin(void) {
  pthread_mutex_lock(&interrupt_lock);
  if (interrupt_depth++ == 0) {
    struct sigaction current;
    interrupt_installed = 0;
    /* Only replace a handler Python installed: never override SIG_IGN, SIG_DFL or a siginfo handler. */
    if (sigaction(SIGINT, NULL, &current) == 0 && !(current.sa_flags & SA_SIGINFO) &&
        current.sa_handler != SIG_IGN && current.sa_handler != SIG_DFL) {
      struct sigaction ours;
      memset(&ours, 0, sizeof ours);
      ours.sa_handler = interrupt_handler;
      sigemptyset(&ours.sa_mask);
      interrupt_previous = current;
      interrupt_installed = sigaction(SIGINT, &ours, NULL) == 0;
    }
  }
  pthread_mutex_unlock(&interrupt_lock);
}

void ll_interrupts_end(void) {
  pthread_mutex_lock(&interrupt_lock);
  if (--interrupt_depth == 0 && interrupt_installed) {
    sigaction(SIGINT, &interrupt_previous, NULL);
    interrupt_installed = 0;
  }
  pthread_mutex_unlock(&interrupt_lock);
}

PyArrayObject *ll_array(PyObject *obj, const char *name, int typenum, int min_ndim, int max_ndim) {
  if (!PyArray_Check(obj)) {
    PyErr_Format(PyExc_TypeError, "%s must be a numpy.ndarray, got %s", name, Py_TYPE(obj)->tp_name);
    return NULL;
  }
  PyArrayObject *arr = (PyArrayObject *)obj;
  int actual = PyArray_TYPE(arr);
  if (typenum == LL_REAL ? actual != NPY_FLOAT64 && actual != NPY_FLOAT32 : actual != typenum) {
    PyArray_Descr *want = typenum == LL_REAL ? NULL : PyArray_DescrFromType(typenum);
    PyErr_Format(PyExc_TypeError, "%s must have dtype %s", name,
                 want ? want->typeobj->tp_name : "float64 or float32");
    Py_XDECREF(want);
    return NULL;
  }
  if (!PyArray_ISNBO(PyArray_DESCR(arr)->byteorder)) {
    PyErr_Format(PyExc_TypeError, "%s must be in native byte order", name);
    return NULL;
  }
  if (!PyArray_IS_C_CONTIGUOUS(arr) || !PyArray_ISALIGNED(arr)) {
    PyErr_Format(PyExc_TypeError, "%s must be C-contiguous and aligned", name);
    return NULL;
  }
  int ndim = PyArray_NDIM(arr);
  if (ndim < min_ndim || ndim > max_ndim) {
    PyErr_Format(PyExc_ValueError, "%s must have %d to %d dimensions, got %d", name, min_ndim, max_ndim, ndim);
    return NULL;
  }
  return arr;
}

_Static_assert(sizeof(ll_kmeans_algorithm) == sizeof(int), "losslens.h enums must be int-sized");
_Static_assert(sizeof(long long) == sizeof(int64_t), "PyArg \"L\" fills int64_t option fields");

int ll_enum_converter(PyObject *obj, void *out) {
  long value = PyLong_AsLong(obj);
  if (value == -1 && PyErr_Occurred()) return 0;
  if (value < 0 || value > 255) {
    PyErr_Format(PyExc_ValueError, "mode code must be in [0, 255], got %ld", value);
    return 0;
  }
  int code = (int)value;
  memcpy(out, &code, sizeof code);
  return 1;
}

PyObject *ll_finish(int status, const char *err, PyObject *result) {
  if (status == LL_OK) return result;
  Py_XDECREF(result);
  return ll_raise_status(status, err);
}

PyArrayObject *ll_new_array(int ndim, const npy_intp *dims, int typenum) {
  return (PyArrayObject *)PyArray_EMPTY(ndim, (npy_intp *)dims, typenum, 0);
}

PyObject *ll_raise_status(int status, const char *message) {
  if (status == LL_ECANCELLED) {
    /* Let Python's SIGINT handler run (it raises KeyboardInterrupt unless the user replaced it). */
    if (PyErr_CheckSignals() < 0) return NULL;
  }
  PyObject *type;
  switch (status) {
    case LL_EINVAL: type = PyExc_ValueError; break;
    case LL_ETYPE: type = PyExc_TypeError; break;
    case LL_ENOMEM: type = PyExc_MemoryError; break;
    case LL_ECANCELLED: type = PyExc_KeyboardInterrupt; break;
    default: type = PyExc_RuntimeError; break;
  }
  PyErr_SetString(type, message[0] ? message : "losslens: unknown error");
  return NULL;
}

int ll_parse_threads(PyObject *obj, int32_t *out) {
  if (obj == NULL || obj == Py_None) {
    *out = 0;
    return 0;
  }
  long value = PyLong_AsLong(obj);
  if (value == -1 && PyErr_Occurred()) return -1;
  if (value < -1024 || value > 1024) {
    PyErr_SetString(PyExc_ValueError, "n_jobs must be an integer in [-1024, 1024]");
    return -1;
  }
  *out = (int32_t)value;
  return 0;
}

/* ---- Library-level functions ------------------------------------------------------------- */

static PyObject *py_abi_version(PyObject *self, PyObject *unused) { return PyLong_FromLong(ll_abi_version()); }

static PyObject *py_version(PyObject *self, PyObject *unused) {
  char buf[64];
  ll_version(buf, sizeof buf);
  return PyUnicode_FromString(buf);
}

static PyObject *py_blas_config(PyObject *self, PyObject *unused) {
  char buf[512];
  ll_blas_config(buf, sizeof buf);
  return PyUnicode_FromString(buf);
}

static PyObject *py_set_num_threads(PyObject *self, PyObject *arg) {
  long n = PyLong_AsLong(arg);
  if (n == -1 && PyErr_Occurred()) return NULL;
  if (n < 0 || n > 1024) {
    PyErr_SetString(PyExc_ValueError, "n_threads must be an integer in [0, 1024] (0: every CPU)");
    return NULL;
  }
  ll_set_num_threads((int32_t)n);
  Py_RETURN_NONE;
}

static PyObject *py_get_num_threads(PyObject *self, PyObject *unused) { return PyLong_FromLong(ll_get_num_threads()); }

static PyObject *py_blas_num_threads(PyObject *self, PyObject *unused) { return PyLong_FromLong(ll_blas_num_threads()); }

static PyObject *py_debug_address(PyObject *self, PyObject *arg) {
  PyArrayObject *arr = ll_array(arg, "X", LL_REAL, 0, NPY_MAXDIMS);
  if (arr == NULL) return NULL;
  return PyLong_FromUnsignedLongLong(ll_debug_address(PyArray_DATA(arr)));
}

static PyObject *py_debug_spin(PyObject *self, PyObject *arg) {
  double seconds = PyFloat_AsDouble(arg);
  if (seconds == -1.0 && PyErr_Occurred()) return NULL;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_debug_spin(seconds, err, sizeof err));
  if (status != LL_OK) return ll_raise_status(status, err);
  Py_RETURN_NONE;
}

static PyMethodDef core_methods[] = {
    {"abi_version", py_abi_version, METH_NOARGS, "ABI version of the Swift library."},
    {"version", py_version, METH_NOARGS, "Version of the Swift library."},
    {"blas_config", py_blas_config, METH_NOARGS, "OpenBLAS configuration seen by the Swift library."},
    {"set_num_threads", py_set_num_threads, METH_O, "Set the thread budget of the Swift core and OpenBLAS."},
    {"get_num_threads", py_get_num_threads, METH_NOARGS, "Thread budget of the Swift core."},
    {"blas_num_threads", py_blas_num_threads, METH_NOARGS, "Threads OpenBLAS uses."},
    {"debug_address", py_debug_address, METH_O, "Address Swift receives for an array's data."},
    {"debug_spin", py_debug_spin, METH_O, "Spin in Swift for the given CPU seconds (GIL released)."},
    {"project_simplex", (PyCFunction)(void (*)(void))ll_py_project_simplex, METH_VARARGS | METH_KEYWORDS,
     "project_simplex(X, axis, radius, n_threads) -> new array; X C-contiguous float64/float32, 2-D."},
    {"kmeans_fit", (PyCFunction)(void (*)(void))ll_py_kmeans_fit, METH_VARARGS | METH_KEYWORDS,
     "kmeans_fit(X, sample_weight, centers, algorithm, max_iter, tol, n_threads) -> (labels, inertia, n_iter);"
     " centers (k, d) is overwritten with the result."},
    {"kmeans_plusplus", (PyCFunction)(void (*)(void))ll_py_kmeans_plusplus, METH_VARARGS | METH_KEYWORDS,
     "kmeans_plusplus(X, sample_weight, n_clusters, n_local_trials, seed, n_threads) -> (centers, indices)."},
    {"kmeans_assign", (PyCFunction)(void (*)(void))ll_py_kmeans_assign, METH_VARARGS | METH_KEYWORDS,
     "kmeans_assign(X, sample_weight, centers, n_threads) -> (labels, inertia)."},
    {"kmeans_sparse_fit", (PyCFunction)(void (*)(void))ll_py_kmeans_sparse_fit, METH_VARARGS | METH_KEYWORDS,
     "kmeans_sparse_fit(data, indices, indptr, n_cols, sample_weight, centers, algorithm, max_iter, tol, n_threads)"
     " -> (labels, inertia, n_iter); CSR X, centers overwritten."},
    {"kmeans_sparse_assign", (PyCFunction)(void (*)(void))ll_py_kmeans_sparse_assign, METH_VARARGS | METH_KEYWORDS,
     "kmeans_sparse_assign(data, indices, indptr, n_cols, sample_weight, centers, n_threads) -> (labels, inertia)."},
    {"hdbscan_mst", (PyCFunction)(void (*)(void))ll_py_hdbscan_mst, METH_VARARGS | METH_KEYWORDS,
     "hdbscan_mst(X, metric, p, min_samples, alpha, algorithm, n_threads) -> (core_distances, mst in Prim order)."},
    {"hdbscan_condense", (PyCFunction)(void (*)(void))ll_py_hdbscan_condense, METH_VARARGS | METH_KEYWORDS,
     "hdbscan_condense(mst, min_cluster_size) -> (linkage, (parent, child, lambda_val, child_size)); mst sorted by weight."},
    {"hdbscan_select", (PyCFunction)(void (*)(void))ll_py_hdbscan_select, METH_VARARGS | METH_KEYWORDS,
     "hdbscan_select(parent, child, lambda_val, child_size, n_points, eom, epsilon, max_cluster_size, "
     "allow_single_cluster, n_threads=None) -> (labels, probabilities, outlier_scores, persistence, selected)."},
    {"lanczos_operator", (PyCFunction)(void (*)(void))ll_py_lanczos_operator, METH_VARARGS | METH_KEYWORDS,
     "lanczos_operator(operator, n, k, which, tol, max_restarts, ncv, seed, v0=None, deflate=None)"
     " -> (values, vectors, residuals, info); operator(x) called with the GIL held between Swift steps."},
    {"lanczos_dense", (PyCFunction)(void (*)(void))ll_py_lanczos_dense, METH_VARARGS | METH_KEYWORDS,
     "lanczos_dense(A, k, which, tol, max_restarts, ncv, seed, v0=None, deflate=None)"
     " -> (values, vectors, residuals, info); whole run in Swift with the GIL released."},
    {"dids_sketch", (PyCFunction)(void (*)(void))ll_py_dids_sketch, METH_VARARGS | METH_KEYWORDS,
     "dids_sketch(X, n_components, kind, seed, topk, column_scale, n_threads) -> (m, n_components) sketch."},
    {"dids_projection_column_norms", (PyCFunction)(void (*)(void))ll_py_dids_projection_column_norms, METH_VARARGS | METH_KEYWORDS,
     "dids_projection_column_norms(n_features, n_components, kind, seed, n_threads) -> norms."},
    {"dids_fisher_diagonal", (PyCFunction)(void (*)(void))ll_py_dids_fisher_diagonal, METH_VARARGS | METH_KEYWORDS,
     "dids_fisher_diagonal(G, eps, n_threads) -> mean of squared rows + eps."},
    {"dids_impact", (PyCFunction)(void (*)(void))ll_py_dids_impact, METH_VARARGS | METH_KEYWORDS,
     "dids_impact(domain_grads, task_grads, fisher_diag, kind, n_threads) -> (n_domains, n_tasks)."},
    {"dids_fit_exponential_decay", (PyCFunction)(void (*)(void))ll_py_dids_fit_exponential_decay, METH_VARARGS | METH_KEYWORDS,
     "dids_fit_exponential_decay(t, y, p0, lower, upper, max_evaluations) -> (params, cost, evaluations, status)."},
    {"dids_potential", (PyCFunction)(void (*)(void))ll_py_dids_potential, METH_VARARGS | METH_KEYWORDS,
     "dids_potential(t, y, tau, authors_code) -> float."},
    {"dids_update", (PyCFunction)(void (*)(void))ll_py_dids_update, METH_VARARGS | METH_KEYWORDS,
     "dids_update(impact, improvement, potential, previous, beta, normalization, impact_normalization, temperature) -> (p, utilities, normalized_impact)."},
    {"polca_allocate", (PyCFunction)(void (*)(void))ll_py_polca_allocate, METH_VARARGS | METH_KEYWORDS,
     "polca_allocate(grads, steps, curvatures, order, share_tol, n_threads)"
     " -> (allocation, first_order, projected_loss, guarded)."},
    {"dict_learning", (PyCFunction)(void (*)(void))ll_py_dict_learning, METH_VARARGS | METH_KEYWORDS,
     "dict_learning(X, dictionary, code, errors, alpha, tol, max_iter, code_max_iter, code_tol, constraint, "
     "positive_code, positive_dict, seed, previous_cost, n_threads, extrapolation_state=None, previous_sweep=None, "
     "data_gram=None) "
     "-> (n_iter, converged); updates in place."},
    {"sparse_encode_lasso", (PyCFunction)(void (*)(void))ll_py_sparse_encode_lasso, METH_VARARGS | METH_KEYWORDS,
     "sparse_encode_lasso(X, dictionary, code, alpha, positive, max_iter, tol, n_threads); code updated in place."},
    {"dl_encode_gram", (PyCFunction)(void (*)(void))ll_py_dl_encode_gram, METH_VARARGS | METH_KEYWORDS,
     "dl_encode_gram(gram, cross, squared_norms, code, alpha, positive, max_iter, tol, n_threads);"
     " Lasso codes from V V^T, X V^T and ||x_i||^2, code updated in place."},
    {"dl_block_products", (PyCFunction)(void (*)(void))ll_py_dl_block_products, METH_VARARGS | METH_KEYWORDS,
     "dl_block_products(X, dictionary) -> (X V^T, V V^T) of one column block."},
    {"dl_block_target", (PyCFunction)(void (*)(void))ll_py_dl_block_target, METH_VARARGS | METH_KEYWORDS,
     "dl_block_target(code, X) -> code^T X of one column block."},
    {"dl_block_atom", (PyCFunction)(void (*)(void))ll_py_dl_block_atom, METH_VARARGS | METH_KEYWORDS,
     "dl_block_atom(dictionary, target, usage, atom) -> (w, max(w), sum(w)): one block of an unprojected atom."},
    {"simplex_block_sums", (PyCFunction)(void (*)(void))ll_py_simplex_block_sums, METH_VARARGS | METH_KEYWORDS,
     "simplex_block_sums(y, shift, thresholds) -> (counts, sums) of y - shift above each threshold."},
    {"xoshiro_seed", (PyCFunction)(void (*)(void))ll_py_xoshiro_seed, METH_VARARGS | METH_KEYWORDS,
     "xoshiro_seed(seed) -> uint64 state (4,) of the library's generator."},
    {"xoshiro_next", (PyCFunction)(void (*)(void))ll_py_xoshiro_next, METH_VARARGS | METH_KEYWORDS,
     "xoshiro_next(state) -> next 64 bits; state advanced in place."},
    {"xoshiro_gaussians", (PyCFunction)(void (*)(void))ll_py_xoshiro_gaussians, METH_VARARGS | METH_KEYWORDS,
     "xoshiro_gaussians(state, count) -> count normal deviates; state advanced in place."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef core_module = {PyModuleDef_HEAD_INIT, "_core",
                                         "Native core of losslens (Swift, via a C ABI).", -1, core_methods};

PyMODINIT_FUNC PyInit__core(void) {
  import_array();
  if (ll_abi_version() != LL_ABI_VERSION) {
    PyErr_Format(PyExc_ImportError, "losslens: Swift library ABI %d does not match the extension's %d",
                 (int)ll_abi_version(), LL_ABI_VERSION);
    return NULL;
  }
  PyObject *module = PyModule_Create(&core_module);
  if (module == NULL) return NULL;
  if (PyModule_AddIntConstant(module, "ABI_VERSION", LL_ABI_VERSION) < 0 || ll_add_constants(module) < 0) {
    Py_DECREF(module);
    return NULL;
  }
  return module;
}
