/* losslens._core: k-means on CSR matrices (fit from given centres, nearest-centre assignment). */
#include "_core.h"

/* The CSR arrays (data float64/float32, indices int32, indptr int64 of n_rows + 1), sample_weight
 * (n_rows) and centers (k, n_cols) of data's dtype. */
typedef struct {
  PyArrayObject *data, *indices, *indptr, *weights, *centers;
  int64_t rows, cols, nnz, k;
} sparse_kmeans_inputs;

/* Checks the inputs into `in`; 0, or -1 with an exception. */
static int sparse_inputs(PyObject *data_obj, PyObject *indices_obj, PyObject *indptr_obj, long long n_cols,
                         PyObject *w_obj, PyObject *c_obj, sparse_kmeans_inputs *in) {
  in->data = ll_array(data_obj, "data", LL_REAL, 1, 1);
  if (in->data == NULL) return -1;
  int typenum = PyArray_TYPE(in->data);
  in->indices = ll_array(indices_obj, "indices", NPY_INT32, 1, 1);
  in->indptr = in->indices ? ll_array(indptr_obj, "indptr", NPY_INT64, 1, 1) : NULL;
  in->weights = in->indptr ? ll_array(w_obj, "sample_weight", typenum, 1, 1) : NULL;
  in->centers = in->weights ? ll_array(c_obj, "centers", typenum, 2, 2) : NULL;
  if (in->centers == NULL) return -1;
  in->nnz = PyArray_DIM(in->data, 0);
  in->rows = PyArray_DIM(in->indptr, 0) - 1;
  in->cols = n_cols;
  in->k = PyArray_DIM(in->centers, 0);
  if (PyArray_DIM(in->indices, 0) != in->nnz || in->rows < 0) {
    PyErr_SetString(PyExc_ValueError, "indices must have one entry per stored value and indptr n_rows + 1");
    return -1;
  }
  if (PyArray_DIM(in->weights, 0) != in->rows) {
    PyErr_SetString(PyExc_ValueError, "sample_weight must have one entry per row of X");
    return -1;
  }
  if (PyArray_DIM(in->centers, 1) != n_cols) {
    PyErr_SetString(PyExc_ValueError, "centers must have as many columns as X");
    return -1;
  }
  return 0;
}

PyObject *ll_py_kmeans_sparse_fit(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"data", "indices", "indptr", "n_cols", "sample_weight", "centers", "algorithm",
                             "max_iter", "tol", "n_threads", NULL};
  PyObject *data_obj, *indices_obj, *indptr_obj, *w_obj, *c_obj, *threads_obj = NULL;
  long long n_cols;
  ll_kmeans_fit_options o;
  ll_kmeans_fit_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOLOO|O&LdO", keywords, &data_obj, &indices_obj, &indptr_obj,
                                   &n_cols, &w_obj, &c_obj, ll_enum_converter, &o.algorithm, &o.max_iter, &o.tol,
                                   &threads_obj))
    return NULL;
  sparse_kmeans_inputs in;
  if (sparse_inputs(data_obj, indices_obj, indptr_obj, n_cols, w_obj, c_obj, &in) < 0 ||
      ll_parse_threads(threads_obj, &o.n_threads) < 0)
    return NULL;
  if (!PyArray_ISWRITEABLE(in.centers)) {
    PyErr_SetString(PyExc_ValueError, "centers must be writeable (it receives the result)");
    return NULL;
  }
  npy_intp n = (npy_intp)in.rows;
  PyArrayObject *labels = ll_new_array(1, &n, NPY_INT32);
  if (labels == NULL) return NULL;
  double inertia = 0.0;
  int64_t n_iter = 0;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_REAL(status, PyArray_TYPE(in.data), ll_kmeans_sparse_fit, PyArray_DATA(in.data), PyArray_DATA(in.indices),
               PyArray_DATA(in.indptr), in.rows, in.cols, in.nnz, PyArray_DATA(in.weights), PyArray_DATA(in.centers),
               in.k, &o, PyArray_DATA(labels), &inertia, &n_iter, err, sizeof err);
  if (ll_finish(status, err, (PyObject *)labels) == NULL) return NULL;
  return Py_BuildValue("(NdL)", (PyObject *)labels, inertia, (long long)n_iter);
}

PyObject *ll_py_kmeans_sparse_assign(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"data", "indices", "indptr", "n_cols", "sample_weight", "centers", "n_threads", NULL};
  PyObject *data_obj, *indices_obj, *indptr_obj, *w_obj, *c_obj, *threads_obj = NULL;
  long long n_cols;
  ll_kmeans_assign_options o;
  ll_kmeans_assign_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOLOO|O", keywords, &data_obj, &indices_obj, &indptr_obj,
                                   &n_cols, &w_obj, &c_obj, &threads_obj))
    return NULL;
  sparse_kmeans_inputs in;
  if (sparse_inputs(data_obj, indices_obj, indptr_obj, n_cols, w_obj, c_obj, &in) < 0 ||
      ll_parse_threads(threads_obj, &o.n_threads) < 0)
    return NULL;
  npy_intp n = (npy_intp)in.rows;
  PyArrayObject *labels = ll_new_array(1, &n, NPY_INT32);
  if (labels == NULL) return NULL;
  double inertia = 0.0;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_REAL(status, PyArray_TYPE(in.data), ll_kmeans_sparse_assign, PyArray_DATA(in.data),
               PyArray_DATA(in.indices), PyArray_DATA(in.indptr), in.rows, in.cols, in.nnz, PyArray_DATA(in.weights),
               PyArray_DATA(in.centers), in.k, &o, PyArray_DATA(labels), &inertia, err, sizeof err);
  if (ll_finish(status, err, (PyObject *)labels) == NULL) return NULL;
  return Py_BuildValue("(Nd)", (PyObject *)labels, inertia);
}
