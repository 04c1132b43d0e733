/* losslens._core: k-means (fit from given centres, k-means++ seeding, assignment). */
#include "_core.h"

/* X (n, d) float64/float32, sample_weight (n) and centers (k, d) of X's dtype. 0 or -1 with an exception. */
static int kmeans_inputs(PyObject *x_obj, PyObject *w_obj, PyObject *c_obj, PyArrayObject **x,
                         PyArrayObject **w, PyArrayObject **c) {
  *x = ll_array(x_obj, "X", LL_REAL, 2, 2);
  if (*x == NULL) return -1;
  int typenum = PyArray_TYPE(*x);
  *w = ll_array(w_obj, "sample_weight", typenum, 1, 1);
  if (*w == NULL) return -1;
  if (PyArray_DIM(*w, 0) != PyArray_DIM(*x, 0)) {
    PyErr_SetString(PyExc_ValueError, "sample_weight must have one entry per row of X");
    return -1;
  }
  if (c_obj == NULL) return 0;
  *c = ll_array(c_obj, "centers", typenum, 2, 2);
  if (*c == NULL) return -1;
  if (PyArray_DIM(*c, 1) != PyArray_DIM(*x, 1)) {
    PyErr_SetString(PyExc_ValueError, "centers must have as many columns as X");
    return -1;
  }
  return 0;
}

PyObject *ll_py_kmeans_fit(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"X", "sample_weight", "centers", "algorithm", "max_iter", "tol", "n_threads", NULL};
  PyObject *x_obj, *w_obj, *c_obj, *threads_obj = NULL;
  ll_kmeans_fit_options o;
  ll_kmeans_fit_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO|O&LdO", keywords, &x_obj, &w_obj, &c_obj, ll_enum_converter,
                                   &o.algorithm, &o.max_iter, &o.tol, &threads_obj))
    return NULL;
  PyArrayObject *x, *w, *c;
  if (kmeans_inputs(x_obj, w_obj, c_obj, &x, &w, &c) < 0 || ll_parse_threads(threads_obj, &o.n_threads) < 0)
    return NULL;
  if (!PyArray_ISWRITEABLE(c)) {
    PyErr_SetString(PyExc_ValueError, "centers must be writeable (it receives the result)");
    return NULL;
  }
  npy_intp n = PyArray_DIM(x, 0);
  PyArrayObject *labels = ll_new_array(1, &n, NPY_INT32);
  if (labels == NULL) return NULL;
  double inertia = 0.0;
  int64_t n_iter = 0;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_REAL(status, PyArray_TYPE(x), ll_kmeans_fit, PyArray_DATA(x), n, PyArray_DIM(x, 1), PyArray_DATA(w),
               PyArray_DATA(c), PyArray_DIM(c, 0), &o, PyArray_DATA(labels), &inertia, &n_iter, err, sizeof err);
  if (ll_finish(status, err, (PyObject *)labels) == NULL) return NULL;
  return Py_BuildValue("(NdL)", (PyObject *)labels, inertia, (long long)n_iter);
}

PyObject *ll_py_kmeans_plusplus(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"X", "sample_weight", "n_clusters", "n_local_trials", "seed", "n_threads", NULL};
  PyObject *x_obj, *w_obj, *threads_obj = NULL;
  long long k;
  ll_kmeans_plusplus_options o;
  ll_kmeans_plusplus_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOLLK|O", keywords, &x_obj, &w_obj, &k, &o.n_local_trials, &o.seed,
                                   &threads_obj))
    return NULL;
  PyArrayObject *x, *w;
  if (kmeans_inputs(x_obj, w_obj, NULL, &x, &w, NULL) < 0 || ll_parse_threads(threads_obj, &o.n_threads) < 0)
    return NULL;
  if (k < 1 || k > PyArray_DIM(x, 0)) {
    PyErr_Format(PyExc_ValueError, "n_samples=%zd should be >= n_clusters=%lld", PyArray_DIM(x, 0), k);
    return NULL;
  }
  npy_intp cdims[2] = {(npy_intp)k, PyArray_DIM(x, 1)}, idims[1] = {(npy_intp)k};
  PyArrayObject *centers = ll_new_array(2, cdims, PyArray_TYPE(x)), *indices = ll_new_array(1, idims, NPY_INT64);
  PyObject *result = Py_BuildValue("(NN)", (PyObject *)centers, (PyObject *)indices);
  if (result == NULL) return NULL;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_REAL(status, PyArray_TYPE(x), ll_kmeans_plusplus, PyArray_DATA(x), PyArray_DIM(x, 0), PyArray_DIM(x, 1),
               PyArray_DATA(w), k, &o, PyArray_DATA(centers), PyArray_DATA(indices), err, sizeof err);
  return ll_finish(status, err, result);
}

PyObject *ll_py_kmeans_assign(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"X", "sample_weight", "centers", "n_threads", NULL};
  PyObject *x_obj, *w_obj, *c_obj, *threads_obj = NULL;
  ll_kmeans_assign_options o;
  ll_kmeans_assign_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO|O", keywords, &x_obj, &w_obj, &c_obj, &threads_obj))
    return NULL;
  PyArrayObject *x, *w, *c;
  if (kmeans_inputs(x_obj, w_obj, c_obj, &x, &w, &c) < 0 || ll_parse_threads(threads_obj, &o.n_threads) < 0)
    return NULL;
  npy_intp n = PyArray_DIM(x, 0);
  PyArrayObject *labels = ll_new_array(1, &n, NPY_INT32);
  if (labels == NULL) return NULL;
  double inertia = 0.0;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_REAL(status, PyArray_TYPE(x), ll_kmeans_assign, PyArray_DATA(x), n, PyArray_DIM(x, 1), PyArray_DATA(w),
               PyArray_DATA(c), PyArray_DIM(c, 0), &o, PyArray_DATA(labels), &inertia, err, sizeof err);
  if (ll_finish(status, err, (PyObject *)labels) == NULL) return NULL;
  return Py_BuildValue("(Nd)", (PyObject *)labels, inertia);
}
