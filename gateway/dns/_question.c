/* The plain-query parser behind gateway.dns.wire.parse_simple_query.
 *
 * Every UDP query that the reply table cannot answer meets it; in Python, walking the labels
 * was the largest single cost of the Front. It returns the parts the Front needs in one pass,
 * the name already lowercased, or None for anything but the plain queries phones send (the
 * rules are in plain_query.h).
 *
 *   parse_query(wire) -> (qid, flags, question, has_opt, name | None) | None
 *   name is None when a label holds a byte outside ASCII.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "plain_query.h"

static PyObject *parse_query(PyObject *self, PyObject *arg) {
    (void)self;
    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "parse_query wants bytes");
        return NULL;
    }
    const unsigned char *b = (const unsigned char *)PyBytes_AS_STRING(arg);
    char name[PLAIN_MAX_NAME + 1];
    plain_query q;
    if (!read_plain_query(b, PyBytes_GET_SIZE(arg), &q, name)) Py_RETURN_NONE;
    unsigned int qid = (b[0] << 8) | b[1], flags = (b[2] << 8) | b[3];
    PyObject *question =
        PyBytes_FromStringAndSize((const char *)b + PLAIN_HEADER, q.question_end - PLAIN_HEADER);
    if (question == NULL) return NULL;
    PyObject *text_name =
        q.ascii ? PyUnicode_DecodeASCII(name, q.name_length, NULL) : Py_NewRef(Py_None);
    if (text_name == NULL) {
        Py_DECREF(question);
        return NULL;
    }
    return Py_BuildValue("(IINON)", qid, flags, question, q.has_opt ? Py_True : Py_False,
                         text_name);
}

static PyMethodDef methods[] = {
    {"parse_query", parse_query, METH_O, "The parts of a plain DNS query, or None."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_question", "The plain-query parser.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__question(void) { return PyModule_Create(&module); }
