/* losslens._core: sparse dictionary learning and Lasso sparse coding (updated in place). */
#include "_core.h"

/* Checks that `arr` is a writable 2-D array of X's dtype and the given shape. */
static int check_state(PyArrayObject *arr, const char *name, int typenum, npy_intp rows, npy_intp cols) {
  if (PyArray_TYPE(arr) != typenum) {
    PyErr_Format(PyExc_TypeError, "%s must have the dtype of X", name);
    return -1;
  }
  if (PyArray_DIM(arr, 0) != rows || PyArray_DIM(arr, 1) != cols) {
    PyErr_Format(PyExc_ValueError, "%s must have shape (%zd, %zd)", name, (Py_ssize_t)rows, (Py_ssize_t)cols);
    return -1;
  }
  if (!PyArray_ISWRITEABLE(arr)) {
    PyErr_Format(PyExc_ValueError, "%s must be writable", name);
    return -1;
  }
  return 0;
}

/* The operands shared by both entry points: X (n x p), the dictionary (k x p) and the code (n x k). */
typedef struct {
  PyArrayObject *x, *dictionary, *code;
  int typenum;
  npy_intp n, p, k;
} factors;

/* Checks X, then the dictionary (X's dtype and columns; writable when `dict_writable`) and the code. */
static int parse_factors(PyObject *x_obj, PyObject *dict_obj, PyObject *code_obj, int dict_writable, factors *out) {
  out->x = ll_array(x_obj, "X", LL_REAL, 2, 2);
  if (out->x == NULL) return -1;
  out->typenum = PyArray_TYPE(out->x);
  out->n = PyArray_DIM(out->x, 0);
  out->p = PyArray_DIM(out->x, 1);
  out->dictionary = ll_array(dict_obj, "dictionary", LL_REAL, 2, 2);
  if (out->dictionary == NULL) return -1;
  out->k = PyArray_DIM(out->dictionary, 0);
  out->code = ll_array(code_obj, "code", LL_REAL, 2, 2);
  if (out->code == NULL) return -1;
  if (dict_writable) {
    if (check_state(out->dictionary, "dictionary", out->typenum, out->k, out->p) < 0) return -1;
  } else if (PyArray_TYPE(out->dictionary) != out->typenum || PyArray_DIM(out->dictionary, 1) != out->p) {
    PyErr_SetString(PyExc_ValueError, "dictionary must have X's dtype and number of columns");
    return -1;
  }
  return check_state(out->code, "code", out->typenum, out->n, out->k);
}

PyObject *ll_py_dict_learning(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"X", "dictionary", "code", "errors", "alpha", "tol", "max_iter", "code_max_iter",
                             "code_tol", "constraint", "positive_code", "positive_dict", "seed",
                             "previous_cost", "n_threads", "extrapolation_state", "previous_sweep", "data_gram",
                             NULL};
  PyObject *x_obj, *dict_obj, *code_obj, *errors_obj, *threads_obj = NULL, *state_obj = Py_None,
           *sweep_obj = Py_None, *gram_obj = Py_None;
  double previous_cost;
  ll_dl_fit_options o;
  ll_dl_fit_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOddLLdO&ppKd|OOOO", keywords, &x_obj, &dict_obj, &code_obj,
                                   &errors_obj, &o.alpha, &o.tol, &o.max_iter, &o.code_max_iter, &o.code_tol,
                                   ll_enum_converter, &o.constraint, &o.positive_code, &o.positive_dict, &o.seed,
                                   &previous_cost, &threads_obj, &state_obj, &sweep_obj, &gram_obj))
    return NULL;
  factors f;
  if (parse_factors(x_obj, dict_obj, code_obj, 1, &f) < 0) return NULL;
  npy_intp n = f.n, p = f.p, k = f.k;
  PyArrayObject *errors = ll_array(errors_obj, "errors", NPY_FLOAT64, 1, 1);
  if (errors == NULL || ll_parse_threads(threads_obj, &o.n_threads) < 0) return NULL;
  if (!PyArray_ISWRITEABLE(errors) || o.max_iter < 0 || PyArray_DIM(errors, 0) < o.max_iter) {
    PyErr_SetString(PyExc_ValueError, "errors must be a writable float64 array of length >= max_iter >= 0");
    return NULL;
  }
  double *state_data = NULL;
  void *sweep_data = NULL;
  if (state_obj != Py_None) {
    PyArrayObject *state = ll_array(state_obj, "extrapolation_state", NPY_FLOAT64, 1, 1);
    if (state == NULL) return NULL;
    if (!PyArray_ISWRITEABLE(state) || PyArray_DIM(state, 0) != 3 + n * k) {
      PyErr_Format(PyExc_ValueError, "extrapolation_state must be a writable float64 array of length %zd",
                   (Py_ssize_t)(3 + n * k));
      return NULL;
    }
    PyArrayObject *sweep = ll_array(sweep_obj, "previous_sweep", LL_REAL, 2, 2);
    if (sweep == NULL || check_state(sweep, "previous_sweep", f.typenum, k, p) < 0) return NULL;
    state_data = PyArray_DATA(state);
    sweep_data = PyArray_DATA(sweep);
  }
  const double *gram_data = NULL;
  if (gram_obj != Py_None) {
    PyArrayObject *gram = ll_array(gram_obj, "data_gram", NPY_FLOAT64, 2, 2);
    if (gram == NULL) return NULL;
    if (PyArray_DIM(gram, 0) != n || PyArray_DIM(gram, 1) != n) {
      PyErr_Format(PyExc_ValueError, "data_gram must have shape (%zd, %zd)", (Py_ssize_t)n, (Py_ssize_t)n);
      return NULL;
    }
    gram_data = PyArray_DATA(gram);
  }
  char err[LL_ERR_LEN] = "";
  int status;
  int64_t n_iter = 0;
  int32_t converged = 0;
  LL_CALL_REAL(status, f.typenum, ll_dl_fit, PyArray_DATA(f.x), n, p, k, gram_data, &o, previous_cost,
               PyArray_DATA(f.dictionary), PyArray_DATA(f.code), state_data, sweep_data, PyArray_DATA(errors),
               &n_iter, &converged, err, sizeof err);
  if (status != LL_OK) return ll_raise_status(status, err);
  return Py_BuildValue("(LO)", (long long)n_iter, converged ? Py_True : Py_False);
}

PyObject *ll_py_sparse_encode_lasso(PyObject *self, PyObject *args, PyObject *kwargs) {
  static char *keywords[] = {"X", "dictionary", "code", "alpha", "positive", "max_iter", "tol", "n_threads", NULL};
  PyObject *x_obj, *dict_obj, *code_obj, *threads_obj = NULL;
  ll_dl_encode_options o;
  ll_dl_encode_options_init(&o);
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOdpLd|O", keywords, &x_obj, &dict_obj, &code_obj, &o.alpha,
                                   &o.positive, &o.max_iter, &o.tol, &threads_obj))
    return NULL;
  factors f;
  if (parse_factors(x_obj, dict_obj, code_obj, 0, &f) < 0 || ll_parse_threads(threads_obj, &o.n_threads) < 0)
    return NULL;
  char err[LL_ERR_LEN] = "";
  int status;
  LL_CALL_REAL(status, f.typenum, ll_dl_encode_lasso, PyArray_DATA(f.x), f.n, f.p, PyArray_DATA(f.dictionary), f.k,
               &o, PyArray_DATA(f.code), err, sizeof err);
  if (status != LL_OK) return ll_raise_status(status, err);
  Py_RETURN_NONE;
}
