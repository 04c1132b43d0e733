/* losslens._core: per-block kernels of a dictionary-learning fit spread over processes (float64). */
#include "_core.h"

/* A float64 array of exactly the given shape (cols < 0: 1-D of length rows). */
static PyArrayObject *shaped(PyObject *obj, const char *name, npy_intp rows, npy_intp cols) {
  PyArrayObject *arr = ll_typed_array(obj, name, NPY_FLOAT64, cols < 0 ? 1 : 2, cols < 0 ? 1 : 2);
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

/* The 4-word writable uint64 state of a xoshiro256** stream. */
static PyArrayObject *xoshiro_state(PyObject *obj) {
  PyArrayObject *state = ll_typed_array(obj, "state", NPY_UINT64, 1, 1);
  if (state == NULL) return NULL;
  if (PyArray_DIM(state, 0) != 4 || !PyArray_ISWRITEABLE(state)) {
    PyErr_SetString(PyExc_ValueError, "state must be a writable uint64 array of length 4");
    return NULL;
  }
  return state;
}

PyObject *ll_py_dl_encode_gram(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"gram", "cross", "squared_norms", "code", "alpha", "positive", "max_iter", "tol",
                             "n_threads", NULL};
  PyObject *gram_obj, *cross_obj, *norms_obj, *code_obj, *threads_obj = NULL;
  double alpha, tol;
  int positive;
  long long max_iter;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOdpLd|O", keywords, &gram_obj, &cross_obj, &norms_obj,
                                   &code_obj, &alpha, &positive, &max_iter, &tol, &threads_obj))
    return NULL;
  PyArrayObject *cross = ll_typed_array(cross_obj, "cross", NPY_FLOAT64, 2, 2);
  if (cross == NULL) return NULL;
  npy_intp n = PyArray_DIM(cross, 0), k = PyArray_DIM(cross, 1);
  PyArrayObject *gram = shaped(gram_obj, "gram", k, k);
  PyArrayObject *norms = gram == NULL ? NULL : shaped(norms_obj, "squared_norms", n, -1);
  PyArrayObject *code = norms == NULL ? NULL : shaped(code_obj, "code", n, k);
  int32_t threads;
  if (code == NULL || ll_parse_threads(threads_obj, &threads) < 0) return NULL;
  if (!PyArray_ISWRITEABLE(code)) {
    PyErr_SetString(PyExc_ValueError, "code must be writable");
    return NULL;
  }
  const double *gd = PyArray_DATA(gram), *cd = PyArray_DATA(cross), *nd = PyArray_DATA(norms);
  double *ud = PyArray_DATA(code);
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_dl_encode_gram_f64(gd, cd, nd, n, k, alpha, positive, max_iter, tol, ud, threads, err,
                                              sizeof err));
  if (status != LL_OK) return ll_raise_status(status, err);
  Py_RETURN_NONE;
}

PyObject *ll_py_dl_block_products(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"X", "dictionary", NULL};
  PyObject *x_obj, *dict_obj;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO", keywords, &x_obj, &dict_obj)) return NULL;
  PyArrayObject *x = ll_typed_array(x_obj, "X", NPY_FLOAT64, 2, 2);
  if (x == NULL) return NULL;
  npy_intp n = PyArray_DIM(x, 0), m = PyArray_DIM(x, 1);
  PyArrayObject *dictionary = ll_typed_array(dict_obj, "dictionary", NPY_FLOAT64, 2, 2);
  if (dictionary == NULL) return NULL;
  npy_intp k = PyArray_DIM(dictionary, 0);
  if (PyArray_DIM(dictionary, 1) != m) {
    PyErr_SetString(PyExc_ValueError, "dictionary must have as many columns as X");
    return NULL;
  }
  npy_intp cross_dims[2] = {n, k}, gram_dims[2] = {k, k};
  PyArrayObject *cross = ll_new_array(2, cross_dims, NPY_FLOAT64);
  PyArrayObject *gram = cross == NULL ? NULL : ll_new_array(2, gram_dims, NPY_FLOAT64);
  if (gram == NULL) {
    Py_XDECREF(cross);
    return NULL;
  }
  const double *xd = PyArray_DATA(x), *dd = PyArray_DATA(dictionary);
  double *cd = PyArray_DATA(cross), *gd = PyArray_DATA(gram);
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_dl_block_products_f64(xd, n, m, dd, k, cd, gd, err, sizeof err));
  if (status != LL_OK) {
    Py_DECREF(cross);
    Py_DECREF(gram);
    return ll_raise_status(status, err);
  }
  return Py_BuildValue("(NN)", cross, gram);
}

PyObject *ll_py_dl_block_target(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"code", "X", NULL};
  PyObject *code_obj, *x_obj;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO", keywords, &code_obj, &x_obj)) return NULL;
  PyArrayObject *x = ll_typed_array(x_obj, "X", NPY_FLOAT64, 2, 2);
  PyArrayObject *code = x == NULL ? NULL : ll_typed_array(code_obj, "code", NPY_FLOAT64, 2, 2);
  if (code == NULL) return NULL;
  npy_intp n = PyArray_DIM(x, 0), m = PyArray_DIM(x, 1), k = PyArray_DIM(code, 1);
  if (PyArray_DIM(code, 0) != n) {
    PyErr_SetString(PyExc_ValueError, "code must have as many rows as X");
    return NULL;
  }
  npy_intp dims[2] = {k, m};
  PyArrayObject *target = ll_new_array(2, dims, NPY_FLOAT64);
  if (target == NULL) return NULL;
  const double *ud = PyArray_DATA(code), *xd = PyArray_DATA(x);
  double *td = PyArray_DATA(target);
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_dl_block_target_f64(ud, xd, n, m, k, td, err, sizeof err));
  if (status != LL_OK) {
    Py_DECREF(target);
    return ll_raise_status(status, err);
  }
  return (PyObject *)target;
}

PyObject *ll_py_dl_block_atom(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"dictionary", "target", "usage", "atom", NULL};
  PyObject *dict_obj, *target_obj, *usage_obj;
  long long atom;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOL", keywords, &dict_obj, &target_obj, &usage_obj, &atom))
    return NULL;
  PyArrayObject *dictionary = ll_typed_array(dict_obj, "dictionary", NPY_FLOAT64, 2, 2);
  if (dictionary == NULL) return NULL;
  npy_intp k = PyArray_DIM(dictionary, 0), m = PyArray_DIM(dictionary, 1);
  PyArrayObject *target = shaped(target_obj, "target", k, m);
  PyArrayObject *usage = target == NULL ? NULL : shaped(usage_obj, "usage", k, k);
  if (usage == NULL) return NULL;
  npy_intp dims[1] = {m};
  PyArrayObject *w = ll_new_array(1, dims, NPY_FLOAT64);
  if (w == NULL) return NULL;
  const double *dd = PyArray_DATA(dictionary), *td = PyArray_DATA(target), *ad = PyArray_DATA(usage);
  double *wd = PyArray_DATA(w);
  double summary[2] = {0, 0};
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_dl_block_atom_f64(dd, td, ad, atom, k, m, wd, summary, err, sizeof err));
  if (status != LL_OK) {
    Py_DECREF(w);
    return ll_raise_status(status, err);
  }
  return Py_BuildValue("(Ndd)", w, summary[0], summary[1]);
}

PyObject *ll_py_simplex_block_sums(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"y", "shift", "thresholds", NULL};
  PyObject *y_obj, *thresholds_obj;
  double shift;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OdO", keywords, &y_obj, &shift, &thresholds_obj)) return NULL;
  PyArrayObject *y = ll_typed_array(y_obj, "y", NPY_FLOAT64, 1, 1);
  PyArrayObject *thresholds = y == NULL ? NULL : ll_typed_array(thresholds_obj, "thresholds", NPY_FLOAT64, 1, 1);
  if (thresholds == NULL) return NULL;
  npy_intp m = PyArray_DIM(y, 0), t = PyArray_DIM(thresholds, 0);
  PyArrayObject *counts = ll_new_array(1, &t, NPY_INT64);
  PyArrayObject *sums = counts == NULL ? NULL : ll_new_array(1, &t, NPY_FLOAT64);
  if (sums == NULL) {
    Py_XDECREF(counts);
    return NULL;
  }
  const double *yd = PyArray_DATA(y), *td = PyArray_DATA(thresholds);
  int64_t *cd = PyArray_DATA(counts);
  double *sd = PyArray_DATA(sums);
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_simplex_block_sums_f64(yd, m, shift, td, t, cd, sd, err, sizeof err));
  if (status != LL_OK) {
    Py_DECREF(counts);
    Py_DECREF(sums);
    return ll_raise_status(status, err);
  }
  return Py_BuildValue("(NN)", counts, sums);
}

PyObject *ll_py_xoshiro_seed(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"seed", NULL};
  unsigned long long seed;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "K", keywords, &seed)) return NULL;
  npy_intp dims[1] = {4};
  PyArrayObject *state = ll_new_array(1, dims, NPY_UINT64);
  if (state == NULL) return NULL;
  uint64_t *sd = PyArray_DATA(state);
  char err[LL_ERR_LEN] = "";
  int status = ll_xoshiro_seed(seed, sd, err, sizeof err);
  if (status != LL_OK) {
    Py_DECREF(state);
    return ll_raise_status(status, err);
  }
  return (PyObject *)state;
}

PyObject *ll_py_xoshiro_next(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"state", NULL};
  PyObject *state_obj;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O", keywords, &state_obj)) return NULL;
  PyArrayObject *state = xoshiro_state(state_obj);
  if (state == NULL) return NULL;
  uint64_t value = 0;
  char err[LL_ERR_LEN] = "";
  int status = ll_xoshiro_next(PyArray_DATA(state), &value, err, sizeof err);
  if (status != LL_OK) return ll_raise_status(status, err);
  return PyLong_FromUnsignedLongLong(value);
}

PyObject *ll_py_xoshiro_gaussians(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"state", "count", NULL};
  PyObject *state_obj;
  Py_ssize_t count;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "On", keywords, &state_obj, &count)) return NULL;
  PyArrayObject *state = xoshiro_state(state_obj);
  if (state == NULL) return NULL;
  if (count < 0) {
    PyErr_SetString(PyExc_ValueError, "count must be >= 0");
    return NULL;
  }
  npy_intp dims[1] = {count};
  PyArrayObject *out = ll_new_array(1, dims, NPY_FLOAT64);
  if (out == NULL) return NULL;
  uint64_t *sd = PyArray_DATA(state);
  double *od = PyArray_DATA(out);
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_xoshiro_gaussians(sd, count, od, err, sizeof err));
  if (status != LL_OK) {
    Py_DECREF(out);
    return ll_raise_status(status, err);
  }
  return (PyObject *)out;
}
