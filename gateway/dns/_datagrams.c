/* Batched UDP I/O for the resolver: recvmmsg(2) and sendmmsg(2), which Python's socket module lacks.
 *
 * At a hundred thousand queries a second the resolver spent more time in one recvfrom and one
 * sendto per query, and the event loop's callback around them, than in answering. One call here
 * moves up to BATCH datagrams each way.
 *
 *   receive(fd) -> list[(bytes, address)]     address as Python's socket module gives it
 *   send(fd, list[(bytes, address)]) -> int   how many went out; the rest are dropped, like UDP
 */
#define PY_SSIZE_T_CLEAN
#include "udp_batch.h"

static udp_batch received; /* one event loop per process reads through it */

static PyObject *receive_batch(PyObject *self, PyObject *args) {
    (void)self;
    int fd;
    if (!PyArg_ParseTuple(args, "i", &fd)) return NULL;
    int got = receive_batch_into(fd, &received);
    if (got < 0) return PyErr_SetFromErrno(PyExc_OSError);
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    for (int i = 0; i < got; i++) {
        if (received.msgs[i].msg_hdr.msg_flags & MSG_TRUNC) continue; /* no query is this big */
        PyObject *address = address_object(&received.addrs[i]);
        if (address == NULL) goto fail;
        PyObject *item = Py_BuildValue("(y#N)", received.buffers[i],
                                       (Py_ssize_t)received.msgs[i].msg_len, address);
        if (item == NULL) goto fail;
        int bad = PyList_Append(out, item);
        Py_DECREF(item);
        if (bad) goto fail;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* Fill `ss` from ("host", port[, flowinfo, scope_id]); -1 with an exception set if it is not one. */
static int sockaddr_from(PyObject *address, struct sockaddr_storage *ss, socklen_t *len) {
    const char *host;
    int port;
    unsigned int flowinfo = 0, scope_id = 0;
    if (!PyArg_ParseTuple(address, "si|II", &host, &port, &flowinfo, &scope_id)) return -1;
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        *len = sizeof *in;
        return 0;
    }
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        in6->sin6_flowinfo = htonl(flowinfo);
        in6->sin6_scope_id = scope_id;
        *len = sizeof *in6;
        return 0;
    }
    PyErr_Format(PyExc_ValueError, "not an IP address: %s", host);
    return -1;
}

static PyObject *send_batch(PyObject *self, PyObject *args) {
    (void)self;
    int fd;
    PyObject *replies;
    if (!PyArg_ParseTuple(args, "iO!", &fd, &PyList_Type, &replies)) return NULL;
    Py_ssize_t total = PyList_GET_SIZE(replies), sent = 0;
    struct mmsghdr msgs[BATCH];
    struct iovec iovs[BATCH];
    struct sockaddr_storage addrs[BATCH];
    while (sent < total) {
        int n = 0;
        memset(msgs, 0, sizeof msgs);
        for (; n < BATCH && sent + n < total; n++) {
            PyObject *item = PyList_GET_ITEM(replies, sent + n);
            PyObject *data, *address;
            if (!PyArg_ParseTuple(item, "SO", &data, &address)) return NULL;
            socklen_t len;
            if (sockaddr_from(address, &addrs[n], &len) < 0) return NULL;
            iovs[n].iov_base = PyBytes_AS_STRING(data);
            iovs[n].iov_len = (size_t)PyBytes_GET_SIZE(data);
            msgs[n].msg_hdr.msg_iov = &iovs[n];
            msgs[n].msg_hdr.msg_iovlen = 1;
            msgs[n].msg_hdr.msg_name = &addrs[n];
            msgs[n].msg_hdr.msg_namelen = len;
        }
        /* The replies list holds the bytes alive; the GIL stays held so nobody changes it. */
        int done = sendmmsg(fd, msgs, (unsigned int)n, MSG_DONTWAIT);
        if (done < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break; /* buffer full: drop the rest */
            /* A reply that cannot go out (an address gone) costs that reply only. */
            sent += 1;
            continue;
        }
        sent += done; /* a short count: the next call sends the rest, or says the buffer is full */
    }
    return PyLong_FromSsize_t(sent);
}

static PyMethodDef methods[] = {
    {"receive", receive_batch, METH_VARARGS, "Up to 64 waiting datagrams as (bytes, address) pairs."},
    {"send", send_batch, METH_VARARGS, "Send (bytes, address) pairs; returns how many went out."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_datagrams", "Batched UDP receive and send (recvmmsg, sendmmsg).", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__datagrams(void) { return PyModule_Create(&module); }
