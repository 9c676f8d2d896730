#ifndef OG_CCURL_H
#define OG_CCURL_H
/* Thin view of libcurl for Swift, loaded on first use.
 *
 * og-host does not link libcurl: linking it maps about 26 more shared
 * libraries (HTTP/2, IDN, Kerberos, LDAP, brotli, ...) into every og-host
 * process, and most commands never speak HTTP. The first og_curl_* call
 * dlopen()s libcurl.so.4 once (thread-safe); when it cannot be loaded,
 * og_curl_easy_init returns NULL and og_curl_load_error says why.
 *
 * curl/curl.h is included for its types and constants only; every function
 * is reached through the og_ wrappers below. curl_easy_setopt/getinfo are
 * variadic, which Swift cannot call, so each argument type gets a typed
 * wrapper. */
#include <curl/curl.h>
#include <stddef.h>

/* NULL once libcurl is loaded; otherwise a static message naming the library and dlerror(). */
const char *og_curl_load_error(void);

CURL *og_curl_easy_init(void);
void og_curl_easy_cleanup(CURL *c);
void og_curl_easy_reset(CURL *c);
CURLcode og_curl_easy_perform(CURL *c);
const char *og_curl_easy_strerror(CURLcode code);
struct curl_slist *og_curl_slist_append(struct curl_slist *list, const char *string);
void og_curl_slist_free_all(struct curl_slist *list);

CURLcode og_curl_setopt_long(CURL *c, CURLoption o, long v);
CURLcode og_curl_setopt_ptr(CURL *c, CURLoption o, const void *v);
CURLcode og_curl_setopt_str(CURL *c, CURLoption o, const char *v);
CURLcode og_curl_setopt_off(CURL *c, CURLoption o, curl_off_t v);
typedef size_t (*og_curl_data_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);
CURLcode og_curl_setopt_datacb(CURL *c, CURLoption o, og_curl_data_cb cb);
/* Blobs are copied by libcurl (CURL_BLOB_COPY), so the caller's bytes need not outlive the call. */
CURLcode og_curl_setopt_blob(CURL *c, CURLoption o, const void *data, size_t len);
CURLcode og_curl_getinfo_long(CURL *c, CURLINFO i, long *v);
CURLcode og_curl_getinfo_str(CURL *c, CURLINFO i, char **v);
#endif
