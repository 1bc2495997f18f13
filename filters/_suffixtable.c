/*
 * SuffixTable: the lookup hot path of the blocklist engine.
 *
 * An open-addressing table of 64-bit fingerprints of listed keys (names reversed, with a
 * closing dot: "example.com" -> "moc.elpmaxe."), with a 16-bit value per slot, laid over
 * buffers that may be mmap'd from a snapshot file and shared by every process.
 *
 * match(name) walks the queried name once from its end, hashing it as its key would be
 * hashed; at every label boundary the running hash is the hash of one parent suffix's key,
 * so every suffix is probed in a single pass with no string built. Python walking the same
 * suffixes through a trie spent most of its time in memory stalls and call overhead.
 *
 * A false match needs two different keys with the same 64-bit fingerprint: about one in
 * 10^12 lookups against 10 million names.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static inline uint64_t fnv_step(uint64_t h, unsigned char c) {
    return (h ^ c) * FNV_PRIME;
}

/* FNV-1a alone clusters on similar keys; the murmur3 finaliser spreads its bits. */
static inline uint64_t finish(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h ? h : 1; /* 0 marks an empty slot */
}

static inline unsigned char lower(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

typedef struct {
    PyObject_HEAD
    Py_buffer table;  /* uint64 fingerprints, 0 = empty */
    Py_buffer values; /* uint16 per slot */
    uint64_t slots;
    int writable;
} SuffixTable;

static inline uint64_t slot_of(uint64_t h, uint64_t slots) {
    return (uint64_t)(((unsigned __int128)h * slots) >> 64);
}

static int probe(const SuffixTable *t, uint64_t h, uint16_t *value) {
    const uint64_t *table = (const uint64_t *)t->table.buf;
    uint64_t i = slot_of(h, t->slots);
    for (uint64_t n = 0; n < t->slots; n++) {
        uint64_t f = table[i];
        if (f == h) {
            *value = ((const uint16_t *)t->values.buf)[i];
            return 1;
        }
        if (f == 0)
            return 0;
        if (++i == t->slots)
            i = 0;
    }
    return 0;
}

static void SuffixTable_dealloc(SuffixTable *self) {
    if (self->table.obj)
        PyBuffer_Release(&self->table);
    if (self->values.obj)
        PyBuffer_Release(&self->values);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int SuffixTable_init(SuffixTable *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"table", "values", "writable", NULL};
    PyObject *table, *values;
    int writable = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|p", kwlist, &table, &values, &writable))
        return -1;
    int flags = writable ? PyBUF_WRITABLE : PyBUF_SIMPLE;
    if (PyObject_GetBuffer(table, &self->table, flags) < 0)
        return -1;
    if (PyObject_GetBuffer(values, &self->values, flags) < 0)
        return -1;
    if (self->table.len % 8 || self->table.len == 0 ||
        self->values.len != self->table.len / 4) {
        PyErr_SetString(PyExc_ValueError, "table must be 8n bytes and values 2n bytes, n > 0");
        return -1;
    }
    self->slots = (uint64_t)self->table.len / 8;
    self->writable = writable;
    return 0;
}

static PyObject *SuffixTable_insert(SuffixTable *self, PyObject *args) {
    const char *key;
    Py_ssize_t len;
    unsigned int value;
    if (!PyArg_ParseTuple(args, "s#I", &key, &len, &value))
        return NULL;
    if (!self->writable) {
        PyErr_SetString(PyExc_TypeError, "table is read-only");
        return NULL;
    }
    if (value > 0xFFFF) {
        PyErr_SetString(PyExc_ValueError, "value must fit in 16 bits");
        return NULL;
    }
    uint64_t h = FNV_OFFSET;
    for (Py_ssize_t i = 0; i < len; i++)
        h = fnv_step(h, lower((unsigned char)key[i]));
    h = finish(h);
    uint64_t *table = (uint64_t *)self->table.buf;
    uint64_t i = slot_of(h, self->slots);
    for (uint64_t n = 0; n < self->slots; n++) {
        if (table[i] == 0 || table[i] == h) {
            table[i] = h;
            ((uint16_t *)self->values.buf)[i] = (uint16_t)value;
            Py_RETURN_NONE;
        }
        if (++i == self->slots)
            i = 0;
    }
    PyErr_SetString(PyExc_OverflowError, "table is full");
    return NULL;
}

/* Append (key_length, value) for one hit; key_length counts the closing dot. */
static int add_hit(PyObject **hits, Py_ssize_t key_len, uint16_t value) {
    if (*hits == NULL && (*hits = PyList_New(0)) == NULL)
        return -1;
    PyObject *item = Py_BuildValue("(nI)", key_len, (unsigned int)value);
    if (item == NULL)
        return -1;
    int rc = PyList_Append(*hits, item);
    Py_DECREF(item);
    return rc;
}

/* A name has at most 127 labels (253 bytes); one more for the whole name. */
#define MAX_KEYS 130

/* One walk over the name from its end collects the fingerprint of every suffix's key; all
 * their slots are prefetched before any is read, so the cache misses of a big table overlap
 * instead of queueing (most of a lookup's time was these misses, one after another). Then
 * `a` and, when given, `b` are probed, shortest suffix first. */
static int walk(const SuffixTable *a, const SuffixTable *b, PyObject *name, PyObject **hits_a,
                PyObject **hits_b) {
    if (!PyUnicode_Check(name) || !PyUnicode_IS_ASCII(name)) {
        PyErr_SetString(PyExc_TypeError, "match() takes an ASCII str");
        return -1;
    }
    const unsigned char *s = PyUnicode_1BYTE_DATA(name);
    Py_ssize_t len = PyUnicode_GET_LENGTH(name);
    if (len && s[len - 1] == '.')
        len--; /* a fully qualified name: the root's dot is not part of the key */
    uint64_t fingerprints[MAX_KEYS];
    Py_ssize_t key_lens[MAX_KEYS];
    int n = 0;
    uint64_t h = FNV_OFFSET;
    for (Py_ssize_t i = len - 1; i >= 0; i--) {
        unsigned char c = lower(s[i]);
        h = fnv_step(h, c);
        /* After a dot the running hash is that of the key of the suffix right of it. Past
         * MAX_KEYS (no valid name gets there) only the longest suffixes go unprobed. */
        if (c == '.' && i < len - 1 && n < MAX_KEYS - 1) {
            fingerprints[n] = finish(h);
            key_lens[n++] = len - i;
        }
    }
    if (len) {
        fingerprints[n] = finish(fnv_step(h, '.')); /* the whole name's key */
        key_lens[n++] = len + 1;
    }
    const uint64_t *table = (const uint64_t *)a->table.buf;
    for (int k = 0; k < n; k++)
        __builtin_prefetch(&table[slot_of(fingerprints[k], a->slots)]);
    uint16_t value;
    for (int k = 0; k < n; k++) {
        if (probe(a, fingerprints[k], &value) && add_hit(hits_a, key_lens[k], value) < 0)
            return -1;
        if (b != NULL && probe(b, fingerprints[k], &value) &&
            add_hit(hits_b, key_lens[k], value) < 0)
            return -1;
    }
    return 0;
}

static PyObject *SuffixTable_match(SuffixTable *self, PyObject *name) {
    PyObject *hits = NULL;
    if (walk(self, NULL, name, &hits, NULL) < 0) {
        Py_XDECREF(hits);
        return NULL;
    }
    if (hits == NULL)
        Py_RETURN_NONE;
    return hits;
}

static PyTypeObject SuffixTableType;

/* match_both(other, name): None, or (hits in other, hits in self) with None for no hits.
 * The gateway asks its small overlay table and the big snapshot table about every query;
 * one walk for both halves the hashing and the calls. */
static PyObject *SuffixTable_match_both(SuffixTable *self, PyObject *const *args,
                                        Py_ssize_t nargs) {
    if (nargs != 2 || !PyObject_TypeCheck(args[0], &SuffixTableType)) {
        PyErr_SetString(PyExc_TypeError, "match_both(other: SuffixTable, name: str)");
        return NULL;
    }
    PyObject *mine = NULL, *theirs = NULL;
    if (walk(self, (SuffixTable *)args[0], args[1], &mine, &theirs) < 0) {
        Py_XDECREF(mine);
        Py_XDECREF(theirs);
        return NULL;
    }
    if (mine == NULL && theirs == NULL)
        Py_RETURN_NONE;
    return Py_BuildValue("(NN)", theirs ? theirs : Py_NewRef(Py_None),
                         mine ? mine : Py_NewRef(Py_None));
}

static PyObject *SuffixTable_get(SuffixTable *self, PyObject *key) {
    Py_ssize_t len;
    const char *k = PyUnicode_AsUTF8AndSize(key, &len);
    if (k == NULL)
        return NULL;
    uint64_t h = FNV_OFFSET;
    for (Py_ssize_t i = 0; i < len; i++)
        h = fnv_step(h, lower((unsigned char)k[i]));
    uint16_t value;
    if (probe(self, finish(h), &value))
        return PyLong_FromUnsignedLong(value);
    Py_RETURN_NONE;
}

static PyMethodDef SuffixTable_methods[] = {
    {"insert", (PyCFunction)SuffixTable_insert, METH_VARARGS,
     "insert(key, value): store a key (reversed name with closing dot) and its 16-bit value."},
    {"match", (PyCFunction)SuffixTable_match, METH_O,
     "match(name): None, or [(key_length, value)] for every listed suffix of the name."},
    {"match_both", (PyCFunction)(void (*)(void))SuffixTable_match_both, METH_FASTCALL,
     "match_both(other, name): None, or (hits in other, hits in this table)."},
    {"get", (PyCFunction)SuffixTable_get, METH_O, "get(key): the value stored for a key, or None."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject SuffixTableType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "filters._suffixtable.SuffixTable",
    .tp_doc = "Fingerprint table of listed keys, matched against every suffix of a name.",
    .tp_basicsize = sizeof(SuffixTable),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)SuffixTable_init,
    .tp_dealloc = (destructor)SuffixTable_dealloc,
    .tp_methods = SuffixTable_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_suffixtable", "The blocklist lookup hot path.", -1, NULL,
};

PyMODINIT_FUNC PyInit__suffixtable(void) {
    if (PyType_Ready(&SuffixTableType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&SuffixTableType);
    if (PyModule_AddObject(m, "SuffixTable", (PyObject *)&SuffixTableType) < 0) {
        Py_DECREF(&SuffixTableType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
