/* losslens._core: HDBSCAN hierarchy and flat cluster extraction. */
#include "_core.h"

/* The first `rows` entries of a 1-D array (a new reference to a view). */
static PyObject *head(PyArrayObject *arr, int64_t rows) {
  return PySequence_GetSlice((PyObject *)arr, 0, (Py_ssize_t)rows);
}

PyObject *ll_py_hdbscan_mst(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"X", "metric", "p", "min_samples", "alpha", "algorithm", "n_threads", NULL};
  PyObject *x_obj, *threads_obj = NULL;
  ll_hdbscan_mst_options o;
  ll_hdbscan_mst_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO&dLdO&|O", keywords, &x_obj, ll_enum_converter, &o.metric, &o.p,
                                   &o.min_samples, &o.alpha, ll_enum_converter, &o.algorithm, &threads_obj))
    return NULL;
  PyArrayObject *x = ll_array(x_obj, "X", LL_REAL, 2, 2);
  if (x == NULL || ll_parse_threads(threads_obj, &o.n_threads) < 0) return NULL;
  npy_intp n = PyArray_DIM(x, 0), mst_dims[2] = {n > 0 ? n - 1 : 0, 3};
  PyArrayObject *core = ll_new_array(1, &n, NPY_FLOAT64), *mst = ll_new_array(2, mst_dims, NPY_FLOAT64);
  PyObject *result = Py_BuildValue("(NN)", core, mst);
  if (result == NULL) return NULL;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_REAL(status, PyArray_TYPE(x), ll_hdbscan_mst, PyArray_DATA(x), n, PyArray_DIM(x, 1), &o,
               PyArray_DATA(core), PyArray_DATA(mst), err, sizeof err);
  return ll_finish(status, err, result);
}

PyObject *ll_py_hdbscan_condense(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"mst", "min_cluster_size", NULL};
  PyObject *mst_obj;
  ll_hdbscan_condense_options o;
  ll_hdbscan_condense_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OL", keywords, &mst_obj, &o.min_cluster_size)) return NULL;
  PyArrayObject *mst = ll_array(mst_obj, "mst", NPY_FLOAT64, 2, 2);
  if (mst == NULL) return NULL;
  npy_intp edges = PyArray_DIM(mst, 0);
  if (PyArray_DIM(mst, 1) != 3 || edges < 1) {
    PyErr_SetString(PyExc_ValueError, "mst must have shape (n - 1, 3) with n >= 2");
    return NULL;
  }
  /* The header's row bound; Swift rejects min_cluster_size < 2 before writing. */
  npy_intp n = edges + 1, capacity = 2 * n + 1, link_dims[2] = {edges, 4};
  if (o.min_cluster_size >= 2 && n + 2 * (n / o.min_cluster_size) + 2 < capacity)
    capacity = n + 2 * (n / o.min_cluster_size) + 2;
  PyArrayObject *link = ll_new_array(2, link_dims, NPY_FLOAT64), *parent = ll_new_array(1, &capacity, NPY_INT64),
                *child = ll_new_array(1, &capacity, NPY_INT64), *lambda = ll_new_array(1, &capacity, NPY_FLOAT64),
                *size = ll_new_array(1, &capacity, NPY_INT64);
  PyObject *outputs = Py_BuildValue("(NNNNN)", link, parent, child, lambda, size);
  if (outputs == NULL) return NULL;
  char err[LL_ERR_LEN] = "";
  int status;
  int64_t rows = 0;
  LL_CALL_NOGIL(status, ll_hdbscan_condense_f64(PyArray_DATA(mst), n, &o, PyArray_DATA(link), PyArray_DATA(parent),
                                                PyArray_DATA(child), PyArray_DATA(lambda), PyArray_DATA(size), &rows,
                                                err, sizeof err));
  if (ll_finish(status, err, outputs) == NULL) return NULL;
  PyObject *result = Py_BuildValue("(O(NNNN))", link, head(parent, rows), head(child, rows), head(lambda, rows),
                                   head(size, rows));
  Py_DECREF(outputs);
  return result;
}

PyObject *ll_py_hdbscan_select(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"parent", "child", "lambda_val", "child_size", "n_points", "eom", "epsilon",
                             "max_cluster_size", "allow_single_cluster", "n_threads", NULL};
  PyObject *p_obj, *c_obj, *l_obj, *s_obj, *threads_obj = NULL;
  long long n_points;
  int eom;
  ll_hdbscan_select_options o;
  ll_hdbscan_select_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOLpdLp|O", keywords, &p_obj, &c_obj, &l_obj, &s_obj,
                                   &n_points, &eom, &o.epsilon, &o.max_cluster_size, &o.allow_single_cluster,
                                   &threads_obj))
    return NULL;
  if (ll_parse_threads(threads_obj, &o.n_threads) < 0) return NULL;
  o.selection = eom ? LL_HDBSCAN_EOM : LL_HDBSCAN_LEAF;
  PyArrayObject *parent = ll_array(p_obj, "parent", NPY_INT64, 1, 1);
  PyArrayObject *child = parent ? ll_array(c_obj, "child", NPY_INT64, 1, 1) : NULL;
  PyArrayObject *lambda = child ? ll_array(l_obj, "lambda_val", NPY_FLOAT64, 1, 1) : NULL;
  PyArrayObject *size = lambda ? ll_array(s_obj, "child_size", NPY_INT64, 1, 1) : NULL;
  if (size == NULL) return NULL;
  npy_intp rows = PyArray_DIM(parent, 0);
  if (PyArray_DIM(child, 0) != rows || PyArray_DIM(lambda, 0) != rows || PyArray_DIM(size, 0) != rows) {
    PyErr_SetString(PyExc_ValueError, "parent, child, lambda_val and child_size must have the same length");
    return NULL;
  }
  if (n_points < 1) {
    PyErr_SetString(PyExc_ValueError, "n_points must be >= 1");
    return NULL;
  }
  npy_intp n = (npy_intp)n_points;
  PyArrayObject *labels = ll_new_array(1, &n, NPY_INT64), *probs = ll_new_array(1, &n, NPY_FLOAT64),
                *scores = ll_new_array(1, &n, NPY_FLOAT64), *persistence = ll_new_array(1, &n, NPY_FLOAT64),
                *selected = ll_new_array(1, &n, NPY_INT64);
  PyObject *outputs = Py_BuildValue("(NNNNN)", labels, probs, scores, persistence, selected);
  if (outputs == NULL) return NULL;
  char err[LL_ERR_LEN] = "";
  int status;
  int64_t clusters = 0;
  LL_CALL_NOGIL(status, ll_hdbscan_select_f64(PyArray_DATA(parent), PyArray_DATA(child), PyArray_DATA(lambda),
                                              PyArray_DATA(size), rows, n, &o, PyArray_DATA(labels),
                                              PyArray_DATA(probs), PyArray_DATA(scores), PyArray_DATA(persistence),
                                              PyArray_DATA(selected), &clusters, err, sizeof err));
  if (ll_finish(status, err, outputs) == NULL) return NULL;
  PyObject *result = Py_BuildValue("(OOONN)", labels, probs, scores, head(persistence, clusters),
                                   head(selected, clusters));
  Py_DECREF(outputs);
  return result;
}
