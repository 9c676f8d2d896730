/*
 * hello_c.c — a complete og-host endpoint plugin in plain C11.
 *
 * Endpoint type `pem_dir`: a directory holding `<prefix>.crt` (the leaf and
 * its intermediates) and `<prefix>.key` (the private key), the layout many
 * daemons read. Build it with:
 *
 *   cc -std=c11 -Wall -Wextra -Werror $(pkg-config --cflags og-plugin) \
 *      -shared -fPIC -o libog-plugin-hello-c.so hello_c.c
 *
 * Read og_plugin.h first: it is the contract. This file shows the parts a C
 * author most often gets wrong — negotiation, struct sizes, borrowed strings
 * that are not NUL-terminated, and who frees what. og_plugin_util.h (header
 * only, optional) supplies the helpers every C plugin would otherwise write:
 * og_str comparison, option lookup, results that own their strings, path
 * joining and PEM scanning.
 */
#include <og_plugin.h>
#include <og_plugin_util.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The lowest host minor whose services this plugin calls. Everything used
 * here exists since 1.0; raise it when you start calling a newer service.
 * (A variable rather than a macro: with 0, `minor < 0` on an unsigned field
 * would trip -Wtype-limits.) */
static const uint16_t required_host_minor = 0;

#define CERT_DIR_MAX 4096
#define PREFIX_MAX 64
/* "<dir>/<prefix>.crt" plus the terminating NUL, with room to spare. */
#define PATH_CAPACITY (CERT_DIR_MAX + 1 + PREFIX_MAX + 8)

/* Set once by og_plugin_entry, before the host calls any other slot, and
 * never changed again: that is why the slots may read it from any thread
 * without a lock, and why this plugin can advertise OG_PLUGIN_THREAD_SAFE. */
static const og_host_api *host_api;

/* ------------------------------------------------------------------------ */
/* Borrowed strings.                                                        */
/* og_str is pointer + length and is NOT NUL-terminated: never hand .ptr to */
/* strlen, printf("%s") or fopen. Copy it (or print it with "%.*s").        */
/* ------------------------------------------------------------------------ */

/* og_str_of, og_str_is_valid and og_str_equals (og_plugin_util.h) cover
 * the rest: a NULL pointer is only allowed together with length 0. */
#define text og_str_of

/* printf's precision is an int; every string we print is bounded far below INT_MAX. */
static int printable_length(og_str value)
{
    return value.len > 4096 ? 4096 : (int)value.len;
}

/* Attaches a message for the operator to the call and returns `status`, so
 * a slot can `return fail(...)`. The host shows the message with the field;
 * say what is wrong and how to fix it, and never include a secret. */
__attribute__((format(printf, 4, 5)))
static og_status fail(og_call *call, og_status status, const char *field, const char *format, ...)
{
    char message[512];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(message, sizeof message, format, arguments);
    va_end(arguments);
    host_api->set_error(call, text(field), text(message));
    return status;
}

/* ------------------------------------------------------------------------ */
/* The endpoint's options.                                                  */
/* ------------------------------------------------------------------------ */

typedef struct pem_dir_config {
    og_str cert_dir; /* borrowed from the endpoint: valid during this call only */
    og_str prefix;
} pem_dir_config;

/* Finds option `name`. og_endpoint_option reads fields of the host struct
 * only when they lie inside its struct_size (OG_HAS_FIELD): a host built
 * against an older minor may pass a shorter struct, and reading past it
 * reads someone else's memory. */
static int find_option(const og_endpoint *endpoint, const char *name, og_str *value)
{
    const og_str *found = og_endpoint_option(endpoint, name);
    if (found == NULL)
        return 0;
    *value = *found;
    return 1;
}

/* Reads and checks both options. Every slot goes through here, so a value
 * edited in the inventory behind the host's back is caught as well. */
static og_status read_config(og_call *call, const og_endpoint *endpoint, pem_dir_config *config)
{
    if (endpoint == NULL)
        return fail(call, OG_ERR_INVALID_ARGUMENT, "endpoint", "the host passed no endpoint");
    if (!find_option(endpoint, "cert_dir", &config->cert_dir) || config->cert_dir.len == 0)
        return fail(call, OG_ERR_INVALID_ARGUMENT, "cert_dir", "is missing; give the directory with --cert_dir");
    if (config->cert_dir.len > CERT_DIR_MAX || config->cert_dir.ptr[0] != '/')
        return fail(call, OG_ERR_INVALID_ARGUMENT, "cert_dir",
                    "'%.*s' is not an absolute path of at most %d bytes; give one such as /etc/ssl/site",
                    printable_length(config->cert_dir), config->cert_dir.ptr, CERT_DIR_MAX);
    if (!find_option(endpoint, "file_prefix", &config->prefix))
        config->prefix = text("server");
    if (config->prefix.len == 0 || config->prefix.len > PREFIX_MAX)
        return fail(call, OG_ERR_INVALID_ARGUMENT, "file_prefix", "must be 1 to %d characters long", PREFIX_MAX);
    /* The prefix becomes part of a path: it must stay inside cert_dir. */
    if (!og_path_is_plain_name(config->prefix))
        return fail(call, OG_ERR_INVALID_ARGUMENT, "file_prefix",
                    "'%.*s' would leave cert_dir; use a plain file name such as server",
                    printable_length(config->prefix), config->prefix.ptr);
    return OG_OK;
}

/* Writes "<cert_dir>/<prefix><suffix>" into `buffer` (NUL-terminated for
 * our own printing) and returns it as an og_str for the host. read_config
 * bounded both parts, so the join always fits. */
static og_str file_path(const pem_dir_config *config, const char *suffix, char buffer[PATH_CAPACITY])
{
    char name[PREFIX_MAX + 8];
    int name_length = snprintf(name, sizeof name, "%.*s%s", printable_length(config->prefix), config->prefix.ptr, suffix);
    og_str file_name = { name, (size_t)name_length };
    og_str path = { buffer, og_path_join(buffer, PATH_CAPACITY, config->cert_dir, file_name) };
    return path;
}

/* ------------------------------------------------------------------------ */
/* Operation slots.                                                         */
/* ------------------------------------------------------------------------ */

static og_status validate_endpoint(og_call *call, const og_endpoint *endpoint)
{
    pem_dir_config config;
    return read_config(call, endpoint, &config);
}

static og_status test_connection(og_call *call, const og_endpoint *endpoint)
{
    pem_dir_config config;
    og_status status = read_config(call, endpoint, &config);
    if (status != OG_OK)
        return status;
    /* og_file_info is caller-owned: no release, but say how big it is. */
    og_file_info info = { .struct_size = sizeof info };
    status = host_api->stat_file(call, config.cert_dir, &info);
    if (status != OG_OK)
        return status; /* the host has already explained the failure */
    /* A missing path is OG_OK with type MISSING, not an error: tell the two apart. */
    if (info.type == OG_FILE_TYPE_MISSING)
        return fail(call, OG_ERR_NOT_FOUND, "cert_dir", "%.*s does not exist on the endpoint; create it or correct --cert_dir",
                    printable_length(config.cert_dir), config.cert_dir.ptr);
    /* stat does not follow a final symlink; "<link>/." makes it resolve one,
     * so a symlinked certificate directory still counts as a directory. */
    if (info.type == OG_FILE_TYPE_SYMLINK) {
        char resolved[PATH_CAPACITY];
        int length = snprintf(resolved, sizeof resolved, "%.*s/.", printable_length(config.cert_dir), config.cert_dir.ptr);
        og_str through_link = { resolved, (size_t)length };
        status = host_api->stat_file(call, through_link, &info);
        if (status != OG_OK)
            return status;
    }
    if (info.type != OG_FILE_TYPE_DIRECTORY)
        return fail(call, OG_ERR_CONFLICT, "cert_dir", "%.*s exists but is not a directory; correct --cert_dir",
                    printable_length(config.cert_dir), config.cert_dir.ptr);
    return OG_OK;
}

/* Every result this plugin returns comes from og_result_new, and every
 * array or string it points to from og_result_alloc/og_result_copy on that
 * result; so `release` is og_result_free whatever the type, and it frees
 * everything at once. Constant strings need no copy: they live as long as
 * the library. */

static og_status discover_nodes(og_call *call, const og_endpoint *endpoint, og_node_list **out)
{
    if (out == NULL)
        return OG_ERR_INVALID_ARGUMENT;
    *out = NULL;
    pem_dir_config config;
    og_status status = read_config(call, endpoint, &config);
    if (status != OG_OK)
        return status;

    char crt_path_buffer[PATH_CAPACITY];
    og_str crt_path = file_path(&config, ".crt", crt_path_buffer);
    og_str crt_name = { crt_path.ptr + crt_path.len - config.prefix.len - 4, config.prefix.len + 4 };

    /* Host results are host-owned: read them, copy what you keep, and give
     * each back with host_api->release exactly once. */
    og_directory_listing *listing = NULL;
    status = host_api->list_directory(call, config.cert_dir, &listing);
    if (status != OG_OK)
        return status;
    int found = 0;
    if (OG_HAS_FIELD(listing, og_directory_listing, count) && listing->names != NULL) {
        for (size_t i = 0; i < listing->count && !found; i++)
            found = og_str_is_valid(listing->names[i]) && listing->names[i].len == crt_name.len &&
                    memcmp(listing->names[i].ptr, crt_name.ptr, crt_name.len) == 0;
    }
    host_api->release(listing);

    og_node_list *list = og_result_new(sizeof *list);
    if (list == NULL)
        return fail(call, OG_ERR_NO_MEMORY, "", "out of memory listing %.*s",
                    printable_length(config.cert_dir), config.cert_dir.ptr);
    list->struct_size = sizeof *list;
    if (!found) {
        *out = list;
        return OG_OK;
    }

    og_buffer *certificate = NULL;
    status = host_api->read_file(call, crt_path, &certificate);
    if (status != OG_OK) {
        og_result_free(list);
        return status;
    }
    og_bytes contents = { NULL, 0 };
    if (OG_HAS_FIELD(certificate, og_buffer, data) && (certificate->data.ptr != NULL || certificate->data.len == 0))
        contents = certificate->data;
    /* The node carries the file's first certificate block. Should an operator
     * have put the key into the .crt as well, its block is skipped: a plugin
     * does nothing with key material (og_plugin.h, WHO DECIDES WHAT). */
    og_bytes leaf = { NULL, 0 };
    og_pem_block block;
    size_t offset = 0;
    while (leaf.len == 0 && og_pem_next(contents, &offset, &block))
        if (og_pem_is_certificate(&block))
            leaf = block.block;

    og_node *node = og_result_alloc(list, sizeof *node);
    int copied = node != NULL && og_result_copy(list, config.prefix, &node->id) &&
                 og_result_copy(list, crt_name, &node->name) && og_result_copy(list, crt_path, &node->certificate_path) &&
                 og_result_copy_bytes(list, leaf, &node->certificate);
    host_api->release(certificate);
    if (!copied) {
        og_result_free(list);
        return fail(call, OG_ERR_NO_MEMORY, "", "out of memory listing %.*s",
                    printable_length(config.cert_dir), config.cert_dir.ptr);
    }
    node->struct_size = sizeof *node;
    node->protocol = text("keystore");
    node->detail = text("PEM directory: <prefix>.crt and <prefix>.key");
    list->nodes = node;
    list->count = 1;
    *out = list;
    return OG_OK;
}

static og_status plan_install(og_call *call, const og_endpoint *endpoint, const og_install_request *request,
                              og_install_plan **out)
{
    if (out == NULL)
        return OG_ERR_INVALID_ARGUMENT;
    *out = NULL;
    pem_dir_config config;
    og_status status = read_config(call, endpoint, &config);
    if (status != OG_OK)
        return status;
    if (request == NULL)
        return fail(call, OG_ERR_INVALID_ARGUMENT, "request", "the host passed no install request");
    /* An empty node id means "choose for me"; this endpoint has one node. */
    og_str node_id = OG_HAS_FIELD(request, og_install_request, node_id) ? request->node_id : text("");
    if (!og_str_is_valid(node_id))
        return fail(call, OG_ERR_INVALID_ARGUMENT, "node", "the host passed a NULL node id with a length");
    if (node_id.len > 0 && (node_id.len != config.prefix.len || memcmp(node_id.ptr, config.prefix.ptr, node_id.len) != 0))
        return fail(call, OG_ERR_NOT_FOUND, "node", "'%.*s' is not a node of this endpoint; its only node is %.*s",
                    printable_length(node_id), node_id.ptr, printable_length(config.prefix), config.prefix.ptr);

    char crt_buffer[PATH_CAPACITY], key_buffer[PATH_CAPACITY], summary_buffer[2 * PATH_CAPACITY + 64];
    og_str crt_path = file_path(&config, ".crt", crt_buffer);
    og_str key_path = file_path(&config, ".key", key_buffer);
    int summary_length = snprintf(summary_buffer, sizeof summary_buffer, "write the full chain to %s and the key to %s",
                                  crt_buffer, key_buffer);
    og_str summary = { summary_buffer, (size_t)summary_length };

    og_install_plan *plan = og_result_new(sizeof *plan);
    og_file_change *changes = og_result_alloc(plan, 2 * sizeof *changes);
    if (changes == NULL || !og_result_copy(plan, crt_path, &changes[0].path) ||
        !og_result_copy(plan, key_path, &changes[1].path) || !og_result_copy(plan, summary, &plan->summary) ||
        !og_result_copy(plan, config.prefix, &plan->node_id)) {
        og_result_free(plan);
        return fail(call, OG_ERR_NO_MEMORY, "", "out of memory planning the install");
    }

    /* The host produces the bytes of both files from the material being
     * installed: the private key never passes through this plugin. */
    changes[0].struct_size = sizeof changes[0];
    changes[0].content_kind = OG_CONTENT_FULLCHAIN_PEM;
    changes[0].mode = 0644;

    changes[1].struct_size = sizeof changes[1];
    changes[1].content_kind = OG_CONTENT_PRIVATE_KEY_PEM;
    changes[1].mode = 0600;
    changes[1].flags = OG_FILE_SECRET; /* never shown in a diff or a log */

    plan->struct_size = sizeof *plan;
    plan->changes = changes;
    plan->change_count = 2;
    *out = plan;
    return OG_OK;
}

/* Checks that `path` is a non-empty regular file. */
static og_status require_non_empty(og_call *call, og_str path, const char *path_text)
{
    og_file_info info = { .struct_size = sizeof info };
    og_status status = host_api->stat_file(call, path, &info);
    if (status != OG_OK)
        return status;
    if (info.type != OG_FILE_TYPE_REGULAR || info.size == 0)
        return fail(call, OG_ERR_CONFIG_TEST, "cert_dir", "%s is missing or empty; install a certificate first",
                    path_text);
    return OG_OK;
}

static og_status config_test(og_call *call, const og_endpoint *endpoint)
{
    pem_dir_config config;
    og_status status = read_config(call, endpoint, &config);
    if (status != OG_OK)
        return status;
    char crt_buffer[PATH_CAPACITY], key_buffer[PATH_CAPACITY];
    status = require_non_empty(call, file_path(&config, ".crt", crt_buffer), crt_buffer);
    if (status != OG_OK)
        return status;
    return require_non_empty(call, file_path(&config, ".key", key_buffer), key_buffer);
}

/* ------------------------------------------------------------------------ */
/* Descriptor and table: static and read-only, valid until the process     */
/* exits, as the header requires.                                           */
/* ------------------------------------------------------------------------ */

static const og_option_schema pem_dir_options[] = {
    {
        .struct_size = sizeof(og_option_schema),
        .name = "cert_dir",
        .kind = OG_OPTION_PATH,
        .flags = OG_OPTION_REQUIRED,
        .min = 1,
        .max = CERT_DIR_MAX,
        .help = "Absolute path of the directory that holds <prefix>.crt and <prefix>.key.",
    },
    {
        .struct_size = sizeof(og_option_schema),
        .name = "file_prefix",
        .kind = OG_OPTION_STRING,
        .min = 1,
        .max = PREFIX_MAX,
        .default_value = "server",
        .help = "File name before .crt and .key; a plain name, no '/'.",
    },
};

static const og_endpoint_type endpoint_types[] = {
    {
        .struct_size = sizeof(og_endpoint_type),
        .name = "pem_dir",
        .summary = "A directory with <prefix>.crt (leaf and chain) and <prefix>.key",
        .connection_types = OG_CONN_LOCAL | OG_CONN_SSH,
        .capabilities = OG_CAP_TEST_CONNECTION | OG_CAP_DISCOVER | OG_CAP_INSTALL | OG_CAP_CONFIG_TEST,
        .options = pem_dir_options,
        .option_count = sizeof pem_dir_options / sizeof pem_dir_options[0],
    },
};

static const og_plugin_descriptor descriptor = {
    .struct_size = sizeof(og_plugin_descriptor),
    .name = "hello-c",
    .version = "1.0.0",
    .license = "Apache-2.0",
    .summary = "Example plugin in C: certificate and key files in one directory",
    .sdk_major = OG_ABI_MAJOR,
    .sdk_minor = OG_ABI_MINOR,
    .types = endpoint_types,
    .type_count = sizeof endpoint_types / sizeof endpoint_types[0],
};

static const og_plugin_descriptor *describe(void)
{
    return &descriptor;
}

/* Slots left out stay NULL, which tells the host "not supported". */
static const og_plugin_api plugin_api = {
    .struct_size = sizeof(og_plugin_api),
    .abi_major = OG_ABI_MAJOR,
    .abi_minor = OG_ABI_MINOR,
    .flags = OG_PLUGIN_THREAD_SAFE,
    .describe = describe,
    .release = og_result_free, /* every result comes from og_result_new */
    .validate_endpoint = validate_endpoint,
    .test_connection = test_connection,
    .discover_nodes = discover_nodes,
    .plan_install = plan_install,
    .config_test = config_test,
};

/* ------------------------------------------------------------------------ */
/* Negotiation.                                                             */
/* ------------------------------------------------------------------------ */

/* True when the host's table holds a non-NULL `slot`. */
#define HOST_OFFERS(host, slot) (OG_HAS_FIELD(host, og_host_api, slot) && (host)->slot != NULL)

OG_PLUGIN_EXPORT og_status og_plugin_entry(const og_host_offer *offer, const og_plugin_api **out)
{
    if (offer == NULL || out == NULL)
        return OG_ERR_INVALID_ARGUMENT;
    /* Major first, and nothing else is read when it differs: a host of
     * another major may have laid out everything after it differently. */
    if (offer->abi_major != OG_ABI_MAJOR || offer->abi_minor < required_host_minor)
        return OG_ERR_ABI_MISMATCH;
    if (!OG_HAS_FIELD(offer, og_host_offer, host) || offer->host == NULL)
        return OG_ERR_INVALID_ARGUMENT;
    const og_host_api *host = offer->host;
    if (host->abi_major != OG_ABI_MAJOR || host->abi_minor < required_host_minor)
        return OG_ERR_ABI_MISMATCH;
    /* Refuse now rather than crash later on a service the host lacks. */
    if (!HOST_OFFERS(host, set_error) || !HOST_OFFERS(host, release) || !HOST_OFFERS(host, stat_file) ||
        !HOST_OFFERS(host, list_directory) || !HOST_OFFERS(host, read_file))
        return OG_ERR_ABI_MISMATCH;
    host_api = host;
    /* A table never claims a minor above the host's. hello-c uses nothing added
     * after 1.0, so under an older host it answers with that host's minor. */
    static og_plugin_api older_minor_api;
    if (offer->abi_minor < OG_ABI_MINOR) {
        older_minor_api = plugin_api;
        older_minor_api.abi_minor = offer->abi_minor;
        *out = &older_minor_api;
    } else {
        *out = &plugin_api;
    }
    return OG_OK;
}
