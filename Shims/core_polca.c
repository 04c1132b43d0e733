/* losslens._core: POLCA loss change allocation (see ll_polca_allocate_f64 in losslens.h). */
#include "_core.h"

PyObject *ll_py_polca_allocate(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"grads", "steps", "curvatures", "order", "share_tol", "n_threads", NULL};
  PyObject *grads_obj, *steps_obj, *curv_obj, *threads_obj = NULL;
  ll_polca_allocate_options o;
  ll_polca_allocate_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOO&d|O", keywords, &grads_obj, &steps_obj, &curv_obj,
                                   ll_enum_converter, &o.order, &o.share_tol, &threads_obj))
    return NULL;
  PyArrayObject *grads = ll_array(grads_obj, "projected_grads", NPY_FLOAT64, 3, 3);
  PyArrayObject *steps = grads == NULL ? NULL : ll_array(steps_obj, "step_projections", NPY_FLOAT64, 2, 2);
  PyArrayObject *curv = steps == NULL ? NULL : ll_array(curv_obj, "curvatures", NPY_FLOAT64, 2, 3);
  if (curv == NULL || ll_parse_threads(threads_obj, &o.n_threads) < 0) return NULL;
  npy_intp T = PyArray_DIM(grads, 0) - 1, n = PyArray_DIM(grads, 1), m = PyArray_DIM(grads, 2);
  o.curvature = PyArray_NDIM(curv) == 3 ? LL_POLCA_CURVATURE_PER_SAMPLE : LL_POLCA_CURVATURE_SUMMED;
  int curv_ok = o.curvature == LL_POLCA_CURVATURE_PER_SAMPLE
                    ? PyArray_DIM(curv, 0) == T && PyArray_DIM(curv, 1) == n && PyArray_DIM(curv, 2) == m
                    : PyArray_DIM(curv, 0) == T && PyArray_DIM(curv, 1) == m;
  if (T < 1 || PyArray_DIM(steps, 0) != T || PyArray_DIM(steps, 1) != m || !curv_ok) {
    PyErr_SetString(PyExc_ValueError, "projected_grads must be (T+1, n, m) with T >= 1, step_projections (T, m) "
                                      "and curvatures (T, m) or (T, n, m)");
    return NULL;
  }
  npy_intp step_dims[3] = {T, n, m}, loss_dims[3] = {T + 1, n, m}, mask_dims[2] = {T, m};
  PyArrayObject *allocation = ll_new_array(3, step_dims, NPY_FLOAT64), *first = ll_new_array(3, step_dims, NPY_FLOAT64),
                *loss = ll_new_array(3, loss_dims, NPY_FLOAT64), *guarded = ll_new_array(2, mask_dims, NPY_UINT8);
  PyObject *result = Py_BuildValue("(NNNN)", allocation, first, loss, guarded);
  if (result == NULL) return NULL;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_NOGIL(status, ll_polca_allocate_f64(PyArray_DATA(grads), PyArray_DATA(steps), PyArray_DATA(curv), T, n, m,
                                              &o, PyArray_DATA(allocation), PyArray_DATA(first), PyArray_DATA(loss),
                                              PyArray_DATA(guarded), err, sizeof err));
  return ll_finish(status, err, result);
}
