/* losslens._core: Euclidean projection onto the simplex. */
#include "_core.h"

PyObject *ll_py_project_simplex(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"X", "axis", "radius", "n_threads", NULL};
  PyObject *x_obj, *threads_obj = NULL;
  int axis = 0;
  double radius = 1.0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|idO", keywords, &x_obj, &axis, &radius, &threads_obj))
    return NULL;
  PyArrayObject *x = ll_real_array(x_obj, "X", 2, 2, 1);
  int32_t threads;
  if (x == NULL || ll_parse_threads(threads_obj, &threads) < 0) return NULL;

  int typenum = PyArray_TYPE(x);
  PyArrayObject *out = ll_new_array(2, PyArray_DIMS(x), typenum);
  if (out == NULL) return NULL;
  int64_t rows = PyArray_DIM(x, 0), cols = PyArray_DIM(x, 1);
  char err[LL_ERR_LEN] = "";
  int status;
  if (typenum == NPY_FLOAT64) {
    const double *xd = PyArray_DATA(x);
    double *od = PyArray_DATA(out);
    LL_CALL_NOGIL(status, ll_project_simplex_f64(xd, rows, cols, axis, radius, od, threads, err, sizeof err));
  } else {
    const float *xf = PyArray_DATA(x);
    float *of = PyArray_DATA(out);
    LL_CALL_NOGIL(status, ll_project_simplex_f32(xf, rows, cols, axis, radius, of, threads, err, sizeof err));
  }
  if (status != LL_OK) {
    Py_DECREF(out);
    return ll_raise_status(status, err);
  }
  return (PyObject *)out;
}
