/* losslens._core: Euclidean projection onto the simplex, and the block sums of its distributed form. */
#include "_core.h"

PyObject *ll_py_project_simplex(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"X", "axis", "radius", "n_threads", NULL};
  PyObject *x_obj, *threads_obj = NULL;
  ll_simplex_project_options o;
  ll_simplex_project_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O&dO", keywords, &x_obj, ll_enum_converter, &o.axis, &o.radius,
                                   &threads_obj))
    return NULL;
  PyArrayObject *x = ll_array(x_obj, "X", LL_REAL, 2, 2);
  if (x == NULL || ll_parse_threads(threads_obj, &o.n_threads) < 0) return NULL;
  PyArrayObject *out = ll_new_array(2, PyArray_DIMS(x), PyArray_TYPE(x));
  if (out == NULL) return NULL;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_REAL(status, PyArray_TYPE(x), ll_simplex_project, PyArray_DATA(x), PyArray_DIM(x, 0), PyArray_DIM(x, 1), &o,
               PyArray_DATA(out), err, sizeof err);
  return ll_finish(status, err, (PyObject *)out);
}

PyObject *ll_py_simplex_block_sums(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"y", "shift", "thresholds", NULL};
  PyObject *y_obj, *thresholds_obj;
  double shift;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OdO", keywords, &y_obj, &shift, &thresholds_obj)) return NULL;
  PyArrayObject *y = ll_array(y_obj, "y", NPY_FLOAT64, 1, 1);
  PyArrayObject *thresholds = y == NULL ? NULL : ll_array(thresholds_obj, "thresholds", NPY_FLOAT64, 1, 1);
  if (thresholds == NULL) return NULL;
  npy_intp t = PyArray_DIM(thresholds, 0);
  PyArrayObject *counts = ll_new_array(1, &t, NPY_INT64), *sums = ll_new_array(1, &t, NPY_FLOAT64);
  PyObject *result = Py_BuildValue("(NN)", (PyObject *)counts, (PyObject *)sums);
  if (result == NULL) return NULL;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_simplex_block_sums_f64(PyArray_DATA(y), PyArray_DIM(y, 0), shift, PyArray_DATA(thresholds),
                                                  t, PyArray_DATA(counts), PyArray_DATA(sums), err, sizeof err));
  return ll_finish(status, err, result);
}
