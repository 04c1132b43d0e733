/*
 * Helpers shared by the method files of the `losslens._core` extension: argument checking that
 * never copies, the GIL-free call pattern and the status → exception mapping.
 */
#ifndef LOSSLENS_CORE_H
#define LOSSLENS_CORE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_2_0_API_VERSION
#ifndef LL_CORE_MAIN
#define NO_IMPORT_ARRAY
#endif
#define PY_ARRAY_UNIQUE_SYMBOL losslens_ARRAY_API
#include <numpy/arrayobject.h>

#include "losslens.h"

/** Capacity of the error-message buffer handed to the library. */
#define LL_ERR_LEN 512

/**
 * Runs `call` (an expression returning an ll_status) with the GIL released, storing the status in
 * `status`. The library keeps no pointer past the call, so the arrays only need to outlive it.
 * While it runs, Ctrl-C (SIGINT) asks the library to stop (`ll_request_cancel`) and is passed on
 * to Python's own handler; the call then returns LL_ECANCELLED and ll_raise_status raises.
 */
#define LL_CALL_NOGIL(status, call) \
  do {                              \
    ll_interrupts_begin();          \
    Py_BEGIN_ALLOW_THREADS          \
    (status) = (call);              \
    Py_END_ALLOW_THREADS            \
    ll_interrupts_end();            \
  } while (0)

/** Routes SIGINT to ll_request_cancel while native code runs (nested and thread-safe). */
void ll_interrupts_begin(void);
/** Restores the SIGINT handler that was active before the outermost ll_interrupts_begin. */
void ll_interrupts_end(void);

/** `typenum` of ll_array that accepts float64 or float32. */
#define LL_REAL (-1)

/**
 * The one layout check of every array argument: `obj` must be an aligned, native, C-contiguous
 * ndarray of dtype `typenum` (LL_REAL: float64 or float32) with `ndim` in [min_ndim, max_ndim];
 * raises TypeError/ValueError naming `name`. Returns a borrowed reference or NULL. Never copies:
 * the Python layer converts once beforehand.
 */
PyArrayObject *ll_array(PyObject *obj, const char *name, int typenum, int min_ndim, int max_ndim);

/** PyArg "O&" converter storing a Python int into a C enum field of losslens.h (all int-sized). */
int ll_enum_converter(PyObject *obj, void *out);

/**
 * Calls `fn##_f64` or `fn##_f32` (chosen by `typenum`) with the GIL released, as LL_CALL_NOGIL.
 * Array arguments are passed as PyArray_DATA (void *), which converts to either pointer type.
 */
#define LL_CALL_REAL(status, typenum, fn, ...) \
  LL_CALL_NOGIL(status, (typenum) == NPY_FLOAT64 ? fn##_f64(__VA_ARGS__) : fn##_f32(__VA_ARGS__))

/** Returns `result` when `status` is LL_OK; otherwise drops `result` (may be NULL) and raises. */
PyObject *ll_finish(int status, const char *err, PyObject *result);

/** New uninitialised C-contiguous array, or NULL with MemoryError set. */
PyArrayObject *ll_new_array(int ndim, const npy_intp *dims, int typenum);

/** Raises the Python exception for `status` with `message`; returns NULL. */
PyObject *ll_raise_status(int status, const char *message);

/** Resolves an `n_threads` argument: NULL/None → 0 (the library's budget). -1 on error. */
int ll_parse_threads(PyObject *obj, int32_t *out);

/* Method functions, one group per file. */
PyObject *ll_py_project_simplex(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_kmeans_fit(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_kmeans_plusplus(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_kmeans_assign(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_kmeans_sparse_fit(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_kmeans_sparse_assign(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_hdbscan_mst(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_hdbscan_condense(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_hdbscan_select(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_lanczos_operator(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_lanczos_dense(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_dids_sketch(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_dids_projection_column_norms(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_dids_fisher_diagonal(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_dids_impact(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_dids_fit_exponential_decay(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_dids_potential(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_dids_update(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_polca_allocate(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_dict_learning(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_sparse_encode_lasso(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_dl_encode_gram(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_dl_block_products(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_dl_block_target(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_dl_block_atom(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_simplex_block_sums(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_xoshiro_seed(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_xoshiro_next(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *ll_py_xoshiro_gaussians(PyObject *self, PyObject *args, PyObject *kwargs);

/** Adds the enum constants of losslens.h to the module (Python name: the C name without `LL_`). */
int ll_add_constants(PyObject *module);

#endif
