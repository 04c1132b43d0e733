/* losslens._core: POLCA loss change allocation (see ll_polca_allocate in losslens.h). */
#include "_core.h"

PyObject *ll_py_polca_allocate(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"grads", "steps", "curvatures", "order", "share_tol", "n_threads", NULL};
  PyObject *grads_obj, *steps_obj, *curv_obj, *threads_obj = NULL;
  int order;
  double share_tol;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOid|O", keywords, &grads_obj, &steps_obj, &curv_obj, &order,
                                   &share_tol, &threads_obj))
    return NULL;
  PyArrayObject *grads = ll_real_array(grads_obj, "projected_grads", 3, 3, 0);
  if (grads == NULL) return NULL;
  PyArrayObject *steps = ll_real_array(steps_obj, "step_projections", 2, 2, 0);
  if (steps == NULL) return NULL;
  PyArrayObject *curv = ll_real_array(curv_obj, "curvatures", 2, 3, 0);
  int32_t threads;
  if (curv == NULL || ll_parse_threads(threads_obj, &threads) < 0) return NULL;
  npy_intp T = PyArray_DIM(grads, 0) - 1, n = PyArray_DIM(grads, 1), m = PyArray_DIM(grads, 2);
  int per_sample = PyArray_NDIM(curv) == 3;
  int curv_ok = per_sample ? PyArray_DIM(curv, 0) == T && PyArray_DIM(curv, 1) == n && PyArray_DIM(curv, 2) == m
                           : PyArray_DIM(curv, 0) == T && PyArray_DIM(curv, 1) == m;
  if (T < 1 || PyArray_DIM(steps, 0) != T || PyArray_DIM(steps, 1) != m || !curv_ok) {
    PyErr_SetString(PyExc_ValueError, "projected_grads must be (T+1, n, m) with T >= 1, step_projections (T, m) "
                                      "and curvatures (T, m) or (T, n, m)");
    return NULL;
  }
  npy_intp step_dims[3] = {T, n, m}, loss_dims[3] = {T + 1, n, m}, mask_dims[2] = {T, m};
  PyArrayObject *allocation = ll_new_array(3, step_dims, NPY_FLOAT64);
  PyArrayObject *first = ll_new_array(3, step_dims, NPY_FLOAT64);
  PyArrayObject *loss = ll_new_array(3, loss_dims, NPY_FLOAT64);
  PyArrayObject *guarded = ll_new_array(2, mask_dims, NPY_UINT8);
  PyObject *result = NULL;
  if (allocation && first && loss && guarded) {
    char err[LL_ERR_LEN] = "";
    int status;
    LL_CALL_NOGIL(status, ll_polca_allocate(PyArray_DATA(grads), PyArray_DATA(steps), PyArray_DATA(curv), T, n, m,
                                            order, share_tol, per_sample, PyArray_DATA(allocation), PyArray_DATA(first),
                                            PyArray_DATA(loss), PyArray_DATA(guarded), threads, err, sizeof err));
    if (status != LL_OK) ll_raise_status(status, err);
    else result = PyTuple_Pack(4, allocation, first, loss, guarded);
  }
  Py_XDECREF(allocation);
  Py_XDECREF(first);
  Py_XDECREF(loss);
  Py_XDECREF(guarded);
  return result;
}
