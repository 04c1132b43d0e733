/* losslens._core: k-means (fit from given centres, k-means++ seeding, assignment). */
#include "_core.h"

/* X (n, d) float64/float32, sample_weight (n) and centers (k, d) of X's dtype. 0 or -1 with an exception. */
static int kmeans_inputs(PyObject *x_obj, PyObject *w_obj, PyObject *c_obj, PyArrayObject **x,
                         PyArrayObject **w, PyArrayObject **c) {
  *x = ll_real_array(x_obj, "X", 2, 2, 1);
  if (*x == NULL) return -1;
  int typenum = PyArray_TYPE(*x);
  *w = ll_typed_array(w_obj, "sample_weight", typenum, 1, 1);
  if (*w == NULL) return -1;
  if (PyArray_DIM(*w, 0) != PyArray_DIM(*x, 0)) {
    PyErr_SetString(PyExc_ValueError, "sample_weight must have one entry per row of X");
    return -1;
  }
  if (c_obj == NULL) return 0;
  *c = ll_typed_array(c_obj, "centers", typenum, 2, 2);
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
  int algorithm = 0;
  long long max_iter = 300;
  double tol = 0.0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO|iLdO", keywords, &x_obj, &w_obj, &c_obj, &algorithm,
                                   &max_iter, &tol, &threads_obj))
    return NULL;
  PyArrayObject *x, *w, *c;
  int32_t threads;
  if (kmeans_inputs(x_obj, w_obj, c_obj, &x, &w, &c) < 0 || ll_parse_threads(threads_obj, &threads) < 0)
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
  int64_t rows = n, cols = PyArray_DIM(x, 1), k = PyArray_DIM(c, 0);
  int32_t *l = PyArray_DATA(labels);
  if (PyArray_TYPE(x) == NPY_FLOAT64) {
    LL_CALL_NOGIL(status, ll_kmeans_fit_f64(PyArray_DATA(x), rows, cols, PyArray_DATA(w), PyArray_DATA(c), k,
                                            algorithm, max_iter, tol, l, &inertia, &n_iter, threads, err,
                                            sizeof err));
  } else {
    LL_CALL_NOGIL(status, ll_kmeans_fit_f32(PyArray_DATA(x), rows, cols, PyArray_DATA(w), PyArray_DATA(c), k,
                                            algorithm, max_iter, tol, l, &inertia, &n_iter, threads, err,
                                            sizeof err));
  }
  if (status != LL_OK) {
    Py_DECREF(labels);
    return ll_raise_status(status, err);
  }
  return Py_BuildValue("(NdL)", (PyObject *)labels, inertia, (long long)n_iter);
}

PyObject *ll_py_kmeans_plusplus(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"X", "sample_weight", "n_clusters", "n_local_trials", "seed", "n_threads", NULL};
  PyObject *x_obj, *w_obj, *threads_obj = NULL;
  long long k, trials;
  unsigned long long seed;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOLLK|O", keywords, &x_obj, &w_obj, &k, &trials, &seed,
                                   &threads_obj))
    return NULL;
  PyArrayObject *x, *w;
  int32_t threads;
  if (kmeans_inputs(x_obj, w_obj, NULL, &x, &w, NULL) < 0 || ll_parse_threads(threads_obj, &threads) < 0)
    return NULL;
  if (k < 1 || k > PyArray_DIM(x, 0)) {
    PyErr_Format(PyExc_ValueError, "n_samples=%zd should be >= n_clusters=%lld", PyArray_DIM(x, 0), k);
    return NULL;
  }
  npy_intp cdims[2] = {(npy_intp)k, PyArray_DIM(x, 1)}, idims[1] = {(npy_intp)k};
  PyArrayObject *centers = ll_new_array(2, cdims, PyArray_TYPE(x));
  PyArrayObject *indices = ll_new_array(1, idims, NPY_INT64);
  if (centers == NULL || indices == NULL) {
    Py_XDECREF(centers);
    Py_XDECREF(indices);
    return NULL;
  }
  char err[LL_ERR_LEN] = "";
  int status;
  int64_t rows = PyArray_DIM(x, 0), cols = PyArray_DIM(x, 1);
  int64_t *idx = PyArray_DATA(indices);
  if (PyArray_TYPE(x) == NPY_FLOAT64) {
    LL_CALL_NOGIL(status, ll_kmeans_plusplus_f64(PyArray_DATA(x), rows, cols, PyArray_DATA(w), k, trials, seed,
                                                 PyArray_DATA(centers), idx, threads, err, sizeof err));
  } else {
    LL_CALL_NOGIL(status, ll_kmeans_plusplus_f32(PyArray_DATA(x), rows, cols, PyArray_DATA(w), k, trials, seed,
                                                 PyArray_DATA(centers), idx, threads, err, sizeof err));
  }
  if (status != LL_OK) {
    Py_DECREF(centers);
    Py_DECREF(indices);
    return ll_raise_status(status, err);
  }
  return Py_BuildValue("(NN)", (PyObject *)centers, (PyObject *)indices);
}

PyObject *ll_py_kmeans_assign(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"X", "sample_weight", "centers", "n_threads", NULL};
  PyObject *x_obj, *w_obj, *c_obj, *threads_obj = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO|O", keywords, &x_obj, &w_obj, &c_obj, &threads_obj))
    return NULL;
  PyArrayObject *x, *w, *c;
  int32_t threads;
  if (kmeans_inputs(x_obj, w_obj, c_obj, &x, &w, &c) < 0 || ll_parse_threads(threads_obj, &threads) < 0)
    return NULL;
  npy_intp n = PyArray_DIM(x, 0);
  PyArrayObject *labels = ll_new_array(1, &n, NPY_INT32);
  if (labels == NULL) return NULL;
  double inertia = 0.0;
  char err[LL_ERR_LEN] = "";
  int status;
  int64_t cols = PyArray_DIM(x, 1), k = PyArray_DIM(c, 0);
  int32_t *l = PyArray_DATA(labels);
  if (PyArray_TYPE(x) == NPY_FLOAT64) {
    LL_CALL_NOGIL(status, ll_kmeans_assign_f64(PyArray_DATA(x), n, cols, PyArray_DATA(w), PyArray_DATA(c), k, l,
                                               &inertia, threads, err, sizeof err));
  } else {
    LL_CALL_NOGIL(status, ll_kmeans_assign_f32(PyArray_DATA(x), n, cols, PyArray_DATA(w), PyArray_DATA(c), k, l,
                                               &inertia, threads, err, sizeof err));
  }
  if (status != LL_OK) {
    Py_DECREF(labels);
    return ll_raise_status(status, err);
  }
  return Py_BuildValue("(Nd)", (PyObject *)labels, inertia);
}
