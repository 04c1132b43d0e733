/* losslens._core: per-block kernels of a dictionary-learning fit spread over processes (float64). */
#include "_core.h"

/* A float64 array of exactly the given shape (cols < 0: 1-D of length rows). */
static PyArrayObject *shaped(PyObject *obj, const char *name, npy_intp rows, npy_intp cols) {
  PyArrayObject *arr = ll_array(obj, name, NPY_FLOAT64, cols < 0 ? 1 : 2, cols < 0 ? 1 : 2);
  if (arr == NULL) return NULL;
  if (PyArray_DIM(arr, 0) != rows || (cols >= 0 && PyArray_DIM(arr, 1) != cols)) {
    if (cols < 0)
      PyErr_Format(PyExc_ValueError, "%s must have shape (%zd,)", name, (Py_ssize_t)rows);
    else
      PyErr_Format(PyExc_ValueError, "%s must have shape (%zd, %zd)", name, (Py_ssize_t)rows, (Py_ssize_t)cols);
    return NULL;
  }
  return arr;
}

PyObject *ll_py_dl_encode_gram(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"gram", "cross", "squared_norms", "code", "alpha", "positive", "max_iter", "tol",
                             "n_threads", NULL};
  PyObject *gram_obj, *cross_obj, *norms_obj, *code_obj, *threads_obj = NULL;
  ll_dl_encode_options o;
  ll_dl_encode_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOdpLd|O", keywords, &gram_obj, &cross_obj, &norms_obj,
                                   &code_obj, &o.alpha, &o.positive, &o.max_iter, &o.tol, &threads_obj))
    return NULL;
  PyArrayObject *cross = ll_array(cross_obj, "cross", NPY_FLOAT64, 2, 2);
  if (cross == NULL) return NULL;
  npy_intp n = PyArray_DIM(cross, 0), k = PyArray_DIM(cross, 1);
  PyArrayObject *gram = shaped(gram_obj, "gram", k, k);
  PyArrayObject *norms = gram == NULL ? NULL : shaped(norms_obj, "squared_norms", n, -1);
  PyArrayObject *code = norms == NULL ? NULL : shaped(code_obj, "code", n, k);
  if (code == NULL || ll_parse_threads(threads_obj, &o.n_threads) < 0) return NULL;
  if (!PyArray_ISWRITEABLE(code)) {
    PyErr_SetString(PyExc_ValueError, "code must be writable");
    return NULL;
  }
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_dl_encode_gram_f64(PyArray_DATA(gram), PyArray_DATA(cross), PyArray_DATA(norms), n, k, &o,
                                              PyArray_DATA(code), err, sizeof err));
  if (status != LL_OK) return ll_raise_status(status, err);
  Py_RETURN_NONE;
}

PyObject *ll_py_dl_block_products(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"X", "dictionary", NULL};
  PyObject *x_obj, *dict_obj;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO", keywords, &x_obj, &dict_obj)) return NULL;
  PyArrayObject *x = ll_array(x_obj, "X", NPY_FLOAT64, 2, 2);
  PyArrayObject *dictionary = x == NULL ? NULL : ll_array(dict_obj, "dictionary", NPY_FLOAT64, 2, 2);
  if (dictionary == NULL) return NULL;
  npy_intp n = PyArray_DIM(x, 0), m = PyArray_DIM(x, 1), k = PyArray_DIM(dictionary, 0);
  if (PyArray_DIM(dictionary, 1) != m) {
    PyErr_SetString(PyExc_ValueError, "dictionary must have as many columns as X");
    return NULL;
  }
  npy_intp cross_dims[2] = {n, k}, gram_dims[2] = {k, k};
  PyArrayObject *cross = ll_new_array(2, cross_dims, NPY_FLOAT64), *gram = ll_new_array(2, gram_dims, NPY_FLOAT64);
  PyObject *result = Py_BuildValue("(NN)", (PyObject *)cross, (PyObject *)gram);
  if (result == NULL) return NULL;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_dl_block_products_f64(PyArray_DATA(x), n, m, PyArray_DATA(dictionary), k,
                                                 PyArray_DATA(cross), PyArray_DATA(gram), err, sizeof err));
  return ll_finish(status, err, result);
}

PyObject *ll_py_dl_block_target(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"code", "X", NULL};
  PyObject *code_obj, *x_obj;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO", keywords, &code_obj, &x_obj)) return NULL;
  PyArrayObject *x = ll_array(x_obj, "X", NPY_FLOAT64, 2, 2);
  PyArrayObject *code = x == NULL ? NULL : ll_array(code_obj, "code", NPY_FLOAT64, 2, 2);
  if (code == NULL) return NULL;
  npy_intp n = PyArray_DIM(x, 0), m = PyArray_DIM(x, 1), k = PyArray_DIM(code, 1);
  if (PyArray_DIM(code, 0) != n) {
    PyErr_SetString(PyExc_ValueError, "code must have as many rows as X");
    return NULL;
  }
  npy_intp dims[2] = {k, m};
  PyArrayObject *target = ll_new_array(2, dims, NPY_FLOAT64);
  if (target == NULL) return NULL;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_dl_block_target_f64(PyArray_DATA(code), PyArray_DATA(x), n, m, k, PyArray_DATA(target),
                                               err, sizeof err));
  return ll_finish(status, err, (PyObject *)target);
}

PyObject *ll_py_dl_block_atom(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"dictionary", "target", "usage", "atom", NULL};
  PyObject *dict_obj, *target_obj, *usage_obj;
  long long atom;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOL", keywords, &dict_obj, &target_obj, &usage_obj, &atom))
    return NULL;
  PyArrayObject *dictionary = ll_array(dict_obj, "dictionary", NPY_FLOAT64, 2, 2);
  if (dictionary == NULL) return NULL;
  npy_intp k = PyArray_DIM(dictionary, 0), m = PyArray_DIM(dictionary, 1);
  PyArrayObject *target = shaped(target_obj, "target", k, m);
  PyArrayObject *usage = target == NULL ? NULL : shaped(usage_obj, "usage", k, k);
  if (usage == NULL) return NULL;
  npy_intp dims[1] = {m};
  PyArrayObject *w = ll_new_array(1, dims, NPY_FLOAT64);
  if (w == NULL) return NULL;
  double summary[2] = {0, 0};
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_dl_block_atom_f64(PyArray_DATA(dictionary), PyArray_DATA(target), PyArray_DATA(usage),
                                             atom, k, m, PyArray_DATA(w), summary, err, sizeof err));
  if (ll_finish(status, err, (PyObject *)w) == NULL) return NULL;
  return Py_BuildValue("(Ndd)", w, summary[0], summary[1]);
}
