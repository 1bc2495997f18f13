/* The UDP listener's readable callback in C: most queries answered with no Python frame.
 *
 * At a low query rate each wake-up serves two or three queries on cold CPU caches, and every
 * Python frame on the way (the callback, the loop over the batch, the Front) showed in the
 * tail. The event loop calls this object itself when the socket is readable:
 *
 *   UdpLane(fd, known, answer, clock, lists, sync, allow, exempt, counters, slow)
 *
 *   known    dict: client address text -> True when the Front has found it a hotspot client
 *   answer   FastAnswers.answer(wire, now) -> bytes | None
 *   clock    the wire cache's clock; lists: the engine, whose .generation changes on a swap,
 *            when sync() (the Front's) is called before answering
 *   allow    the rate limit's TokenBuckets.allow, or None when it is off; exempt: NetworkSet
 *   counters DnsCounters: .queries grows by the queries answered here
 *   slow     slow([(wire, address, charged), ...]): the rest, through the Front in Python;
 *            charged: the rate limit already took this query's token
 *
 * Replies go out with sendmmsg; a full socket buffer drops the rest, like UDP. An error in
 * one of the calls above sends that query the slow way, where it surfaces.
 */
#define PY_SSIZE_T_CLEAN
#include "udp_batch.h"

#define ROUNDS 16 /* batches per wake-up, then back to the loop for TCP and slow answers */

typedef struct {
    PyObject_HEAD
    int fd;
    PyObject *known, *answer, *clock, *lists, *sync, *allow, *exempt, *counters, *slow;
    PyObject *generation_seen, *generation_name, *queries_name;
    udp_batch batch;
    PyObject *replies[BATCH];
    struct mmsghdr out[BATCH];
    struct iovec out_iov[BATCH];
} UdpLane;

static void lane_dealloc(UdpLane *l) {
    Py_XDECREF(l->known);
    Py_XDECREF(l->answer);
    Py_XDECREF(l->clock);
    Py_XDECREF(l->lists);
    Py_XDECREF(l->sync);
    Py_XDECREF(l->allow);
    Py_XDECREF(l->exempt);
    Py_XDECREF(l->counters);
    Py_XDECREF(l->slow);
    Py_XDECREF(l->generation_seen);
    Py_XDECREF(l->generation_name);
    Py_XDECREF(l->queries_name);
    Py_TYPE(l)->tp_free((PyObject *)l);
}

static int lane_init(UdpLane *l, PyObject *args, PyObject *kwds) {
    (void)kwds;
    PyObject *o[9];
    if (!PyArg_ParseTuple(args, "iO!OOOOOOOO", &l->fd, &PyDict_Type, &o[0], &o[1], &o[2], &o[3],
                          &o[4], &o[5], &o[6], &o[7], &o[8]))
        return -1;
    PyObject **fields[9] = {&l->known, &l->answer, &l->clock, &l->lists, &l->sync,
                            &l->allow, &l->exempt, &l->counters, &l->slow};
    for (int i = 0; i < 9; i++) Py_XSETREF(*fields[i], Py_NewRef(o[i]));
    Py_XSETREF(l->generation_name, PyUnicode_InternFromString("generation"));
    Py_XSETREF(l->queries_name, PyUnicode_InternFromString("queries"));
    Py_XSETREF(l->generation_seen, Py_NewRef(Py_None));
    return l->generation_name && l->queries_name ? 0 : -1;
}

/* Follow a change of lists: the Front syncs its caches and the C answers. */
static int follow_lists(UdpLane *l) {
    PyObject *generation = PyObject_GetAttr(l->lists, l->generation_name);
    if (generation == NULL) return -1;
    int same = PyObject_RichCompareBool(generation, l->generation_seen, Py_EQ);
    if (same == 0) {
        PyObject *done = PyObject_CallNoArgs(l->sync);
        if (done == NULL) same = -1;
        Py_XDECREF(done);
    }
    if (same >= 0) Py_XSETREF(l->generation_seen, Py_NewRef(generation));
    Py_DECREF(generation);
    return same < 0 ? -1 : 0;
}

/* 1: answer here (*charged set), 0: refused or unknown, go the slow way; errors cleared. */
static int may_answer(UdpLane *l, PyObject *host, int *charged) {
    PyObject *verdict = PyDict_GetItemWithError(l->known, host);
    if (verdict != Py_True) {
        PyErr_Clear();
        return 0;
    }
    if (l->allow == Py_None) return 1;
    int exempt = PySequence_Contains(l->exempt, host);
    if (exempt == 1) return 1;
    if (exempt < 0) {
        PyErr_Clear();
        return 0;
    }
    PyObject *allowed = PyObject_CallOneArg(l->allow, host);
    int yes = allowed != NULL && PyObject_IsTrue(allowed) == 1;
    Py_XDECREF(allowed);
    PyErr_Clear();
    *charged = yes; /* a refusal goes the slow way uncharged and is refused there */
    return yes;
}

static int pass_on(PyObject **rest, PyObject *wire, const struct sockaddr_storage *ss, int charged) {
    if (*rest == NULL && (*rest = PyList_New(0)) == NULL) return -1;
    PyObject *address = address_object(ss);
    if (address == NULL) return -1;
    PyObject *item = Py_BuildValue("(ONO)", wire, address, charged ? Py_True : Py_False);
    if (item == NULL) return -1;
    int rc = PyList_Append(*rest, item);
    Py_DECREF(item);
    return rc;
}

static void send_replies(UdpLane *l, int count) {
    for (int sent = 0; sent < count;) {
        int done = sendmmsg(l->fd, l->out + sent, (unsigned int)(count - sent), MSG_DONTWAIT);
        if (done < 0 && errno == EINTR) continue;
        if (done < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break; /* full: drop */
        sent += done < 0 ? 1 : done; /* one reply that cannot go out costs that reply only */
    }
    for (int i = 0; i < count; i++) Py_CLEAR(l->replies[i]);
}

static int count_queries(UdpLane *l, long long answered) {
    if (!answered) return 0;
    PyObject *before = PyObject_GetAttr(l->counters, l->queries_name);
    if (before == NULL) return -1;
    PyObject *add = PyLong_FromLongLong(answered);
    PyObject *after = add ? PyNumber_Add(before, add) : NULL;
    Py_DECREF(before);
    Py_XDECREF(add);
    if (after == NULL) return -1;
    int rc = PyObject_SetAttr(l->counters, l->queries_name, after);
    Py_DECREF(after);
    return rc;
}

/* One batch: the count received (-1 with an exception set); the rest handed to slow(). */
static int serve_batch(UdpLane *l) {
    int got = receive_batch_into(l->fd, &l->batch);
    if (got <= 0) return 0; /* nothing, or an error such as a queued ICMP one: read on later */
    if (follow_lists(l) < 0) return -1;
    PyObject *now = PyObject_CallNoArgs(l->clock);
    if (now == NULL) return -1;
    PyObject *rest = NULL;
    int count = 0, failed = 0;
    for (int i = 0; i < got && !failed; i++) {
        udp_batch *b = &l->batch;
        if (b->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) continue; /* no query is this big */
        char text[INET6_ADDRSTRLEN];
        if (!host_text(&b->addrs[i], text)) continue;
        PyObject *host = PyUnicode_FromString(text);
        PyObject *wire = PyBytes_FromStringAndSize(b->buffers[i], b->msgs[i].msg_len);
        if (host == NULL || wire == NULL) failed = 1;
        int charged = 0;
        PyObject *reply = NULL;
        if (!failed && may_answer(l, host, &charged)) {
            PyObject *call[2] = {wire, now};
            reply = PyObject_Vectorcall(l->answer, call, 2, NULL);
            if (reply == NULL) PyErr_Clear(); /* the slow way will meet the same error */
        }
        if (reply != NULL && PyBytes_Check(reply)) {
            l->replies[count] = reply;
            l->out_iov[count].iov_base = PyBytes_AS_STRING(reply);
            l->out_iov[count].iov_len = (size_t)PyBytes_GET_SIZE(reply);
            memset(&l->out[count], 0, sizeof l->out[count]);
            l->out[count].msg_hdr.msg_iov = &l->out_iov[count];
            l->out[count].msg_hdr.msg_iovlen = 1;
            l->out[count].msg_hdr.msg_name = &b->addrs[i];
            l->out[count].msg_hdr.msg_namelen = b->msgs[i].msg_hdr.msg_namelen;
            count++;
        } else {
            Py_XDECREF(reply);
            if (!failed && pass_on(&rest, wire, &b->addrs[i], charged) < 0) failed = 1;
        }
        Py_XDECREF(host);
        Py_XDECREF(wire);
    }
    Py_DECREF(now);
    send_replies(l, count);
    if (!failed && count_queries(l, count) < 0) failed = 1;
    if (!failed && rest != NULL) {
        PyObject *done = PyObject_CallOneArg(l->slow, rest);
        if (done == NULL) failed = 1;
        Py_XDECREF(done);
    }
    Py_XDECREF(rest);
    return failed ? -1 : got;
}

static PyObject *lane_call(UdpLane *l, PyObject *args, PyObject *kwds) {
    (void)args;
    (void)kwds;
    for (int round = 0; round < ROUNDS; round++) {
        int got = serve_batch(l);
        if (got < 0) return NULL;
        if (got < BATCH) break;
    }
    Py_RETURN_NONE;
}

static PyTypeObject UdpLaneType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "gateway.dns._udp_lane.UdpLane",
    .tp_basicsize = sizeof(UdpLane),
    .tp_dealloc = (destructor)lane_dealloc,
    .tp_call = (ternaryfunc)lane_call,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A UDP socket's readable callback answering the common queries in C.",
    .tp_init = (initproc)lane_init,
    .tp_new = PyType_GenericNew,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_udp_lane", "The UDP listener's callback in C.", -1,
    NULL, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__udp_lane(void) {
    if (PyType_Ready(&UdpLaneType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "UdpLane", (PyObject *)&UdpLaneType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
