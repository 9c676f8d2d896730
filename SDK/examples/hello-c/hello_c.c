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
 * that are not NUL-terminated, and who frees what.
 */
#include <og_plugin.h>

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

static og_str text(const char *nul_terminated)
{
    og_str value = { nul_terminated, strlen(nul_terminated) };
    return value;
}

/* A NULL pointer is only allowed together with length 0. */
static int is_readable(og_str value)
{
    return value.ptr != NULL || value.len == 0;
}

static int equals(og_str value, const char *nul_terminated)
{
    size_t length = strlen(nul_terminated);
    return value.len == length && (length == 0 || memcmp(value.ptr, nul_terminated, length) == 0);
}

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

/* Finds option `name`. Fields of a host struct are read only when they lie
 * inside its struct_size (OG_HAS_FIELD): a host built against an older minor
 * may pass a shorter struct, and reading past it reads someone else's memory. */
static int find_option(const og_endpoint *endpoint, const char *name, og_str *value)
{
    if (!OG_HAS_FIELD(endpoint, og_endpoint, option_count) || endpoint->options == NULL)
        return 0;
    for (size_t i = 0; i < endpoint->option_count; i++) {
        const og_option *option = &endpoint->options[i];
        if (is_readable(option->name) && is_readable(option->value) && equals(option->name, name)) {
            *value = option->value;
            return 1;
        }
    }
    return 0;
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
    if (memchr(config->prefix.ptr, '/', config->prefix.len) != NULL ||
        memchr(config->prefix.ptr, '\0', config->prefix.len) != NULL ||
        equals(config->prefix, ".") || equals(config->prefix, ".."))
        return fail(call, OG_ERR_INVALID_ARGUMENT, "file_prefix",
                    "'%.*s' would leave cert_dir; use a plain file name such as server",
                    printable_length(config->prefix), config->prefix.ptr);
    return OG_OK;
}

/* Writes "<cert_dir>/<prefix><suffix>" into `buffer` (NUL-terminated for
 * our own printing) and returns it as an og_str for the host. */
static og_str file_path(const pem_dir_config *config, const char *suffix, char buffer[PATH_CAPACITY])
{
    int trailing_slash = config->cert_dir.ptr[config->cert_dir.len - 1] == '/';
    int length = snprintf(buffer, PATH_CAPACITY, "%.*s%s%.*s%s", printable_length(config->cert_dir),
                          config->cert_dir.ptr, trailing_slash ? "" : "/", printable_length(config->prefix),
                          config->prefix.ptr, suffix);
    og_str path = { buffer, (size_t)length };
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

/* Every result this plugin returns is ONE malloc'd block with the struct the
 * host sees at its start, so `release` is a single free() whatever the type.
 * The flexible array at the end holds the copied strings and bytes. */
typedef struct node_block {
    og_node_list list; /* first: the pointer the host receives and releases */
    og_node node;
    char data[];
} node_block;

typedef struct plan_block {
    og_install_plan plan; /* first, for the same reason */
    og_file_change changes[2];
    char data[];
} plan_block;

/* Copies `value` to `*cursor`, advances it, and returns the copy. */
static og_str copy_into(char **cursor, og_str value)
{
    og_str copy = { *cursor, value.len };
    if (value.len > 0)
        memcpy(*cursor, value.ptr, value.len);
    *cursor += value.len;
    return copy;
}

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
            found = is_readable(listing->names[i]) && listing->names[i].len == crt_name.len &&
                    memcmp(listing->names[i].ptr, crt_name.ptr, crt_name.len) == 0;
    }
    host_api->release(listing);

    og_buffer *certificate = NULL;
    og_bytes certificate_bytes = { NULL, 0 };
    if (found) {
        status = host_api->read_file(call, crt_path, &certificate);
        if (status != OG_OK)
            return status;
        if (OG_HAS_FIELD(certificate, og_buffer, data) && (certificate->data.ptr != NULL || certificate->data.len == 0))
            certificate_bytes = certificate->data;
    }

    size_t data_size = config.prefix.len + crt_name.len + crt_path.len + certificate_bytes.len;
    node_block *block = calloc(1, sizeof *block + data_size);
    if (block == NULL) {
        host_api->release(certificate);
        return fail(call, OG_ERR_NO_MEMORY, "", "out of memory listing %.*s",
                    printable_length(config.cert_dir), config.cert_dir.ptr);
    }
    block->list.struct_size = sizeof block->list;
    if (found) {
        char *cursor = block->data;
        og_node *node = &block->node;
        node->struct_size = sizeof *node;
        node->id = copy_into(&cursor, config.prefix);
        node->name = copy_into(&cursor, crt_name);
        /* Constant strings need no copy: they live as long as the library. */
        node->protocol = text("keystore");
        node->certificate_path = copy_into(&cursor, crt_path);
        /* The .crt holds the leaf first, then intermediates; never the key. */
        og_str certificate_text = { (const char *)certificate_bytes.ptr, certificate_bytes.len };
        og_str copied = copy_into(&cursor, certificate_text);
        node->certificate.ptr = (const uint8_t *)copied.ptr;
        node->certificate.len = copied.len;
        node->detail = text("PEM directory: <prefix>.crt and <prefix>.key");
        block->list.nodes = node;
        block->list.count = 1;
    }
    host_api->release(certificate);
    *out = &block->list;
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
    if (!is_readable(node_id))
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

    plan_block *block = calloc(1, sizeof *block + crt_path.len + key_path.len + summary.len + config.prefix.len);
    if (block == NULL)
        return fail(call, OG_ERR_NO_MEMORY, "", "out of memory planning the install");
    char *cursor = block->data;

    /* The host produces the bytes of both files from the material being
     * installed: the private key never passes through this plugin. */
    og_file_change *chain = &block->changes[0];
    chain->struct_size = sizeof *chain;
    chain->path = copy_into(&cursor, crt_path);
    chain->content_kind = OG_CONTENT_FULLCHAIN_PEM;
    chain->mode = 0644;

    og_file_change *key = &block->changes[1];
    key->struct_size = sizeof *key;
    key->path = copy_into(&cursor, key_path);
    key->content_kind = OG_CONTENT_PRIVATE_KEY_PEM;
    key->mode = 0600;
    key->flags = OG_FILE_SECRET; /* never shown in a diff or a log */

    block->plan.struct_size = sizeof block->plan;
    block->plan.summary = copy_into(&cursor, summary);
    block->plan.changes = block->changes;
    block->plan.change_count = 2;
    block->plan.node_id = copy_into(&cursor, config.prefix);
    *out = &block->plan;
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

/* Frees a result of discover_nodes or plan_install. Each is one block whose
 * first member is what the host holds, so the pointer is the block. */
static void release(void *result)
{
    free(result);
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
    .release = release,
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
    *out = &plugin_api;
    return OG_OK;
}
