/* Receiving datagrams in batches, shared by _datagrams.c and _udp_lane.c.
 *
 * recvmmsg(2) fills up to BATCH buffers of MAX_QUERY bytes; a larger datagram is marked
 * MSG_TRUNC and ignored (no query is that big). Addresses come back as Python's socket module
 * gives them: ("host", port) or ("host", port, flowinfo, scope_id).
 */
#ifndef HOTSPOT_UDP_BATCH_H
#define HOTSPOT_UDP_BATCH_H

#define _GNU_SOURCE
#include <Python.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define BATCH 64
#define MAX_QUERY 4096

typedef struct {
    struct mmsghdr msgs[BATCH];
    struct iovec iovs[BATCH];
    struct sockaddr_storage addrs[BATCH];
    char buffers[BATCH][MAX_QUERY];
} udp_batch;

/* Up to BATCH waiting datagrams, without waiting: the count, 0 for none, -1 with errno set. */
static inline int receive_batch_into(int fd, udp_batch *b) {
    memset(b->msgs, 0, sizeof b->msgs);
    for (int i = 0; i < BATCH; i++) {
        b->iovs[i].iov_base = b->buffers[i];
        b->iovs[i].iov_len = MAX_QUERY;
        b->msgs[i].msg_hdr.msg_iov = &b->iovs[i];
        b->msgs[i].msg_hdr.msg_iovlen = 1;
        b->msgs[i].msg_hdr.msg_name = &b->addrs[i];
        b->msgs[i].msg_hdr.msg_namelen = sizeof b->addrs[i];
    }
    int got;
    Py_BEGIN_ALLOW_THREADS
    got = recvmmsg(fd, b->msgs, BATCH, MSG_DONTWAIT, NULL);
    Py_END_ALLOW_THREADS
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return 0;
    return got;
}

/* The sender's address as text, into host (INET6_ADDRSTRLEN bytes); 0 if not IPv4 or IPv6. */
static inline int host_text(const struct sockaddr_storage *ss, char *host) {
    if (ss->ss_family == AF_INET)
        return inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, host,
                         INET6_ADDRSTRLEN) != NULL;
    if (ss->ss_family == AF_INET6)
        return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, host,
                         INET6_ADDRSTRLEN) != NULL;
    return 0;
}

static inline PyObject *address_object(const struct sockaddr_storage *ss) {
    char host[INET6_ADDRSTRLEN];
    if (!host_text(ss, host)) Py_RETURN_NONE;
    if (ss->ss_family == AF_INET)
        return Py_BuildValue("(si)", host, ntohs(((const struct sockaddr_in *)ss)->sin_port));
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
    return Py_BuildValue("(siII)", host, ntohs(in6->sin6_port),
                         (unsigned int)ntohl(in6->sin6_flowinfo), (unsigned int)in6->sin6_scope_id);
}

#endif
