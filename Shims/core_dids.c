/* losslens._core: DIDS (gradient sketches, Fisher impact, loss-trajectory fits, domain weights). */
#include "_core.h"

/* An optional float64 vector of exactly `size` entries (None → NULL). 0 or -1 with an exception. */
static int optional_vector(PyObject *obj, const char *name, npy_intp size, const double **out) {
  *out = NULL;
  if (obj == NULL || obj == Py_None) return 0;
  PyArrayObject *arr = ll_typed_array(obj, name, NPY_FLOAT64, 1, 1);
  if (arr == NULL) return -1;
  if (PyArray_DIM(arr, 0) != size) {
    PyErr_Format(PyExc_ValueError, "%s must have %zd entries, got %zd", name, size, PyArray_DIM(arr, 0));
    return -1;
  }
  *out = PyArray_DATA(arr);
  return 0;
}

/* Raises for a failed status, dropping `result`; returns `result` otherwise. */
static PyObject *finish(int status, const char *err, PyObject *result) {
  if (status != LL_OK) {
    Py_XDECREF(result);
    return ll_raise_status(status, err);
  }
  return result;
}

PyObject *ll_py_dids_sketch(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"X", "n_components", "kind", "seed", "topk", "column_scale", "n_threads", NULL};
  PyObject *x_obj, *scale_obj = NULL, *threads_obj = NULL;
  long long components, topk;
  int kind;
  unsigned long long seed;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OLiKL|OO", keywords, &x_obj, &components, &kind, &seed, &topk,
                                   &scale_obj, &threads_obj))
    return NULL;
  PyArrayObject *x = ll_real_array(x_obj, "X", 2, 2, 1);
  int32_t threads;
  const double *scale;
  if (x == NULL || ll_parse_threads(threads_obj, &threads) < 0 ||
      optional_vector(scale_obj, "column_scale", (npy_intp)components, &scale) < 0)
    return NULL;
  if (components < 1) {
    PyErr_SetString(PyExc_ValueError, "n_components must be >= 1");
    return NULL;
  }
  npy_intp dims[2] = {PyArray_DIM(x, 0), (npy_intp)components};
  PyArrayObject *out = ll_new_array(2, dims, PyArray_TYPE(x));
  if (out == NULL) return NULL;
  char err[LL_ERR_LEN] = "";
  int status;
  int64_t m = PyArray_DIM(x, 0), h = PyArray_DIM(x, 1);
  if (PyArray_TYPE(x) == NPY_FLOAT64) {
    LL_CALL_NOGIL(status, ll_dids_sketch_f64(PyArray_DATA(x), m, h, components, kind, seed, topk, scale,
                                             PyArray_DATA(out), threads, err, sizeof err));
  } else {
    LL_CALL_NOGIL(status, ll_dids_sketch_f32(PyArray_DATA(x), m, h, components, kind, seed, topk, scale,
                                             PyArray_DATA(out), threads, err, sizeof err));
  }
  return finish(status, err, (PyObject *)out);
}

PyObject *ll_py_dids_projection_column_norms(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"n_features", "n_components", "kind", "seed", "n_threads", NULL};
  long long h, components;
  int kind;
  unsigned long long seed;
  PyObject *threads_obj = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "LLiK|O", keywords, &h, &components, &kind, &seed, &threads_obj))
    return NULL;
  int32_t threads;
  if (ll_parse_threads(threads_obj, &threads) < 0) return NULL;
  if (components < 1 || h < 1) {
    PyErr_SetString(PyExc_ValueError, "n_features and n_components must be >= 1");
    return NULL;
  }
  npy_intp dims[1] = {(npy_intp)components};
  PyArrayObject *out = ll_new_array(1, dims, NPY_FLOAT64);
  if (out == NULL) return NULL;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_dids_projection_column_norms(h, components, kind, seed, PyArray_DATA(out), threads, err,
                                                        sizeof err));
  return finish(status, err, (PyObject *)out);
}

PyObject *ll_py_dids_fisher_diagonal(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"G", "eps", "n_threads", NULL};
  PyObject *g_obj, *threads_obj = NULL;
  double eps = 0.0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|dO", keywords, &g_obj, &eps, &threads_obj)) return NULL;
  PyArrayObject *g = ll_real_array(g_obj, "per_sample_grads", 2, 2, 1);
  int32_t threads;
  if (g == NULL || ll_parse_threads(threads_obj, &threads) < 0) return NULL;
  npy_intp dims[1] = {PyArray_DIM(g, 1)};
  PyArrayObject *out = ll_new_array(1, dims, PyArray_TYPE(g));
  if (out == NULL) return NULL;
  char err[LL_ERR_LEN] = "";
  int status;
  int64_t n = PyArray_DIM(g, 0), p = PyArray_DIM(g, 1);
  if (PyArray_TYPE(g) == NPY_FLOAT64) {
    LL_CALL_NOGIL(status, ll_dids_fisher_diagonal_f64(PyArray_DATA(g), n, p, eps, PyArray_DATA(out), threads, err,
                                                      sizeof err));
  } else {
    LL_CALL_NOGIL(status, ll_dids_fisher_diagonal_f32(PyArray_DATA(g), n, p, eps, PyArray_DATA(out), threads, err,
                                                      sizeof err));
  }
  return finish(status, err, (PyObject *)out);
}

PyObject *ll_py_dids_impact(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"domain_grads", "task_grads", "fisher_diag", "kind", "n_threads", NULL};
  PyObject *d_obj, *t_obj, *f_obj, *threads_obj = NULL;
  int kind = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO|iO", keywords, &d_obj, &t_obj, &f_obj, &kind, &threads_obj))
    return NULL;
  PyArrayObject *d = ll_real_array(d_obj, "domain_grads", 2, 2, 1);
  if (d == NULL) return NULL;
  int typenum = PyArray_TYPE(d);
  PyArrayObject *t = ll_typed_array(t_obj, "task_grads", typenum, 2, 2);
  PyArrayObject *f = t == NULL ? NULL : ll_typed_array(f_obj, "fisher_diag", typenum, 1, 1);
  int32_t threads;
  if (f == NULL || ll_parse_threads(threads_obj, &threads) < 0) return NULL;
  npy_intp p = PyArray_DIM(d, 1);
  if (PyArray_DIM(t, 1) != p || PyArray_DIM(f, 0) != p) {
    PyErr_Format(PyExc_ValueError,
                 "domain_grads, task_grads and fisher_diag must have the same number of parameters, got %zd, %zd, %zd",
                 p, PyArray_DIM(t, 1), PyArray_DIM(f, 0));
    return NULL;
  }
  npy_intp dims[2] = {PyArray_DIM(d, 0), PyArray_DIM(t, 0)};
  PyArrayObject *out = ll_new_array(2, dims, NPY_FLOAT64);
  if (out == NULL) return NULL;
  char err[LL_ERR_LEN] = "";
  int status;
  if (typenum == NPY_FLOAT64) {
    LL_CALL_NOGIL(status, ll_dids_impact_f64(PyArray_DATA(d), dims[0], PyArray_DATA(t), dims[1], PyArray_DATA(f), p,
                                             kind, PyArray_DATA(out), threads, err, sizeof err));
  } else {
    LL_CALL_NOGIL(status, ll_dids_impact_f32(PyArray_DATA(d), dims[0], PyArray_DATA(t), dims[1], PyArray_DATA(f), p,
                                             kind, PyArray_DATA(out), threads, err, sizeof err));
  }
  return finish(status, err, (PyObject *)out);
}

/* t and y: float64 vectors of one length. */
static int history(PyObject *t_obj, PyObject *y_obj, PyArrayObject **t, PyArrayObject **y) {
  *t = ll_typed_array(t_obj, "t", NPY_FLOAT64, 1, 1);
  *y = *t == NULL ? NULL : ll_typed_array(y_obj, "y", NPY_FLOAT64, 1, 1);
  if (*y == NULL) return -1;
  if (PyArray_DIM(*t, 0) != PyArray_DIM(*y, 0)) {
    PyErr_SetString(PyExc_ValueError, "t and y must have the same length");
    return -1;
  }
  return 0;
}

PyObject *ll_py_dids_fit_exponential_decay(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"t", "y", "p0", "lower", "upper", "max_evaluations", NULL};
  PyObject *t_obj, *y_obj, *p0_obj = NULL, *lo_obj = NULL, *hi_obj = NULL;
  long long max_evaluations = 2000;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|OOOL", keywords, &t_obj, &y_obj, &p0_obj, &lo_obj, &hi_obj,
                                   &max_evaluations))
    return NULL;
  PyArrayObject *t, *y;
  const double *p0, *lo, *hi;
  if (history(t_obj, y_obj, &t, &y) < 0 || optional_vector(p0_obj, "p0", 3, &p0) < 0 ||
      optional_vector(lo_obj, "lower", 3, &lo) < 0 || optional_vector(hi_obj, "upper", 3, &hi) < 0)
    return NULL;
  npy_intp dims[1] = {3};
  PyArrayObject *params = ll_new_array(1, dims, NPY_FLOAT64);
  if (params == NULL) return NULL;
  double cost = 0.0;
  int64_t evaluations = 0;
  int32_t fit_status = 0;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_dids_fit_exponential_decay(PyArray_DATA(t), PyArray_DATA(y), PyArray_DIM(t, 0), p0, lo,
                                                      hi, max_evaluations, PyArray_DATA(params), &cost,
                                                      &evaluations, &fit_status, err, sizeof err));
  if (status != LL_OK) return finish(status, err, (PyObject *)params);
  return Py_BuildValue("(NdLi)", (PyObject *)params, cost, (long long)evaluations, (int)fit_status);
}

PyObject *ll_py_dids_potential(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"t", "y", "tau", "authors_code", NULL};
  PyObject *t_obj, *y_obj;
  double tau;
  int authors_code = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOd|p", keywords, &t_obj, &y_obj, &tau, &authors_code))
    return NULL;
  PyArrayObject *t, *y;
  if (history(t_obj, y_obj, &t, &y) < 0) return NULL;
  double value = 0.0;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_dids_potential(PyArray_DATA(t), PyArray_DATA(y), PyArray_DIM(t, 0), tau, authors_code,
                                          &value, err, sizeof err));
  if (status != LL_OK) return ll_raise_status(status, err);
  return PyFloat_FromDouble(value);
}

PyObject *ll_py_dids_update(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"impact", "improvement", "potential", "previous", "beta",
                             "normalization", "impact_normalization", "temperature", NULL};
  PyObject *i_obj, *lc_obj, *lp_obj, *prev_obj;
  double beta, temperature = 1.0;
  int normalization = 0, impact_normalization = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOd|iid", keywords, &i_obj, &lc_obj, &lp_obj, &prev_obj, &beta,
                                   &normalization, &impact_normalization, &temperature))
    return NULL;
  PyArrayObject *impact = ll_typed_array(i_obj, "impact", NPY_FLOAT64, 2, 2);
  if (impact == NULL) return NULL;
  npy_intp nd = PyArray_DIM(impact, 0), nt = PyArray_DIM(impact, 1);
  const double *lc, *lp, *prev;
  if (optional_vector(lc_obj, "improvement", nt, &lc) < 0 || optional_vector(lp_obj, "potential", nt, &lp) < 0 ||
      optional_vector(prev_obj, "previous", nd, &prev) < 0)
    return NULL;
  if (lc == NULL || lp == NULL || prev == NULL) {
    PyErr_SetString(PyExc_TypeError, "improvement, potential and previous are required");
    return NULL;
  }
  npy_intp pdims[1] = {nd};
  PyArrayObject *p = ll_new_array(1, pdims, NPY_FLOAT64), *u = ll_new_array(1, pdims, NPY_FLOAT64);
  PyArrayObject *ni = ll_new_array(2, PyArray_DIMS(impact), NPY_FLOAT64);
  if (p == NULL || u == NULL || ni == NULL) {
    Py_XDECREF(p);
    Py_XDECREF(u);
    Py_XDECREF(ni);
    return NULL;
  }
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_dids_update(PyArray_DATA(impact), nd, nt, lc, lp, prev, beta, normalization,
                                       impact_normalization, temperature, PyArray_DATA(p), PyArray_DATA(u),
                                       PyArray_DATA(ni), err, sizeof err));
  if (status != LL_OK) {
    Py_DECREF(p);
    Py_DECREF(u);
    Py_DECREF(ni);
    return ll_raise_status(status, err);
  }
  return Py_BuildValue("(NNN)", (PyObject *)p, (PyObject *)u, (PyObject *)ni);
}
