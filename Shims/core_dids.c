/* losslens._core: DIDS (gradient sketches, Fisher impact, loss-trajectory fits, domain weights). */
#include "_core.h"

/* An optional float64 vector of exactly `size` entries (None → NULL). 0 or -1 with an exception. */
static int optional_vector(PyObject *obj, const char *name, npy_intp size, const double **out) {
  *out = NULL;
  if (obj == NULL || obj == Py_None) return 0;
  PyArrayObject *arr = ll_array(obj, name, NPY_FLOAT64, 1, 1);
  if (arr == NULL) return -1;
  if (PyArray_DIM(arr, 0) != size) {
    PyErr_Format(PyExc_ValueError, "%s must have %zd entries, got %zd", name, size, PyArray_DIM(arr, 0));
    return -1;
  }
  *out = PyArray_DATA(arr);
  return 0;
}

PyObject *ll_py_dids_sketch(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"X", "n_components", "kind", "seed", "topk", "column_scale", "n_threads", NULL};
  PyObject *x_obj, *scale_obj = NULL, *threads_obj = NULL;
  long long components;
  ll_dids_sketch_options o;
  ll_dids_sketch_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OLO&KL|OO", keywords, &x_obj, &components, ll_enum_converter,
                                   &o.projection, &o.seed, &o.topk, &scale_obj, &threads_obj))
    return NULL;
  PyArrayObject *x = ll_array(x_obj, "X", LL_REAL, 2, 2);
  const double *scale;
  if (x == NULL || ll_parse_threads(threads_obj, &o.n_threads) < 0 ||
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
  LL_CALL_REAL(status, PyArray_TYPE(x), ll_dids_sketch, PyArray_DATA(x), dims[0], PyArray_DIM(x, 1), components,
               scale, &o, PyArray_DATA(out), err, sizeof err);
  return ll_finish(status, err, (PyObject *)out);
}

PyObject *ll_py_dids_projection_column_norms(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"n_features", "n_components", "kind", "seed", "n_threads", NULL};
  long long h, components;
  PyObject *threads_obj = NULL;
  ll_dids_sketch_options o;
  ll_dids_sketch_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "LLO&K|O", keywords, &h, &components, ll_enum_converter,
                                   &o.projection, &o.seed, &threads_obj))
    return NULL;
  if (ll_parse_threads(threads_obj, &o.n_threads) < 0) return NULL;
  if (components < 1 || h < 1) {
    PyErr_SetString(PyExc_ValueError, "n_features and n_components must be >= 1");
    return NULL;
  }
  npy_intp dims[1] = {(npy_intp)components};
  PyArrayObject *out = ll_new_array(1, dims, NPY_FLOAT64);
  if (out == NULL) return NULL;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_dids_projection_column_norms_f64(h, components, &o, PyArray_DATA(out), err, sizeof err));
  return ll_finish(status, err, (PyObject *)out);
}

PyObject *ll_py_dids_fisher_diagonal(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"G", "eps", "n_threads", NULL};
  PyObject *g_obj, *threads_obj = NULL;
  ll_dids_fisher_diagonal_options o;
  ll_dids_fisher_diagonal_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|dO", keywords, &g_obj, &o.eps, &threads_obj)) return NULL;
  PyArrayObject *g = ll_array(g_obj, "per_sample_grads", LL_REAL, 2, 2);
  if (g == NULL || ll_parse_threads(threads_obj, &o.n_threads) < 0) return NULL;
  npy_intp dims[1] = {PyArray_DIM(g, 1)};
  PyArrayObject *out = ll_new_array(1, dims, PyArray_TYPE(g));
  if (out == NULL) return NULL;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_REAL(status, PyArray_TYPE(g), ll_dids_fisher_diagonal, PyArray_DATA(g), PyArray_DIM(g, 0), dims[0], &o,
               PyArray_DATA(out), err, sizeof err);
  return ll_finish(status, err, (PyObject *)out);
}

PyObject *ll_py_dids_impact(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"domain_grads", "task_grads", "fisher_diag", "kind", "n_threads", NULL};
  PyObject *d_obj, *t_obj, *f_obj, *threads_obj = NULL;
  ll_dids_impact_options o;
  ll_dids_impact_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO|O&O", keywords, &d_obj, &t_obj, &f_obj, ll_enum_converter,
                                   &o.kind, &threads_obj))
    return NULL;
  PyArrayObject *d = ll_array(d_obj, "domain_grads", LL_REAL, 2, 2);
  if (d == NULL) return NULL;
  int typenum = PyArray_TYPE(d);
  PyArrayObject *t = ll_array(t_obj, "task_grads", typenum, 2, 2);
  PyArrayObject *f = t == NULL ? NULL : ll_array(f_obj, "fisher_diag", typenum, 1, 1);
  if (f == NULL || ll_parse_threads(threads_obj, &o.n_threads) < 0) return NULL;
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
  LL_CALL_REAL(status, typenum, ll_dids_impact, PyArray_DATA(d), dims[0], PyArray_DATA(t), dims[1], PyArray_DATA(f), p,
               &o, PyArray_DATA(out), err, sizeof err);
  return ll_finish(status, err, (PyObject *)out);
}

/* t and y: float64 vectors of one length. */
static int history(PyObject *t_obj, PyObject *y_obj, PyArrayObject **t, PyArrayObject **y) {
  *t = ll_array(t_obj, "t", NPY_FLOAT64, 1, 1);
  *y = *t == NULL ? NULL : ll_array(y_obj, "y", NPY_FLOAT64, 1, 1);
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
  ll_dids_fit_exponential_decay_options o;
  ll_dids_fit_exponential_decay_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|OOOL", keywords, &t_obj, &y_obj, &p0_obj, &lo_obj, &hi_obj,
                                   &o.max_evaluations))
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
  ll_dids_decay_status fit_status = LL_DIDS_DECAY_CONVERGED;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_dids_fit_exponential_decay_f64(PyArray_DATA(t), PyArray_DATA(y), PyArray_DIM(t, 0), p0, lo,
                                                          hi, &o, PyArray_DATA(params), &cost, &evaluations,
                                                          &fit_status, err, sizeof err));
  if (ll_finish(status, err, (PyObject *)params) == NULL) return NULL;
  return Py_BuildValue("(NdLi)", (PyObject *)params, cost, (long long)evaluations, (int)fit_status);
}

PyObject *ll_py_dids_potential(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"t", "y", "tau", "authors_code", NULL};
  PyObject *t_obj, *y_obj;
  int authors_code = 0;
  ll_dids_potential_options o;
  ll_dids_potential_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOd|p", keywords, &t_obj, &y_obj, &o.tau, &authors_code))
    return NULL;
  o.variant = authors_code ? LL_DIDS_POTENTIAL_AUTHORS : LL_DIDS_POTENTIAL_PAPER;
  PyArrayObject *t, *y;
  if (history(t_obj, y_obj, &t, &y) < 0) return NULL;
  double value = 0.0;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_dids_potential_f64(PyArray_DATA(t), PyArray_DATA(y), PyArray_DIM(t, 0), &o, &value, err,
                                              sizeof err));
  if (status != LL_OK) return ll_raise_status(status, err);
  return PyFloat_FromDouble(value);
}

PyObject *ll_py_dids_update(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"impact", "improvement", "potential", "previous", "beta",
                             "normalization", "impact_normalization", "temperature", NULL};
  PyObject *i_obj, *lc_obj, *lp_obj, *prev_obj;
  ll_dids_update_options o;
  ll_dids_update_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOd|O&O&d", keywords, &i_obj, &lc_obj, &lp_obj, &prev_obj,
                                   &o.beta, ll_enum_converter, &o.normalization, ll_enum_converter,
                                   &o.impact_normalization, &o.temperature))
    return NULL;
  PyArrayObject *impact = ll_array(i_obj, "impact", NPY_FLOAT64, 2, 2);
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
  PyArrayObject *p = ll_new_array(1, &nd, NPY_FLOAT64), *u = ll_new_array(1, &nd, NPY_FLOAT64),
                *ni = ll_new_array(2, PyArray_DIMS(impact), NPY_FLOAT64);
  PyObject *result = Py_BuildValue("(NNN)", p, u, ni);
  if (result == NULL) return NULL;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_dids_update_f64(PyArray_DATA(impact), nd, nt, lc, lp, prev, &o, PyArray_DATA(p),
                                           PyArray_DATA(u), PyArray_DATA(ni), err, sizeof err));
  return ll_finish(status, err, result);
}
