#ifndef OG_CCURL_SHIM_H
#define OG_CCURL_SHIM_H
/* Thin view of libcurl for Swift. curl_easy_setopt/getinfo are variadic, which
 * Swift cannot call, so each argument type gets a typed wrapper. */
#include <curl/curl.h>

static inline CURLcode og_curl_setopt_long(CURL *c, CURLoption o, long v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode og_curl_setopt_ptr(CURL *c, CURLoption o, const void *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode og_curl_setopt_str(CURL *c, CURLoption o, const char *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode og_curl_setopt_off(CURL *c, CURLoption o, curl_off_t v) { return curl_easy_setopt(c, o, v); }
typedef size_t (*og_curl_data_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);
static inline CURLcode og_curl_setopt_datacb(CURL *c, CURLoption o, og_curl_data_cb cb) { return curl_easy_setopt(c, o, cb); }
static inline CURLcode og_curl_getinfo_long(CURL *c, CURLINFO i, long *v) { return curl_easy_getinfo(c, i, v); }
/* Blobs are copied by libcurl (CURL_BLOB_COPY), so the caller's bytes need not outlive the call. */
static inline CURLcode og_curl_setopt_blob(CURL *c, CURLoption o, const void *data, size_t len) {
    struct curl_blob blob = { (void *)data, len, CURL_BLOB_COPY };
    return curl_easy_setopt(c, o, &blob);
}
static inline CURLcode og_curl_getinfo_str(CURL *c, CURLINFO i, char **v) { return curl_easy_getinfo(c, i, v); }
#endif
