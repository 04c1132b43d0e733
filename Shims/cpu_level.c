/* losslens._cpu: the CPU check behind the choice of Swift library at import (losslens/_dispatch.py).
 *
 * CPUID, with the OS's saved-state check for AVX, via GCC's __builtin_cpu_supports (GCC >= 12 names
 * the psABI levels). Reading /proc/cpuinfo instead would be wrong under emulation (qemu-user shows
 * the host's flags) and in containers that rewrite it. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* True when the CPU runs x86-64-v3 code: AVX, AVX2, BMI1/2, F16C, FMA, LZCNT, MOVBE, XSAVE. */
static PyObject *supports_x86_64_v3(PyObject *self, PyObject *unused) {
  (void)self;
  (void)unused;
#if defined(__x86_64__)
  __builtin_cpu_init();
  return PyBool_FromLong(__builtin_cpu_supports("x86-64-v3"));
#else
  Py_RETURN_FALSE;
#endif
}

static PyMethodDef cpu_methods[] = {
    {"supports_x86_64_v3", supports_x86_64_v3, METH_NOARGS,
     "supports_x86_64_v3() -> bool: whether this CPU (and OS) run x86-64-v3 (AVX2 + FMA) code."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef cpu_module = {
    PyModuleDef_HEAD_INIT, "_cpu", "CPU feature check for losslens's run-time dispatch.", -1, cpu_methods,
};

PyMODINIT_FUNC PyInit__cpu(void) { return PyModule_Create(&cpu_module); }
