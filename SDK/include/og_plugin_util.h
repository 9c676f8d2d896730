/*
 * og_plugin_util.h — small helpers for C plugin authors (header-only, C11).
 *
 * The ABI (og_plugin.h) makes every C plugin do the same few things: compare
 * and copy borrowed og_str values, find an option, build variable-size
 * results the host later hands back to `release`, join paths, pick PEM blocks
 * out of a file, and match a certificate's names to a node. These helpers do
 * exactly that and nothing more. They are `static inline`: nothing to link,
 * no symbol exported, and a plugin that includes this header depends on the
 * same ABI version as before. Optional: the contract is og_plugin.h alone.
 *
 * Every function here is thread-safe (no global state) and never reads past
 * the lengths it is given; none expects NUL-terminated og_str values.
 */
#ifndef OG_PLUGIN_UTIL_H
#define OG_PLUGIN_UTIL_H

#include "og_plugin.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* Borrowed strings.                                                     */
/* ===================================================================== */

/* An og_str viewing a NUL-terminated C string (static or kept alive). */
static inline og_str og_str_of(const char *text) {
    og_str value = { text, text == NULL ? 0 : strlen(text) };
    return value;
}

/* True when the view may be read: a NULL pointer only with length 0. */
static inline int og_str_is_valid(og_str value) { return value.ptr != NULL || value.len == 0; }

/* True when `value` holds exactly the bytes of the C string `text`. */
static inline int og_str_equals(og_str value, const char *text) {
    size_t length = strlen(text);
    return og_str_is_valid(value) && value.len == length && (length == 0 || memcmp(value.ptr, text, length) == 0);
}

/* The value of option `name` of `endpoint`, or NULL when the endpoint does not
 * carry it (an optional option without default that was not given). Reads
 * only inside endpoint->struct_size. An empty value (schema min 0) is
 * returned as an og_str of length 0, not as NULL. */
static inline const og_str *og_endpoint_option(const og_endpoint *endpoint, const char *name) {
    if (!OG_HAS_FIELD(endpoint, og_endpoint, option_count) || endpoint->options == NULL) return NULL;
    for (size_t i = 0; i < endpoint->option_count; i++) {
        const og_option *option = &endpoint->options[i];
        if (og_str_is_valid(option->value) && og_str_equals(option->name, name)) return &option->value;
    }
    return NULL;
}

/* ===================================================================== */
/* Results that own everything they point to.                            */
/*                                                                       */
/* A result (og_node_list, og_install_plan, og_undo_token) is created    */
/* with og_result_new; arrays and copied strings it points to come from  */
/* og_result_alloc / og_result_copy on that result, and og_result_free   */
/* frees all of it. Use og_result_free as the plugin's `release` slot     */
/* when every result comes from og_result_new:                           */
/*                                                                       */
/*     og_node_list *list = og_result_new(sizeof *list);                 */
/*     og_node *nodes = og_result_alloc(list, n * sizeof *nodes);        */
/*     og_result_copy(list, name, &nodes[0].name);                       */
/*     ...                                                               */
/*     .release = og_result_free,                                        */
/* ===================================================================== */

typedef struct og_result_chunk {
    struct og_result_chunk *next;
} og_result_chunk;

/* Room before each allocation for the chunk link, keeping max alignment. */
#ifdef __cplusplus
#define OG_RESULT_ALIGN alignof(max_align_t)
#else
#define OG_RESULT_ALIGN _Alignof(max_align_t)
#endif
#define OG_RESULT_HEADER ((sizeof(og_result_chunk) + OG_RESULT_ALIGN - 1) / OG_RESULT_ALIGN * OG_RESULT_ALIGN)

static inline og_result_chunk *og_result_head(void *result) {
    return (og_result_chunk *)(void *)((char *)result - OG_RESULT_HEADER);
}

/* A zeroed result of `size` bytes (set its struct_size yourself), or NULL
 * when out of memory. */
static inline void *og_result_new(size_t size) {
    if (size > (size_t)-1 - OG_RESULT_HEADER) return NULL;
    char *block = (char *)calloc(1, OG_RESULT_HEADER + size);
    return block == NULL ? NULL : block + OG_RESULT_HEADER;
}

/* `size` zeroed bytes owned by `result` (freed with it), or NULL. */
static inline void *og_result_alloc(void *result, size_t size) {
    if (result == NULL || size > (size_t)-1 - OG_RESULT_HEADER) return NULL;
    char *block = (char *)calloc(1, OG_RESULT_HEADER + (size == 0 ? 1 : size));
    if (block == NULL) return NULL;
    og_result_chunk *head = og_result_head(result);
    og_result_chunk *chunk = (og_result_chunk *)(void *)block;
    chunk->next = head->next;
    head->next = chunk;
    return block + OG_RESULT_HEADER;
}

/* Copies `value` into memory owned by `result` and points *copy at it.
 * Returns 1, or 0 when out of memory or `value` is not readable. */
static inline int og_result_copy(void *result, og_str value, og_str *copy) {
    if (!og_str_is_valid(value)) return 0;
    char *bytes = (char *)og_result_alloc(result, value.len);
    if (bytes == NULL) return 0;
    if (value.len > 0) memcpy(bytes, value.ptr, value.len);
    copy->ptr = bytes;
    copy->len = value.len;
    return 1;
}

/* The same for bytes. */
static inline int og_result_copy_bytes(void *result, og_bytes value, og_bytes *copy) {
    og_str text = { (const char *)value.ptr, value.len };
    og_str copied;
    if (!og_result_copy(result, text, &copied)) return 0;
    copy->ptr = (const uint8_t *)copied.ptr;
    copy->len = copied.len;
    return 1;
}

/* Frees a result of og_result_new and everything allocated on it. NULL is
 * ignored. Matches og_plugin_api.release. */
static inline void og_result_free(void *result) {
    if (result == NULL) return;
    og_result_chunk *head = og_result_head(result);
    og_result_chunk *chunk = head->next;
    while (chunk != NULL) {
        og_result_chunk *next = chunk->next;
        free(chunk);
        chunk = next;
    }
    free(head);
}

/* ===================================================================== */
/* Paths on POSIX endpoints.                                             */
/* ===================================================================== */

/* True when `name` is one plain path component: non-empty, no '/', no NUL,
 * not "." or "..". Check every operator-given file name with it before it
 * becomes part of a path, so it cannot leave the intended directory. */
static inline int og_path_is_plain_name(og_str name) {
    if (!og_str_is_valid(name) || name.len == 0) return 0;
    if (memchr(name.ptr, '/', name.len) != NULL || memchr(name.ptr, '\0', name.len) != NULL) return 0;
    return !og_str_equals(name, ".") && !og_str_equals(name, "..");
}

/* Writes `directory` + "/" + `name` to `out` (NUL-terminated), with exactly
 * one '/' between them; an absolute `name` (configuration files often give
 * one) replaces `directory`. Returns the length written without the NUL, or
 * 0 when the result does not fit in `capacity` or an input holds a NUL. */
static inline size_t og_path_join(char *out, size_t capacity, og_str directory, og_str name) {
    if (out == NULL || capacity == 0 || !og_str_is_valid(directory) || !og_str_is_valid(name)) return 0;
    if ((directory.len > 0 && memchr(directory.ptr, '\0', directory.len) != NULL) ||
        (name.len > 0 && memchr(name.ptr, '\0', name.len) != NULL)) return 0;
    size_t used = 0;
    if (name.len == 0 || name.ptr[0] != '/') {
        size_t keep = directory.len;
        while (keep > 1 && directory.ptr[keep - 1] == '/') keep--;
        if (keep >= capacity) return 0;
        if (keep > 0) memcpy(out, directory.ptr, keep);
        used = keep;
        if (name.len > 0 && !(used > 0 && out[used - 1] == '/')) {
            if (used + 1 >= capacity) return 0;
            out[used++] = '/';
        }
    }
    if (used + name.len >= capacity) return 0;
    if (name.len > 0) memcpy(out + used, name.ptr, name.len);
    used += name.len;
    out[used] = '\0';
    return used;
}

/* ===================================================================== */
/* PEM blocks.                                                           */
/* ===================================================================== */

typedef struct og_pem_block {
    og_str label;   /* "CERTIFICATE", "PRIVATE KEY", "RSA PRIVATE KEY", ... */
    og_bytes block; /* from "-----BEGIN" through the END line, armor included */
} og_pem_block;

static inline const char *og_pem_find_(const char *from, const char *end, const char *needle) {
    size_t length = strlen(needle);
    for (const char *at = from; at != NULL && (size_t)(end - at) >= length; at++) {
        at = (const char *)memchr(at, needle[0], (size_t)(end - at));
        if (at == NULL || (size_t)(end - at) < length) return NULL;
        if (memcmp(at, needle, length) == 0) return at;
    }
    return NULL;
}

/* Finds the next complete PEM block in `data` at or after *offset. Returns 1,
 * fills *block (views into `data`) and moves *offset past it; returns 0 when
 * no complete block is left. A BEGIN line without its matching END line
 * ends the scan. Text between blocks (comments, "Bag Attributes") is skipped.
 *
 * Files that hold a private key next to certificates may be read in
 * discovery, but a plugin may do nothing with a key block: skip it with
 * og_pem_is_private_key() (or hand the whole file to read_certificates). */
static inline int og_pem_next(og_bytes data, size_t *offset, og_pem_block *block) {
    if (offset == NULL || block == NULL || (data.ptr == NULL && data.len > 0) || *offset >= data.len) return 0;
    const char *start = (const char *)data.ptr;
    const char *end = start + data.len;
    const char *begin = og_pem_find_(start + *offset, end, "-----BEGIN ");
    if (begin == NULL) return 0;
    const char *label = begin + 11;
    const char *label_end = og_pem_find_(label, end, "-----");
    if (label_end == NULL || memchr(label, '\n', (size_t)(label_end - label)) != NULL) return 0;
    size_t label_length = (size_t)(label_end - label);
    const char *cursor = label_end + 5;
    for (;;) {
        const char *footer = og_pem_find_(cursor, end, "-----END ");
        if (footer == NULL) return 0;
        const char *footer_label = footer + 9;
        if ((size_t)(end - footer_label) >= label_length + 5 && memcmp(footer_label, label, label_length) == 0 &&
            memcmp(footer_label + label_length, "-----", 5) == 0) {
            const char *after = footer_label + label_length + 5;
            if (after < end && *after == '\r') after++;
            if (after < end && *after == '\n') after++;
            block->label.ptr = label;
            block->label.len = label_length;
            block->block.ptr = (const uint8_t *)begin;
            block->block.len = (size_t)(after - begin);
            *offset = (size_t)(after - start);
            return 1;
        }
        cursor = footer_label;
    }
}

/* True for certificate blocks ("CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE"). */
static inline int og_pem_is_certificate(const og_pem_block *block) {
    return og_str_equals(block->label, "CERTIFICATE") || og_str_equals(block->label, "TRUSTED CERTIFICATE") ||
           og_str_equals(block->label, "X509 CERTIFICATE");
}

/* True for any private key block ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", ...). */
static inline int og_pem_is_private_key(const og_pem_block *block) {
    static const char suffix[] = "PRIVATE KEY";
    size_t length = sizeof suffix - 1;
    return block->label.len >= length && memcmp(block->label.ptr + block->label.len - length, suffix, length) == 0;
}

/* ===================================================================== */
/* Certificate names against node names (RFC 6125, section 6.4).         */
/* ===================================================================== */

static inline unsigned char og_lower_(unsigned char c) { return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c; }

static inline int og_same_name_(const char *a, size_t a_length, const char *b, size_t b_length) {
    if (a_length != b_length) return 0;
    for (size_t i = 0; i < a_length; i++)
        if (og_lower_((unsigned char)a[i]) != og_lower_((unsigned char)b[i])) return 0;
    return 1;
}

/* True when the certificate name `pattern` (a subjectAltName dNSName, or the
 * common name when there are none) covers the host name `host`. The one rule
 * every plugin uses (og_plugin.h, WHO DECIDES WHAT; OGPluginKit's
 * HostNameMatch is the same):
 *  - ASCII case-insensitive; one trailing '.' on either side is ignored;
 *  - equal names match (so a "*.example.com" node is covered by a
 *    "*.example.com" certificate);
 *  - "*." as the entire left-most label matches exactly one non-empty label
 *    of `host`, and only when at least two labels follow it ("*.com" covers
 *    nothing); partial wildcards ("w*.example.com") and wildcards elsewhere
 *    never match;
 *  - a wildcard never covers an IP address. */
static inline int og_name_matches(og_str pattern, og_str host) {
    if (!og_str_is_valid(pattern) || !og_str_is_valid(host)) return 0;
    size_t p_length = pattern.len, h_length = host.len;
    if (p_length > 0 && pattern.ptr[p_length - 1] == '.') p_length--;
    if (h_length > 0 && host.ptr[h_length - 1] == '.') h_length--;
    if (p_length == 0 || h_length == 0) return 0;
    if (og_same_name_(pattern.ptr, p_length, host.ptr, h_length)) return 1;
    if (p_length < 3 || pattern.ptr[0] != '*' || pattern.ptr[1] != '.') return 0;
    const char *suffix = pattern.ptr + 1; /* ".example.com" */
    size_t suffix_length = p_length - 1;
    if (memchr(suffix, '*', suffix_length) != NULL || memchr(suffix + 1, '.', suffix_length - 1) == NULL) return 0;
    /* An IP address literal has only digits and dots (v4) or a ':' (v6). */
    int numeric = 1;
    for (size_t i = 0; i < h_length; i++) {
        char c = host.ptr[i];
        if (c == ':') return 0;
        if (!((c >= '0' && c <= '9') || c == '.')) numeric = 0;
    }
    if (numeric) return 0;
    const char *dot = (const char *)memchr(host.ptr, '.', h_length);
    if (dot == NULL || dot == host.ptr) return 0;
    size_t rest = h_length - (size_t)(dot - host.ptr);
    return og_same_name_(dot, rest, suffix, suffix_length);
}

/* True when `certificate` covers `host`: any dNSName matches, or, when it
 * has none, its common name does; iPAddress entries match an equal address. */
static inline int og_certificate_covers(const og_certificate_info *certificate, og_str host) {
    if (certificate == NULL) return 0;
    if (OG_HAS_FIELD(certificate, og_certificate_info, ip_address_count) && certificate->ip_addresses != NULL)
        for (size_t i = 0; i < certificate->ip_address_count; i++)
            if (og_str_is_valid(certificate->ip_addresses[i]) && certificate->ip_addresses[i].len == host.len &&
                host.len > 0 && memcmp(certificate->ip_addresses[i].ptr, host.ptr, host.len) == 0) return 1;
    size_t count = OG_HAS_FIELD(certificate, og_certificate_info, dns_name_count) && certificate->dns_names != NULL
        ? certificate->dns_name_count : 0;
    for (size_t i = 0; i < count; i++)
        if (og_name_matches(certificate->dns_names[i], host)) return 1;
    if (count == 0 && OG_HAS_FIELD(certificate, og_certificate_info, common_name))
        return og_name_matches(certificate->common_name, host);
    return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* OG_PLUGIN_UTIL_H */
