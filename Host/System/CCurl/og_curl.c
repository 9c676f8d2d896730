/* See og_curl.h: libcurl resolved with dlopen on first use. */
#include "og_curl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} api;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const char *load_error = "libcurl was not loaded";
static char load_error_text[512];

static void load(void) {
    /* RTLD_LOCAL: libcurl's symbols serve only these pointers. The handle is never closed. */
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        snprintf(load_error_text, sizeof load_error_text,
                 "libcurl.so.4 cannot be loaded (%s); install libcurl4 (Debian) or libcurl (RPM)", dlerror());
        load_error = load_error_text;
        return;
    }
#define RESOLVE(field, symbol)                                                                    \
    do {                                                                                          \
        *(void **)&api.field = dlsym(library, symbol);                                            \
        if (!api.field) {                                                                         \
            snprintf(load_error_text, sizeof load_error_text,                                     \
                     "libcurl.so.4 lacks %s; it is older than og-host needs (7.71 or later)", symbol); \
            load_error = load_error_text;                                                         \
            return;                                                                               \
        }                                                                                         \
    } while (0)
    RESOLVE(global_init, "curl_global_init");
    RESOLVE(easy_init, "curl_easy_init");
    RESOLVE(easy_cleanup, "curl_easy_cleanup");
    RESOLVE(easy_reset, "curl_easy_reset");
    RESOLVE(easy_perform, "curl_easy_perform");
    RESOLVE(easy_strerror, "curl_easy_strerror");
    RESOLVE(easy_setopt, "curl_easy_setopt");
    RESOLVE(easy_getinfo, "curl_easy_getinfo");
    RESOLVE(slist_append, "curl_slist_append");
    RESOLVE(slist_free_all, "curl_slist_free_all");
#undef RESOLVE
    /* curl_easy_init would run the global init itself, but not thread-safely on every
     * libcurl build; doing it here, inside pthread_once, is safe. */
    if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        load_error = "libcurl's global initialisation failed";
        api.easy_init = NULL;
        return;
    }
    load_error = NULL;
}

static int loaded(void) {
    pthread_once(&load_once, load);
    return load_error == NULL;
}

const char *og_curl_load_error(void) {
    pthread_once(&load_once, load);
    return load_error;
}

/* Every function below is only reached with a handle from og_curl_easy_init, which
 * returns NULL unless libcurl loaded; the checks keep misuse from calling NULL. */
CURL *og_curl_easy_init(void) { return loaded() ? api.easy_init() : NULL; }
void og_curl_easy_cleanup(CURL *c) { if (loaded() && c) api.easy_cleanup(c); }
void og_curl_easy_reset(CURL *c) { if (loaded() && c) api.easy_reset(c); }
CURLcode og_curl_easy_perform(CURL *c) { return loaded() ? api.easy_perform(c) : CURLE_FAILED_INIT; }
const char *og_curl_easy_strerror(CURLcode code) {
    return loaded() ? api.easy_strerror(code) : load_error;
}
struct curl_slist *og_curl_slist_append(struct curl_slist *list, const char *string) {
    return loaded() ? api.slist_append(list, string) : NULL;
}
void og_curl_slist_free_all(struct curl_slist *list) { if (loaded() && list) api.slist_free_all(list); }

CURLcode og_curl_setopt_long(CURL *c, CURLoption o, long v) { return loaded() ? api.easy_setopt(c, o, v) : CURLE_FAILED_INIT; }
CURLcode og_curl_setopt_ptr(CURL *c, CURLoption o, const void *v) { return loaded() ? api.easy_setopt(c, o, v) : CURLE_FAILED_INIT; }
CURLcode og_curl_setopt_str(CURL *c, CURLoption o, const char *v) { return loaded() ? api.easy_setopt(c, o, v) : CURLE_FAILED_INIT; }
CURLcode og_curl_setopt_off(CURL *c, CURLoption o, curl_off_t v) { return loaded() ? api.easy_setopt(c, o, v) : CURLE_FAILED_INIT; }
CURLcode og_curl_setopt_datacb(CURL *c, CURLoption o, og_curl_data_cb cb) {
    return loaded() ? api.easy_setopt(c, o, cb) : CURLE_FAILED_INIT;
}
CURLcode og_curl_setopt_blob(CURL *c, CURLoption o, const void *data, size_t len) {
    if (!loaded()) return CURLE_FAILED_INIT;
    struct curl_blob blob = { (void *)data, len, CURL_BLOB_COPY };
    return api.easy_setopt(c, o, &blob);
}
CURLcode og_curl_getinfo_long(CURL *c, CURLINFO i, long *v) { return loaded() ? api.easy_getinfo(c, i, v) : CURLE_FAILED_INIT; }
CURLcode og_curl_getinfo_str(CURL *c, CURLINFO i, char **v) { return loaded() ? api.easy_getinfo(c, i, v) : CURLE_FAILED_INIT; }
