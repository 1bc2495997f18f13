/* The wire cache's table of finished replies, in C: a repeated question answered from bytes.
 *
 * Most queries on a hotspot repeat (the same apps on a hundred phones). In Python, answering
 * one from the cache took about 1.5 us: parsing, a tuple key, an OrderedDict, a bytearray
 * copy. Here one call parses the query (plain_query.h), finds the reply stored for its question,
 * copies it under the query's ID with its TTLs aged, and marks it most recently used.
 *
 *   ReplyTable(max_entries)
 *   .lookup(wire, now) -> (reply, outcome, category) | None     None also when expired
 *   .store(question, has_opt, reply, ttl_offsets, stored, ttl | None, outcome, category)
 *   .clear(), len()
 *
 * Keys are the question's bytes as sent plus whether the query had EDNS, in a dict (SipHash,
 * so phones cannot flood one bucket). Entries are threaded on a recency list; when the table is
 * over max_entries the least recently used goes. A ttl of None means the gateway's own answer,
 * kept until clear() (the lists changed); otherwise the reply lives ttl seconds from `stored`.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <string.h>

#include "plain_query.h"

#define MAX_TTLS 64 /* a reply of at most 512 bytes holds fewer records than this */

typedef struct Entry {
    PyObject_HEAD
    PyObject *key;      /* bytes: the question, then one byte: has_opt */
    PyObject *reply;    /* bytes, as stored */
    PyObject *outcome;  /* str */
    PyObject *category; /* str or None */
    double stored;
    long long ttl; /* seconds; -1: the gateway's own answer */
    int ttl_count;
    unsigned short ttl_offsets[MAX_TTLS];
    struct Entry *newer, *older; /* the recency list; the dict owns the entries */
} Entry;

typedef struct {
    PyObject_HEAD
    PyObject *entries; /* dict: key -> Entry */
    Entry *newest, *oldest;
    Py_ssize_t max_entries;
} ReplyTable;

static void entry_dealloc(Entry *e) {
    Py_XDECREF(e->key);
    Py_XDECREF(e->reply);
    Py_XDECREF(e->outcome);
    Py_XDECREF(e->category);
    Py_TYPE(e)->tp_free((PyObject *)e);
}

static PyTypeObject EntryType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "gateway.dns._reply_table._Entry",
    .tp_basicsize = sizeof(Entry),
    .tp_dealloc = (destructor)entry_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One stored reply.",
};

static void unlink_entry(ReplyTable *t, Entry *e) {
    if (e->newer) e->newer->older = e->older; else t->newest = e->older;
    if (e->older) e->older->newer = e->newer; else t->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void link_newest(ReplyTable *t, Entry *e) {
    e->newer = NULL;
    e->older = t->newest;
    if (t->newest) t->newest->newer = e; else t->oldest = e;
    t->newest = e;
}

/* Unlinks and drops an entry; the dict's reference was the last one. */
static int remove_entry(ReplyTable *t, Entry *e) {
    unlink_entry(t, e);
    PyObject *key = Py_NewRef(e->key); /* the entry's own reference goes with it */
    int result = PyDict_DelItem(t->entries, key);
    Py_DECREF(key);
    return result;
}

static PyObject *make_key(const unsigned char *question, Py_ssize_t length, int has_opt) {
    PyObject *key = PyBytes_FromStringAndSize(NULL, length + 1);
    if (key == NULL) return NULL;
    char *out = PyBytes_AS_STRING(key);
    memcpy(out, question, (size_t)length);
    out[length] = (char)(has_opt ? 1 : 0);
    return key;
}

static int table_init(ReplyTable *t, PyObject *args, PyObject *kwds) {
    static char *names[] = {"max_entries", NULL};
    Py_ssize_t max_entries;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "n", names, &max_entries)) return -1;
    if (max_entries < 1) {
        PyErr_SetString(PyExc_ValueError, "max_entries must be at least 1");
        return -1;
    }
    Py_XSETREF(t->entries, PyDict_New());
    if (t->entries == NULL) return -1;
    t->newest = t->oldest = NULL;
    t->max_entries = max_entries;
    return 0;
}

static void table_dealloc(ReplyTable *t) {
    Py_XDECREF(t->entries);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

static PyObject *table_lookup(ReplyTable *t, PyObject *args) {
    PyObject *wire;
    double now;
    if (!PyArg_ParseTuple(args, "Sd", &wire, &now)) return NULL;
    const unsigned char *b = (const unsigned char *)PyBytes_AS_STRING(wire);
    plain_query q;
    if (!read_plain_query(b, PyBytes_GET_SIZE(wire), &q, NULL)) Py_RETURN_NONE;
    PyObject *key = make_key(b + PLAIN_HEADER, q.question_end - PLAIN_HEADER, q.has_opt);
    if (key == NULL) return NULL;
    Entry *e = (Entry *)PyDict_GetItemWithError(t->entries, key);
    Py_DECREF(key);
    if (e == NULL) {
        if (PyErr_Occurred()) return NULL;
        Py_RETURN_NONE;
    }
    long long left = -1;
    if (e->ttl >= 0) {
        left = (long long)(e->stored + (double)e->ttl - now); /* truncated, as int() does */
        if (left <= 0) {
            if (remove_entry(t, e) < 0) return NULL;
            Py_RETURN_NONE;
        }
    }
    unlink_entry(t, e);
    link_newest(t, e);
    Py_ssize_t size = PyBytes_GET_SIZE(e->reply);
    PyObject *reply = PyBytes_FromStringAndSize(NULL, size);
    if (reply == NULL) return NULL;
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(reply);
    memcpy(out, PyBytes_AS_STRING(e->reply), (size_t)size);
    out[0] = b[0]; /* the query's ID */
    out[1] = b[1];
    if (left >= 0) {
        unsigned long ttl = left > 0xFFFFFFFFLL ? 0xFFFFFFFFUL : (unsigned long)left;
        for (int k = 0; k < e->ttl_count; k++) {
            unsigned char *at = out + e->ttl_offsets[k];
            at[0] = (unsigned char)(ttl >> 24);
            at[1] = (unsigned char)(ttl >> 16);
            at[2] = (unsigned char)(ttl >> 8);
            at[3] = (unsigned char)ttl;
        }
    }
    PyObject *hit = PyTuple_Pack(3, reply, e->outcome, e->category);
    Py_DECREF(reply);
    return hit;
}

static int read_offsets(Entry *e, PyObject *offsets, Py_ssize_t reply_size) {
    Py_ssize_t count = PyTuple_GET_SIZE(offsets);
    if (count > MAX_TTLS) {
        PyErr_SetString(PyExc_ValueError, "too many records in the reply");
        return -1;
    }
    for (Py_ssize_t k = 0; k < count; k++) {
        Py_ssize_t at = PyLong_AsSsize_t(PyTuple_GET_ITEM(offsets, k));
        if (at == -1 && PyErr_Occurred()) return -1;
        if (at < PLAIN_HEADER || at + 4 > reply_size) {
            PyErr_SetString(PyExc_ValueError, "a TTL offset lies outside the reply");
            return -1;
        }
        e->ttl_offsets[k] = (unsigned short)at;
    }
    e->ttl_count = (int)count;
    return 0;
}

static PyObject *table_store(ReplyTable *t, PyObject *args) {
    PyObject *question, *reply, *offsets, *ttl, *outcome, *category;
    int has_opt;
    double stored;
    if (!PyArg_ParseTuple(args, "SpSO!dOUO", &question, &has_opt, &reply, &PyTuple_Type,
                          &offsets, &stored, &ttl, &outcome, &category))
        return NULL;
    if (PyBytes_GET_SIZE(reply) < PLAIN_HEADER || PyBytes_GET_SIZE(reply) > 0xFFFF) {
        PyErr_SetString(PyExc_ValueError, "not a DNS reply");
        return NULL;
    }
    Entry *e = PyObject_New(Entry, &EntryType);
    if (e == NULL) return NULL;
    e->key = make_key((const unsigned char *)PyBytes_AS_STRING(question),
                      PyBytes_GET_SIZE(question), has_opt);
    e->reply = Py_NewRef(reply);
    e->outcome = Py_NewRef(outcome);
    e->category = Py_NewRef(category);
    e->stored = stored;
    e->newer = e->older = NULL;
    e->ttl = -1;
    if (ttl != Py_None) {
        e->ttl = PyLong_AsLongLong(ttl);
        if (e->ttl == -1 && PyErr_Occurred()) goto fail;
        if (e->ttl < 0) {
            PyErr_SetString(PyExc_ValueError, "ttl must not be negative");
            goto fail;
        }
    }
    if (e->key == NULL || read_offsets(e, offsets, PyBytes_GET_SIZE(reply)) < 0) goto fail;
    Entry *old = (Entry *)PyDict_GetItemWithError(t->entries, e->key);
    if (old != NULL && remove_entry(t, old) < 0) goto fail;
    if (PyErr_Occurred() || PyDict_SetItem(t->entries, e->key, (PyObject *)e) < 0) goto fail;
    link_newest(t, e);
    Py_DECREF(e); /* the dict holds it now */
    while (PyDict_GET_SIZE(t->entries) > t->max_entries)
        if (remove_entry(t, t->oldest) < 0) return NULL;
    Py_RETURN_NONE;
fail:
    Py_DECREF(e);
    return NULL;
}

static PyObject *table_clear(ReplyTable *t, PyObject *unused) {
    (void)unused;
    t->newest = t->oldest = NULL;
    PyDict_Clear(t->entries);
    Py_RETURN_NONE;
}

static Py_ssize_t table_length(ReplyTable *t) { return PyDict_GET_SIZE(t->entries); }

static PyMethodDef table_methods[] = {
    {"lookup", (PyCFunction)table_lookup, METH_VARARGS,
     "(reply, outcome, category) for a plain query whose question is stored, else None."},
    {"store", (PyCFunction)table_store, METH_VARARGS, "Keep a reply for a question."},
    {"clear", (PyCFunction)table_clear, METH_NOARGS, "Forget every reply."},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods table_as_sequence = {.sq_length = (lenfunc)table_length};

static PyTypeObject ReplyTableType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "gateway.dns._reply_table.ReplyTable",
    .tp_basicsize = sizeof(ReplyTable),
    .tp_dealloc = (destructor)table_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Finished replies by question, least recently used evicted first.",
    .tp_methods = table_methods,
    .tp_as_sequence = &table_as_sequence,
    .tp_init = (initproc)table_init,
    .tp_new = PyType_GenericNew,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_reply_table", "Finished DNS replies by question.", -1, NULL,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__reply_table(void) {
    if (PyType_Ready(&EntryType) < 0 || PyType_Ready(&ReplyTableType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "ReplyTable", (PyObject *)&ReplyTableType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
