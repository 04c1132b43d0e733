/*
 * losslens._core: thick-restart Lanczos (see ll_lanczos_*_f64 in losslens.h).
 *
 * Boundary rules kept here: Swift never calls CPython and keeps no pointer to caller memory after a
 * call returns. For a Python operator the loop lives in C: each Swift step runs with the GIL
 * released and writes the next vector into a fresh NumPy array; the callable is then called with
 * the GIL held and its product is handed to the next step. The solver handle is owned by a
 * PyCapsule whose destructor frees it, so every exit path (including an exception raised by the
 * callable or a KeyboardInterrupt) releases the Swift state.
 */
#include "_core.h"

static const char *LANCZOS_CAPSULE = "losslens._core.lanczos";

static void lanczos_capsule_destructor(PyObject *capsule) {
  ll_lanczos *handle = PyCapsule_GetPointer(capsule, LANCZOS_CAPSULE);
  if (handle != NULL) ll_lanczos_destroy(handle);
}

/* The arguments both entry points share: k, the options and the optional start and deflation arrays. */
typedef struct {
  long long k;
  ll_lanczos_options options;
  const double *v0, *deflate;
  int64_t p;
} lanczos_args;

/* Checks the optional v0 (n) and deflate (p×n) arrays; fills args. Returns -1 with an exception set. */
static int lanczos_vectors(PyObject *v0_obj, PyObject *deflate_obj, int64_t n, lanczos_args *args) {
  args->v0 = NULL;
  args->deflate = NULL;
  args->p = 0;
  if (v0_obj != NULL && v0_obj != Py_None) {
    PyArrayObject *v0 = ll_array(v0_obj, "v0", NPY_FLOAT64, 1, 1);
    if (v0 == NULL) return -1;
    if (PyArray_DIM(v0, 0) != n) {
      PyErr_Format(PyExc_ValueError, "v0 must have length %lld, got %lld", (long long)n, (long long)PyArray_DIM(v0, 0));
      return -1;
    }
    args->v0 = PyArray_DATA(v0);
  }
  if (deflate_obj != NULL && deflate_obj != Py_None) {
    PyArrayObject *deflate = ll_array(deflate_obj, "deflate", NPY_FLOAT64, 2, 2);
    if (deflate == NULL) return -1;
    if (PyArray_DIM(deflate, 1) != n) {
      PyErr_Format(PyExc_ValueError, "deflate rows must have length %lld, got %lld", (long long)n,
                   (long long)PyArray_DIM(deflate, 1));
      return -1;
    }
    args->deflate = PyArray_DATA(deflate);
    args->p = PyArray_DIM(deflate, 0);
  }
  return 0;
}

/* The four result arrays: values (k), vectors (n×k), residuals (k), info (3, int64). */
typedef struct {
  PyArrayObject *values, *vectors, *residuals, *info;
} lanczos_outputs;

static int lanczos_outputs_new(lanczos_outputs *out, int64_t n, int64_t k) {
  npy_intp kd[1] = {k}, nk[2] = {n, k}, three[1] = {3};
  out->values = ll_new_array(1, kd, NPY_FLOAT64);
  out->vectors = ll_new_array(2, nk, NPY_FLOAT64);
  out->residuals = ll_new_array(1, kd, NPY_FLOAT64);
  out->info = ll_new_array(1, three, NPY_INT64);
  return out->values && out->vectors && out->residuals && out->info ? 0 : -1;
}

/* Returns the (values, vectors, residuals, info) tuple when status is LL_OK, else raises; drops the arrays. */
static PyObject *lanczos_outputs_finish(lanczos_outputs *out, int status, const char *err) {
  PyObject *result = status == LL_OK ? PyTuple_Pack(4, out->values, out->vectors, out->residuals, out->info)
                                     : ll_raise_status(status, err);
  Py_XDECREF(out->values);
  Py_XDECREF(out->vectors);
  Py_XDECREF(out->residuals);
  Py_XDECREF(out->info);
  return result;
}

/* Reads the finished solver into a tuple (values, vectors, residuals, info). */
static PyObject *lanczos_result_tuple(ll_lanczos *handle, int64_t n, int64_t k) {
  lanczos_outputs out;
  if (lanczos_outputs_new(&out, n, k) < 0) return lanczos_outputs_finish(&out, LL_ENOMEM, "out of memory");
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_lanczos_result_f64(handle, PyArray_DATA(out.values), PyArray_DATA(out.vectors),
                                              PyArray_DATA(out.residuals), PyArray_DATA(out.info), err, sizeof err));
  return lanczos_outputs_finish(&out, status, err);
}

PyObject *ll_py_lanczos_operator(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"operator", "n", "k", "which", "tol", "max_restarts", "ncv", "seed", "v0", "deflate", NULL};
  PyObject *op, *v0_obj = NULL, *deflate_obj = NULL;
  long long n;
  lanczos_args a;
  ll_lanczos_options_init(&a.options);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OLLO&dLLK|OO", keywords, &op, &n, &a.k, ll_enum_converter,
                                   &a.options.which, &a.options.tol, &a.options.max_restarts, &a.options.ncv,
                                   &a.options.seed, &v0_obj, &deflate_obj))
    return NULL;
  if (!PyCallable_Check(op)) {
    PyErr_SetString(PyExc_TypeError, "operator must be callable");
    return NULL;
  }
  if (lanczos_vectors(v0_obj, deflate_obj, n, &a) < 0) return NULL;

  char err[LL_ERR_LEN] = "";
  int status;
  ll_lanczos *handle = NULL;
  LL_CALL_NOGIL(status, ll_lanczos_create_f64(n, a.k, a.v0, a.deflate, a.p, &a.options, &handle, err, sizeof err));
  if (status != LL_OK) return ll_raise_status(status, err);
  PyObject *capsule = PyCapsule_New(handle, LANCZOS_CAPSULE, lanczos_capsule_destructor);
  if (capsule == NULL) {
    ll_lanczos_destroy(handle);
    return NULL;
  }

  PyObject *result = NULL, *product = NULL;
  npy_intp nd[1] = {(npy_intp)n};
  for (;;) {
    PyArrayObject *x = ll_new_array(1, nd, NPY_FLOAT64);
    if (x == NULL) goto exit;
    const double *y = product ? PyArray_DATA((PyArrayObject *)product) : NULL;
    int32_t need = 0;
    LL_CALL_NOGIL(status, ll_lanczos_step_f64(handle, y, PyArray_DATA(x), &need, err, sizeof err));
    Py_CLEAR(product);
    if (status != LL_OK || !need) {
      Py_DECREF(x);
      if (status != LL_OK) ll_raise_status(status, err);
      else result = lanczos_result_tuple(handle, n, a.k);
      goto exit;
    }
    product = PyObject_CallOneArg(op, (PyObject *)x);
    Py_DECREF(x);
    if (product == NULL) goto exit;
    PyArrayObject *checked = ll_array(product, "operator(v)", NPY_FLOAT64, 1, 1);
    if (checked == NULL) goto exit;
    if (PyArray_DIM(checked, 0) != nd[0]) {
      PyErr_Format(PyExc_ValueError, "operator(v) must have length %lld, got %lld", n, (long long)PyArray_DIM(checked, 0));
      goto exit;
    }
  }
exit:
  Py_XDECREF(product);
  Py_DECREF(capsule);
  return result;
}

PyObject *ll_py_lanczos_dense(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"A", "k", "which", "tol", "max_restarts", "ncv", "seed", "v0", "deflate", NULL};
  PyObject *a_obj, *v0_obj = NULL, *deflate_obj = NULL;
  lanczos_args a;
  ll_lanczos_options_init(&a.options);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OLO&dLLK|OO", keywords, &a_obj, &a.k, ll_enum_converter,
                                   &a.options.which, &a.options.tol, &a.options.max_restarts, &a.options.ncv,
                                   &a.options.seed, &v0_obj, &deflate_obj))
    return NULL;
  PyArrayObject *matrix = ll_array(a_obj, "A", NPY_FLOAT64, 2, 2);
  if (matrix == NULL) return NULL;
  int64_t n = PyArray_DIM(matrix, 0);
  if (PyArray_DIM(matrix, 1) != n) {
    PyErr_SetString(PyExc_ValueError, "A must be square");
    return NULL;
  }
  if (lanczos_vectors(v0_obj, deflate_obj, n, &a) < 0) return NULL;
  if (a.k < 1 || a.k > n) {
    PyErr_Format(PyExc_ValueError, "k must be in [1, %lld], got %lld", (long long)n, (long long)a.k);
    return NULL;
  }
  lanczos_outputs out;
  if (lanczos_outputs_new(&out, n, a.k) < 0) return lanczos_outputs_finish(&out, LL_ENOMEM, "out of memory");
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_lanczos_dense_f64(PyArray_DATA(matrix), n, a.k, a.v0, a.deflate, a.p, &a.options,
                                             PyArray_DATA(out.values), PyArray_DATA(out.vectors),
                                             PyArray_DATA(out.residuals), PyArray_DATA(out.info), err, sizeof err));
  return lanczos_outputs_finish(&out, status, err);
}
