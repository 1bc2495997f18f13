/* The plain-query parser behind gateway.dns.wire.parse_simple_query.
 *
 * Every UDP query meets it first; in Python, walking the labels was the largest single cost of
 * answering from the wire cache. It returns the parts the Front needs in one pass, the name
 * already lowercased, or None for anything but the plain queries phones send.
 *
 *   parse_query(wire) -> (qid, flags, question, has_opt, name | None) | None
 *   name is None when a label holds a byte outside ASCII.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define HEADER 12
#define MAX_NAME 255 /* RFC 1035: a name is at most 255 bytes in wire form */

static PyObject *parse_query(PyObject *self, PyObject *arg) {
    (void)self;
    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "parse_query wants bytes");
        return NULL;
    }
    const unsigned char *b = (const unsigned char *)PyBytes_AS_STRING(arg);
    Py_ssize_t len = PyBytes_GET_SIZE(arg);
    if (len < HEADER + 5) Py_RETURN_NONE;
    unsigned int qid = (b[0] << 8) | b[1], flags = (b[2] << 8) | b[3];
    unsigned int qd = (b[4] << 8) | b[5], an = (b[6] << 8) | b[7];
    unsigned int ns = (b[8] << 8) | b[9], ar = (b[10] << 8) | b[11];
    if ((flags & 0xF800) || qd != 1 || an || ns || ar > 1) Py_RETURN_NONE; /* QR, opcode, counts */
    char name[MAX_NAME + 1];
    Py_ssize_t i = HEADER, text = 0;
    int ascii = 1;
    for (;;) {
        if (i >= len) Py_RETURN_NONE;
        unsigned int n = b[i];
        if (n == 0) break;
        if (n > 63) Py_RETURN_NONE; /* a compression pointer or a reserved label type */
        if (i + 1 + (Py_ssize_t)n - HEADER > MAX_NAME || i + 1 + (Py_ssize_t)n > len) Py_RETURN_NONE;
        if (text) name[text++] = '.';
        for (unsigned int k = 1; k <= n; k++) {
            unsigned char c = b[i + k];
            if (c >= 0x80) ascii = 0;
            name[text++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
        }
        i += 1 + n;
    }
    Py_ssize_t end = i + 5; /* the root byte, type, class */
    if (end > len) Py_RETURN_NONE;
    int has_opt = ar == 1;
    if (has_opt) {
        /* The OPT record: root name, type 41, and nothing after its rdata. */
        if (end + 11 > len || b[end] != 0 || b[end + 1] != 0 || b[end + 2] != 41) Py_RETURN_NONE;
        Py_ssize_t rdlen = (b[end + 9] << 8) | b[end + 10];
        if (end + 11 + rdlen != len) Py_RETURN_NONE;
    } else if (end != len) {
        Py_RETURN_NONE;
    }
    PyObject *question = PyBytes_FromStringAndSize((const char *)b + HEADER, end - HEADER);
    if (question == NULL) return NULL;
    PyObject *text_name = ascii ? PyUnicode_DecodeASCII(name, text, NULL) : Py_NewRef(Py_None);
    if (text_name == NULL) {
        Py_DECREF(question);
        return NULL;
    }
    return Py_BuildValue("(IINON)", qid, flags, question, has_opt ? Py_True : Py_False, text_name);
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
