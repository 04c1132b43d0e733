/* losslens._core: the library's xoshiro256** stream (seeded, advanced and drawn from in place). */
#include "_core.h"

/* The 4-word writable uint64 state of a xoshiro256** stream. */
static PyArrayObject *xoshiro_state(PyObject *obj) {
  PyArrayObject *state = ll_array(obj, "state", NPY_UINT64, 1, 1);
  if (state == NULL) return NULL;
  if (PyArray_DIM(state, 0) != 4 || !PyArray_ISWRITEABLE(state)) {
    PyErr_SetString(PyExc_ValueError, "state must be a writable uint64 array of length 4");
    return NULL;
  }
  return state;
}

PyObject *ll_py_xoshiro_seed(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"seed", NULL};
  unsigned long long seed;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "K", keywords, &seed)) return NULL;
  npy_intp dims[1] = {4};
  PyArrayObject *state = ll_new_array(1, dims, NPY_UINT64);
  if (state == NULL) return NULL;
  char err[LL_ERR_LEN] = "";
  int status = ll_xoshiro_seed(seed, PyArray_DATA(state), err, sizeof err);
  return ll_finish(status, err, (PyObject *)state);
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
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_xoshiro_gaussians_f64(PyArray_DATA(state), count, PyArray_DATA(out), err, sizeof err));
  return ll_finish(status, err, (PyObject *)out);
}
