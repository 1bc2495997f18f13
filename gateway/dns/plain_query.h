/* What makes a DNS query "plain", shared by the question parser and the reply table.
 *
 * Plain is what phones send: a query header (QR clear, opcode 0), exactly one question whose
 * name is uncompressed and at most 255 bytes, no answer or authority records, and at most one
 * additional record, which must be an OPT record ending the message. Anything else goes the
 * slow way, through dnslib.
 */
#ifndef HOTSPOT_PLAIN_QUERY_H
#define HOTSPOT_PLAIN_QUERY_H

#include <Python.h>

#define PLAIN_HEADER 12
#define PLAIN_MAX_NAME 255 /* RFC 1035: a name is at most 255 bytes in wire form */

typedef struct {
    Py_ssize_t question_end; /* the question is b[PLAIN_HEADER:question_end] */
    Py_ssize_t name_length;  /* bytes written to name, when one was asked for */
    int has_opt;
    int ascii; /* every byte of the name below 0x80 */
} plain_query;

/* 1 when b[0:len] is a plain query (q filled in), else 0. When name is not NULL it receives
 * the name as lowercase dotted text (room for PLAIN_MAX_NAME + 1 bytes, not terminated). */
static inline int read_plain_query(const unsigned char *b, Py_ssize_t len, plain_query *q,
                                   char *name) {
    if (len < PLAIN_HEADER + 5) return 0;
    unsigned int flags = (b[2] << 8) | b[3];
    unsigned int qd = (b[4] << 8) | b[5], an = (b[6] << 8) | b[7];
    unsigned int ns = (b[8] << 8) | b[9], ar = (b[10] << 8) | b[11];
    if ((flags & 0xF800) || qd != 1 || an || ns || ar > 1) return 0; /* QR, opcode, counts */
    Py_ssize_t i = PLAIN_HEADER, text = 0;
    int ascii = 1;
    for (;;) {
        if (i >= len) return 0;
        unsigned int n = b[i];
        if (n == 0) break;
        if (n > 63) return 0; /* a compression pointer or a reserved label type */
        if (i + 1 + (Py_ssize_t)n - PLAIN_HEADER > PLAIN_MAX_NAME || i + 1 + (Py_ssize_t)n > len)
            return 0;
        for (unsigned int k = 1; k <= n; k++)
            if (b[i + k] >= 0x80) ascii = 0;
        if (name != NULL) {
            if (text) name[text++] = '.';
            for (unsigned int k = 1; k <= n; k++) {
                unsigned char c = b[i + k];
                name[text++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
            }
        }
        i += 1 + n;
    }
    Py_ssize_t end = i + 5; /* the root byte, type, class */
    if (end > len) return 0;
    int has_opt = ar == 1;
    if (has_opt) {
        /* The OPT record: root name, type 41, and nothing after its rdata. */
        if (end + 11 > len || b[end] != 0 || b[end + 1] != 0 || b[end + 2] != 41) return 0;
        Py_ssize_t rdlen = (b[end + 9] << 8) | b[end + 10];
        if (end + 11 + rdlen != len) return 0;
    } else if (end != len) {
        return 0;
    }
    q->question_end = end;
    q->name_length = text;
    q->has_opt = has_opt;
    q->ascii = ascii;
    return 1;
}

#endif
