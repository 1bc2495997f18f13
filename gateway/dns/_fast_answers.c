/* The Front's two common answers in one C call: a repeated question and a blocked name.
 *
 * At a low query rate each query meets cold CPU caches, and the Python steps of the Front (the
 * wire cache, parsing, the engine's verdict, writing the blocked reply, the counters) took
 * 5-10 us a query there, against 1-3 us in a tight loop; that extra service time was most of
 * our p99 above unbound's at 20,000 q/s. This does the same steps with no Python frames:
 *
 *   FastAnswers(lookup, answered, blocked, skip_names, mode, a_record, aaaa_record, soa_tail)
 *   .use(match_both, overlay, pairs, attr_category, categories, opts)   the lists in force
 *   .use(None, ...)                                                      no lists
 *   .answer(wire, now) -> bytes | None                                   None: the slow way
 *
 * `lookup` is the reply table's (ReplyTable.lookup). A blocked answer is given here only when
 * it is plain: an ASCII name outside `skip_names`, no staff or never-block entry (any overlay
 * hit), and listed suffixes that only block (the longest decides, as in Snapshot.explain).
 * Everything else (list exceptions, staff edits) goes on to the Python WireBlocker, which
 * writes the same bytes from the same parts: `a_record`, `aaaa_record`, `soa_tail` and `opts` come from
 * gateway/dns/blocked_wire.py, and the tests hold both writers to the same output.
 * Counted as the Python path counts: answered["answered"], answered[outcome], blocked[category].
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#include "plain_query.h"

enum { MODE_NXDOMAIN = 0, MODE_BLOCKPAGE = 1, MODE_NULL = 2 };
#define QTYPE_A 1
#define QTYPE_AAAA 28

typedef struct {
    PyObject_HEAD
    PyObject *lookup, *answered, *blocked, *skip_names;
    PyObject *a_record, *aaaa_record, *soa_tail;
    int mode;
    /* The lists in force (use()); match_both NULL: none. */
    PyObject *match_both, *overlay, *pairs, *attr_category, *categories, *opts;
    PyObject *answered_key, *blocked_key; /* "answered", "blocked" */
} FastAnswers;

static int bump(PyObject *counter, PyObject *key) {
    PyObject *old = PyDict_GetItemWithError(counter, key);
    if (old == NULL && PyErr_Occurred()) return -1;
    long long n = old ? PyLong_AsLongLong(old) : 0;
    if (n == -1 && PyErr_Occurred()) return -1;
    PyObject *now = PyLong_FromLongLong(n + 1);
    if (now == NULL) return -1;
    int rc = PyDict_SetItem(counter, key, now);
    Py_DECREF(now);
    return rc;
}

static void forget_lists(FastAnswers *f) {
    Py_CLEAR(f->match_both);
    Py_CLEAR(f->overlay);
    Py_CLEAR(f->pairs);
    Py_CLEAR(f->attr_category);
    Py_CLEAR(f->categories);
    Py_CLEAR(f->opts);
}

static void fast_dealloc(FastAnswers *f) {
    forget_lists(f);
    Py_XDECREF(f->lookup);
    Py_XDECREF(f->answered);
    Py_XDECREF(f->blocked);
    Py_XDECREF(f->skip_names);
    Py_XDECREF(f->a_record);
    Py_XDECREF(f->aaaa_record);
    Py_XDECREF(f->soa_tail);
    Py_XDECREF(f->answered_key);
    Py_XDECREF(f->blocked_key);
    Py_TYPE(f)->tp_free((PyObject *)f);
}

static int fast_init(FastAnswers *f, PyObject *args, PyObject *kwds) {
    (void)kwds;
    PyObject *lookup, *answered, *blocked, *skip, *a, *aaaa, *soa;
    int mode;
    if (!PyArg_ParseTuple(args, "OO!O!O!iSSS", &lookup, &PyDict_Type, &answered, &PyDict_Type,
                          &blocked, &PyTuple_Type, &skip, &mode, &a, &aaaa, &soa))
        return -1;
    if (mode < MODE_NXDOMAIN || mode > MODE_NULL) {
        PyErr_SetString(PyExc_ValueError, "mode is 0 (nxdomain), 1 (blockpage) or 2 (null)");
        return -1;
    }
    Py_XSETREF(f->lookup, Py_NewRef(lookup));
    Py_XSETREF(f->answered, Py_NewRef(answered));
    Py_XSETREF(f->blocked, Py_NewRef(blocked));
    Py_XSETREF(f->skip_names, Py_NewRef(skip));
    Py_XSETREF(f->a_record, Py_NewRef(a));
    Py_XSETREF(f->aaaa_record, Py_NewRef(aaaa));
    Py_XSETREF(f->soa_tail, Py_NewRef(soa));
    f->mode = mode;
    Py_XSETREF(f->answered_key, PyUnicode_InternFromString("answered"));
    Py_XSETREF(f->blocked_key, PyUnicode_InternFromString("blocked"));
    return f->answered_key && f->blocked_key ? 0 : -1;
}

static PyObject *fast_use(FastAnswers *f, PyObject *args) {
    PyObject *match_both, *overlay, *pairs, *attr_category, *categories, *opts;
    if (!PyArg_ParseTuple(args, "OOSSO!O!", &match_both, &overlay, &pairs, &attr_category,
                          &PyTuple_Type, &categories, &PyTuple_Type, &opts))
        return NULL;
    forget_lists(f);
    if (match_both == Py_None) Py_RETURN_NONE;
    if (PyTuple_GET_SIZE(opts) != PyTuple_GET_SIZE(categories) ||
        PyBytes_GET_SIZE(pairs) % 8 || PyBytes_GET_SIZE(attr_category) % 2) {
        PyErr_SetString(PyExc_ValueError, "use(): tables of the wrong shape");
        return NULL;
    }
    f->match_both = Py_NewRef(match_both);
    f->overlay = Py_NewRef(overlay);
    f->pairs = Py_NewRef(pairs);
    f->attr_category = Py_NewRef(attr_category);
    f->categories = Py_NewRef(categories);
    f->opts = Py_NewRef(opts);
    Py_RETURN_NONE;
}

/* The category index (>= 0) when the lists block this name plainly, -1 when they do not or
 * it is not plain, -2 with an exception set. *listed_len: the listed suffix's length. */
static int plain_block(FastAnswers *f, const char *name, Py_ssize_t len, Py_ssize_t *listed_len) {
    PyObject *text = PyUnicode_DecodeASCII(name, len, NULL);
    if (text == NULL) return -2;
    PyObject *call[2] = {f->overlay, text};
    PyObject *found = PyObject_Vectorcall(f->match_both, call, 2, NULL);
    Py_DECREF(text);
    if (found == NULL) return -2;
    int result = -1;
    if (found == Py_None || !PyTuple_Check(found) || PyTuple_GET_SIZE(found) != 2) goto done;
    PyObject *overlay_hits = PyTuple_GET_ITEM(found, 0), *hits = PyTuple_GET_ITEM(found, 1);
    if (overlay_hits != Py_None || !PyList_Check(hits)) goto done;
    /* As Snapshot.explain ranks: an exception beats every block (left to Python); among
     * blocks the longest listed suffix, the most specific entry, decides. */
    Py_ssize_t best_len = 0;
    int best_category = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(hits); i++) {
        PyObject *hit = PyList_GET_ITEM(hits, i);
        if (!PyTuple_Check(hit) || PyTuple_GET_SIZE(hit) != 2) goto done;
        Py_ssize_t key_len = PyLong_AsSsize_t(PyTuple_GET_ITEM(hit, 0));
        Py_ssize_t pair = PyLong_AsSsize_t(PyTuple_GET_ITEM(hit, 1));
        if (PyErr_Occurred()) {
            result = -2;
            goto done;
        }
        if (pair < 0 || pair >= PyBytes_GET_SIZE(f->pairs) / 8 || key_len < 2 || key_len > len + 1)
            goto done;
        int32_t own_sub[2];
        memcpy(own_sub, PyBytes_AS_STRING(f->pairs) + pair * 8, sizeof own_sub);
        int32_t attr = key_len == len + 1 ? own_sub[0] : own_sub[1];
        if (attr < 0) continue; /* this entry says nothing about this name */
        if (attr >= PyBytes_GET_SIZE(f->attr_category) / 2) goto done;
        uint16_t category;
        memcpy(&category, PyBytes_AS_STRING(f->attr_category) + attr * 2, sizeof category);
        if (category == 0 || category > PyTuple_GET_SIZE(f->categories)) goto done; /* exception */
        if (key_len > best_len) {
            best_len = key_len;
            best_category = category;
        }
    }
    if (best_len == 0) goto done;
    *listed_len = best_len - 1;
    result = best_category - 1;
done:
    Py_DECREF(found);
    return result;
}

static int skipped(FastAnswers *f, const char *name, Py_ssize_t len) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(f->skip_names); i++) {
        PyObject *s = PyTuple_GET_ITEM(f->skip_names, i);
        if (PyBytes_Check(s) && PyBytes_GET_SIZE(s) == len && !memcmp(PyBytes_AS_STRING(s), name, len))
            return 1;
    }
    return 0;
}

/* Header, question, then the answer or the authority, then the OPT record if the query had one. */
static PyObject *blocked_reply(FastAnswers *f, const unsigned char *b, const plain_query *q,
                               Py_ssize_t name_len, Py_ssize_t listed_len, PyObject *opt) {
    Py_ssize_t qlen = q->question_end - PLAIN_HEADER;
    unsigned int qtype = (b[q->question_end - 4] << 8) | b[q->question_end - 3];
    PyObject *answer = NULL;
    int rcode = 0;
    if (f->mode == MODE_NXDOMAIN) rcode = 3;
    else if (qtype == QTYPE_A) answer = f->a_record;
    else if (f->mode == MODE_NULL && qtype == QTYPE_AAAA) answer = f->aaaa_record;
    Py_ssize_t soa_len = answer ? 0 : 2 + PyBytes_GET_SIZE(f->soa_tail);
    Py_ssize_t size = PLAIN_HEADER + qlen + (answer ? PyBytes_GET_SIZE(answer) : 0) + soa_len +
                      (opt ? PyBytes_GET_SIZE(opt) : 0);
    PyObject *reply = PyBytes_FromStringAndSize(NULL, size);
    if (reply == NULL) return NULL;
    unsigned char *o = (unsigned char *)PyBytes_AS_STRING(reply);
    unsigned int flags = 0x8000 | (b[2] << 8 & 0x0100) | 0x0080 | (unsigned int)rcode;
    unsigned char header[PLAIN_HEADER] = {b[0], b[1], flags >> 8, flags & 0xFF, 0, 1,
                                          0, answer != NULL, 0, answer == NULL, 0, opt != NULL};
    memcpy(o, header, PLAIN_HEADER);
    memcpy(o + PLAIN_HEADER, b + PLAIN_HEADER, (size_t)qlen);
    o += PLAIN_HEADER + qlen;
    if (answer) {
        memcpy(o, PyBytes_AS_STRING(answer), (size_t)PyBytes_GET_SIZE(answer));
        o += PyBytes_GET_SIZE(answer);
    } else {
        /* The SOA's owner is the listed name: a pointer to where it starts in the question. */
        unsigned int at = 0xC000 | (unsigned int)(PLAIN_HEADER + name_len - listed_len);
        *o++ = (unsigned char)(at >> 8);
        *o++ = (unsigned char)at;
        memcpy(o, PyBytes_AS_STRING(f->soa_tail), (size_t)PyBytes_GET_SIZE(f->soa_tail));
        o += PyBytes_GET_SIZE(f->soa_tail);
    }
    if (opt) memcpy(o, PyBytes_AS_STRING(opt), (size_t)PyBytes_GET_SIZE(opt));
    return reply;
}

static PyObject *from_table(FastAnswers *f, PyObject *hit) {
    PyObject *reply = PyTuple_GET_ITEM(hit, 0), *outcome = PyTuple_GET_ITEM(hit, 1);
    PyObject *category = PyTuple_GET_ITEM(hit, 2);
    if (bump(f->answered, f->answered_key) < 0 || bump(f->answered, outcome) < 0 ||
        (category != Py_None && bump(f->blocked, category) < 0))
        return NULL;
    return Py_NewRef(reply);
}

static PyObject *fast_answer(FastAnswers *f, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyBytes_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "answer(wire: bytes, now: float)");
        return NULL;
    }
    PyObject *hit = PyObject_Vectorcall(f->lookup, args, 2, NULL);
    if (hit == NULL) return NULL;
    if (hit != Py_None) {
        PyObject *reply = PyTuple_Check(hit) && PyTuple_GET_SIZE(hit) == 3 ? from_table(f, hit)
                                                                          : Py_NewRef(Py_None);
        Py_DECREF(hit);
        return reply;
    }
    Py_DECREF(hit);
    if (f->match_both == NULL) Py_RETURN_NONE;
    const unsigned char *b = (const unsigned char *)PyBytes_AS_STRING(args[0]);
    char name[PLAIN_MAX_NAME + 1];
    plain_query q;
    if (!read_plain_query(b, PyBytes_GET_SIZE(args[0]), &q, name) || !q.ascii || !q.name_length ||
        skipped(f, name, q.name_length))
        Py_RETURN_NONE;
    Py_ssize_t listed_len = 0;
    int index = plain_block(f, name, q.name_length, &listed_len);
    if (index == -2) return NULL;
    if (index < 0) Py_RETURN_NONE;
    PyObject *category = PyTuple_GET_ITEM(f->categories, index);
    PyObject *opt = q.has_opt ? PyTuple_GET_ITEM(f->opts, index) : NULL;
    if (opt != NULL && !PyBytes_Check(opt)) Py_RETURN_NONE;
    PyObject *reply = blocked_reply(f, b, &q, q.name_length, listed_len, opt);
    if (reply == NULL) return NULL;
    if (bump(f->answered, f->answered_key) < 0 || bump(f->answered, f->blocked_key) < 0 ||
        bump(f->blocked, category) < 0) {
        Py_DECREF(reply);
        return NULL;
    }
    return reply;
}

static PyMethodDef fast_methods[] = {
    {"use", (PyCFunction)fast_use, METH_VARARGS, "Answer blocked names from these lists."},
    {"answer", (PyCFunction)(void (*)(void))fast_answer, METH_FASTCALL,
     "The reply from the table or for a plainly blocked name; None: the slow way."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FastAnswersType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "gateway.dns._fast_answers.FastAnswers",
    .tp_basicsize = sizeof(FastAnswers),
    .tp_dealloc = (destructor)fast_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Repeated questions and plainly blocked names, answered without Python frames.",
    .tp_methods = fast_methods,
    .tp_init = (initproc)fast_init,
    .tp_new = PyType_GenericNew,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fast_answers", "The Front's common answers in C.", -1,
    NULL, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__fast_answers(void) {
    if (PyType_Ready(&FastAnswersType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "FastAnswers", (PyObject *)&FastAnswersType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
