/*
 * og_plugin.h — the og-host endpoint plugin contract (C ABI).
 *
 * This header is the single source of truth for how og-host and an endpoint
 * plugin talk. A plugin is a shared library that exports exactly one function,
 * og_plugin_entry(); everything else crosses through the two tables below:
 *
 *   og_host_api    host -> plugin: logging, error detail, connection
 *                  operations (commands, files, HTTP) and certificate-format
 *                  services. A plugin never links a host symbol.
 *   og_plugin_api  plugin -> host: the descriptor (what endpoint types the
 *                  plugin serves and their option schemas) and the operation
 *                  slots (validate, test connection, discover nodes, plan an
 *                  install, config test, activate, restart, ...).
 *
 * ---------------------------------------------------------------------------
 * VERSIONING RULES (read before changing anything)
 * ---------------------------------------------------------------------------
 *  - OG_ABI_MAJOR changes only when an existing struct or slot changes shape
 *    or meaning. A host never reads past the first three fields of a table
 *    whose major it does not speak.
 *  - Within a major, structs and tables are APPEND-ONLY. New fields and slots
 *    go at the END of their struct, marked "since 1.N", and OG_ABI_MINOR is
 *    bumped. Never reorder, remove or retype a field.
 *  - Every struct starts with `struct_size` (and the tables also with the
 *    major/minor they were built against). A reader touches a field only if
 *    offsetof(field) + sizeof(field) <= struct_size; a slot lying outside
 *    struct_size, or a NULL slot, means "not supported" (OG_ERR_NOT_SUPPORTED).
 *    OG_HAS_FIELD() below is the one way to test that.
 *  - Arrays of size-prefixed structs (types, options, nodes, file changes,
 *    verify targets, keystore entries) are laid out with a stride equal to
 *    their elements' struct_size, which is the same for every element of one
 *    array. A reader steps by element[0].struct_size, never by its own
 *    sizeof, so a writer built against a later minor (bigger elements) and a
 *    reader built against an earlier one still agree. OG_ARRAY_ELEMENT() is
 *    the one way to index such an array. og_str, og_bytes, og_option and
 *    og_http_header are fixed pairs and never grow.
 *
 * ---------------------------------------------------------------------------
 * OWNERSHIP RULES
 * ---------------------------------------------------------------------------
 *  - Text crosses as og_str (pointer + length, UTF-8, NOT necessarily
 *    NUL-terminated); bytes as og_bytes. Both are borrowed: valid only for the
 *    duration of the call that received them. Copy what you keep.
 *    Exception: strings inside the descriptor are NUL-terminated C strings
 *    (static data is easiest to write that way in C).
 *  - What a plugin returns through an out-parameter (node lists, plans, undo
 *    tokens) is allocated by the plugin and released by the host through the
 *    plugin's own `release` slot, exactly once, possibly on another thread.
 *  - What the host returns through an out-parameter of a host service is
 *    allocated by the host and released by the plugin through host->release,
 *    exactly once. Each such result is one object: release its top pointer.
 *  - The og_plugin_api table and the descriptor it points to are read-only
 *    and must stay valid until the process exits. The host never unloads a
 *    plugin (dlclose of a Swift image is unsafe), so static storage is right.
 *
 * ---------------------------------------------------------------------------
 * THREADS
 * ---------------------------------------------------------------------------
 *  - `describe` and `release` may be called from any thread at any time,
 *    concurrently with anything except `shutdown`.
 *  - The operation slots are called concurrently (with distinct og_call
 *    objects) only if the plugin sets OG_PLUGIN_THREAD_SAFE in
 *    og_plugin_api.flags; otherwise the host serialises all operation calls.
 *  - An og_call belongs to one thread at a time: host services invoked with
 *    a call must be invoked on the thread that received that call.
 *  - `shutdown` is called at most once, never concurrently with any other slot,
 *    and no slot is called after it.
 *
 * ---------------------------------------------------------------------------
 * ERRORS
 * ---------------------------------------------------------------------------
 *  - set_error adds one (field, message) pair to the current call. The host
 *    shows the call's pairs, in order, only when the slot returns a status
 *    other than OG_OK; a slot that returns OG_OK has its pairs discarded.
 *  - A failing host service adds its own pair (field empty) before it
 *    returns. A plugin that recovers from that failure (a missing file it
 *    can do without) has nothing to clear, as long as the slot then returns
 *    OG_OK; if the slot fails later anyway, the earlier service message is
 *    shown before the plugin's own, so prefer returning the service's status.
 *  - A message is at most OG_ERROR_MESSAGE_MAX bytes of UTF-8 and a field at
 *    most OG_ERROR_FIELD_MAX bytes; the host cuts longer ones at a character
 *    boundary and appends " (truncated)". Say what is wrong and what to do
 *    in one or two sentences; quote at most the last lines of a tool's output.
 *  - A slot that returns a failure without any set_error is reported as
 *    "<plugin> <slot> failed: <status>", which helps nobody: always explain.
 *
 * ---------------------------------------------------------------------------
 * WHO DECIDES WHAT (the questions every author asks)
 * ---------------------------------------------------------------------------
 *  - Which node a certificate goes to: the operator names a node
 *    (og_install_request.node_id) or leaves it empty, and then the PLUGIN
 *    chooses, by the certificate's names (dNSName entries, else the common
 *    name) against each node's name and aliases, with RFC 6125 rules: a
 *    wildcard only as the whole left-most label, matching exactly one label,
 *    never a public-suffix-like "*.com"; case-insensitive. OGPluginKit's
 *    `HostNameMatch` and og_plugin_util.h's og_name_matches() implement
 *    exactly this, so all plugins choose alike. No match, or several equally
 *    good ones, is OG_ERR_CONFLICT with set_error(field "node") listing the
 *    candidates; never guess.
 *  - Files that hold private keys: discovery may need the certificates of a
 *    file that holds a key next to them (a combined PEM, a keystore). Ask
 *    read_file_certificates (since 1.1), which parses the file inside the
 *    host, so the key never reaches the plugin; for keystores read_keystore.
 *    A plugin that reads such a file itself (or talks to a 1.0 host) may do
 *    nothing with the bytes but hand them to read_certificates: never keep,
 *    copy, log, write or send them.
 *  - test_connection runs when the operator asks for it (`og-host tls test
 *    <name>`), not on `tls add`: an endpoint may be added before the files
 *    the first install creates exist. validate_endpoint runs on `tls add`.
 *  - Privileged commands (OG_RUN_PRIVILEGED): over SSH the endpoint's
 *    --sudo decides. `none` (the default) runs the command as the login user,
 *    unchanged: it succeeds only where that user has the rights. `nopasswd`
 *    runs it through `sudo -n --`, `password` through `sudo -S -k -p ''` with
 *    the login password on stdin (never in argv). A root login never uses
 *    sudo. For a local endpoint, og-host running as root runs it as is,
 *    otherwise through `sudo -n --`. Where sudo refuses, run_command fails
 *    with OG_ERR_AUTH saying why; where sudo is not installed, the command
 *    result is exit status 127. Nothing else (su, doas, pkexec) is tried.
 *  - og_verify_target.host is resolved and connected to from the gateway. For
 *    a local endpoint the gateway is the endpoint, so a listener on a
 *    wildcard address is verified through "127.0.0.1" (or "::1").
 *  - After activate returns, the host handshakes with every verify target,
 *    looking again for about 10 s (OG_VERIFY_WINDOW_MS) until the new leaf is
 *    served. A reload that takes effect asynchronously within that window
 *    needs no waiting in activate; a restart that takes longer (a JVM) must
 *    wait in activate until the listener answers.
 *  - Option values: a STRING or PATH option whose schema has min 0 may arrive
 *    EMPTY (the operator typed --name ''); an optional option without a
 *    default that was not given is absent from og_endpoint.options.
 *    Lengths count Unicode characters (extended grapheme clusters).
 *
 * ---------------------------------------------------------------------------
 * SECRETS
 * ---------------------------------------------------------------------------
 *  Options whose schema sets OG_OPTION_SECRET arrive in og_endpoint like any
 *  other option, but a plugin must never log them, put them in an error
 *  message, or pass them in a command's argv (use the command's stdin).
 *  Private keys never reach a plugin at all: an install plan refers to the key
 *  by content kind (OG_CONTENT_PRIVATE_KEY_PEM, OG_CONTENT_KEYSTORE) and the
 *  host fills it in when it writes the file. An API plugin (since 1.1) sends
 *  key material with upload_content and login secrets with OG_BODY_TEMPLATE
 *  references, so neither passes through it either.
 *
 * ---------------------------------------------------------------------------
 * API INSTALLS (OG_CAP_APPLY; since 1.1 the host drives them)
 * ---------------------------------------------------------------------------
 *  plan_install (no file changes; verify targets) -> apply_install, which
 *  calls journal_undo_token before its first change -> the host journals the
 *  returned token -> handshake with every verify target -> finish_install.
 *  On any failure after apply_install started the host calls
 *  rollback_install with the last journalled token and checks the previous
 *  certificate is served again; after a crash, the next run (or
 *  `og-host tls recover`) calls rollback_install with the journalled token.
 */
#ifndef OG_PLUGIN_H
#define OG_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version this header describes. */
#define OG_ABI_MAJOR 1
#define OG_ABI_MINOR 1

/* The one symbol a plugin exports. */
#define OG_PLUGIN_ENTRY_SYMBOL "og_plugin_entry"

#if defined(_WIN32)
#define OG_PLUGIN_EXPORT __declspec(dllexport)
#else
#define OG_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* True when `field` of the struct at `ptr` lies inside ptr->struct_size. */
#define OG_HAS_FIELD(ptr, type, field) \
    ((ptr) != NULL && (size_t)(ptr)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* Element `index` of an array of size-prefixed structs whose first element is
 * `first` (see the array rule above). */
#define OG_ARRAY_ELEMENT(type, first, index) \
    ((const type *)((const char *)(first) + (size_t)(index) * (size_t)(first)->struct_size))

/* ===================================================================== */
/* Status codes. 0 is success. Stable: never renumbered.                 */
/* ===================================================================== */
typedef int32_t og_status;

#define OG_OK                    0
#define OG_ERR_INVALID_ARGUMENT  1  /* an input is malformed; set_error names it */
#define OG_ERR_NOT_SUPPORTED     2  /* the plugin or host does not do this */
#define OG_ERR_NOT_FOUND         3  /* a file, node, entry or secret does not exist */
#define OG_ERR_IO                4  /* reading or writing failed */
#define OG_ERR_CONNECT           5  /* could not connect to the endpoint */
#define OG_ERR_AUTH              6  /* authentication failed (user, password, key, store password) */
#define OG_ERR_IDENTITY          7  /* host key or TLS identity of the endpoint was rejected */
#define OG_ERR_COMMAND_FAILED    8  /* a command ran and exited non-zero */
#define OG_ERR_TIMEOUT           9  /* an operation timed out */
#define OG_ERR_PARSE            10  /* vendor configuration could not be understood */
#define OG_ERR_CONFLICT         11  /* the request contradicts the endpoint's state */
#define OG_ERR_ABI_MISMATCH     12  /* negotiation failed: no common ABI version */
#define OG_ERR_NO_MEMORY        13
#define OG_ERR_INTERNAL         14  /* a bug: an invariant did not hold */
#define OG_ERR_CONFIG_TEST      15  /* the endpoint's own configuration test failed */
/* Limits the host enforces on set_error (see ERRORS above). */
#define OG_ERROR_MESSAGE_MAX 4096
#define OG_ERROR_FIELD_MAX   64

/* run_command: the timeout used when timeout_ms is 0, and the most output
 * kept of each of stdout and stderr. Both are enforced for every connection. */
#define OG_DEFAULT_COMMAND_TIMEOUT_MS 120000u
#define OG_COMMAND_OUTPUT_MAX (64u << 20)

/* How long the host keeps looking for the new certificate on each verify
 * target after activate returned. */
#define OG_VERIFY_WINDOW_MS 10000u

/* Plugin-specific codes live at and above this value; the host treats them as
 * failures and shows the message set through set_error. */
#define OG_ERR_VENDOR_BASE  0x10000

/* ===================================================================== */
/* Borrowed views.                                                       */
/* ===================================================================== */
typedef struct og_str {
    const char *ptr; /* UTF-8; may be NULL when len == 0 */
    size_t len;
} og_str;

typedef struct og_bytes {
    const uint8_t *ptr; /* may be NULL when len == 0 */
    size_t len;
} og_bytes;

/* ===================================================================== */
/* Connection types (bit mask). Names as operators type them.            */
/* ===================================================================== */
#define OG_CONN_LOCAL                 (1u << 0) /* "local" */
#define OG_CONN_SSH                   (1u << 1) /* "ssh" */
#define OG_CONN_SSH_WINDOWS           (1u << 2) /* "ssh_windows" */
#define OG_CONN_WINRM_HTTP            (1u << 3) /* "winrm_http" */
#define OG_CONN_WINRM_HTTPS           (1u << 4) /* "winrm_https" */
#define OG_CONN_WINRM_HTTPS_INSECURE  (1u << 5) /* "winrm_https_insecure" */
#define OG_CONN_REST                  (1u << 6) /* "rest" */
#define OG_CONN_REST_INSECURE         (1u << 7) /* "rest_insecure" */

/* The family of the remote system, which decides path syntax and shell. */
#define OG_PLATFORM_POSIX    0
#define OG_PLATFORM_WINDOWS  1
#define OG_PLATFORM_APPLIANCE 2 /* REST only: no shell, no files */

/* ===================================================================== */
/* Descriptor: what a plugin is and which endpoint types it serves.      */
/* All strings here are NUL-terminated and static (live until exit).     */
/* ===================================================================== */

/* Option kinds decide how the host validates the value before the plugin
 * sees it. Values always reach the plugin as text. */
#define OG_OPTION_STRING  0 /* length within [min, max] characters; min 0 allows an empty value */
#define OG_OPTION_INTEGER 1 /* decimal integer within [min, max] */
#define OG_OPTION_BOOLEAN 2 /* "true" or "false" */
#define OG_OPTION_PATH    3 /* like STRING, no NUL or newline; interpreted on the endpoint */
#define OG_OPTION_ENUM    4 /* one of allowed_values */

/* Option flags. */
#define OG_OPTION_REQUIRED (1u << 0) /* must be given on `tls add` */
#define OG_OPTION_SECRET   (1u << 1) /* stored in the credential store, masked in output */

typedef struct og_option_schema {
    uint32_t struct_size;
    const char *name;            /* as typed after "--", [a-z0-9_]{1,40}, e.g. "nginx_config_path" */
    uint32_t kind;               /* OG_OPTION_* */
    uint32_t flags;              /* OG_OPTION_REQUIRED | OG_OPTION_SECRET */
    int64_t min;                 /* STRING/PATH: min length; INTEGER: min value */
    int64_t max;                 /* STRING/PATH: max length; INTEGER: max value; 0 = no limit for lengths */
    const char *const *allowed_values; /* ENUM only: allowed_count values */
    size_t allowed_count;
    const char *default_value;   /* NULL = no default */
    const char *help;            /* one or two sentences for `tls add <type> --help` */
} og_option_schema;

/* Per-type capabilities. The host only calls a slot when the slot is present
 * AND the type advertises the matching capability. */
#define OG_CAP_TEST_CONNECTION (1u << 0)
#define OG_CAP_DISCOVER        (1u << 1)
#define OG_CAP_INSTALL         (1u << 2) /* plan_install */
#define OG_CAP_CONFIG_TEST     (1u << 3)
#define OG_CAP_ACTIVATE        (1u << 4) /* reload/restart after an install */
#define OG_CAP_RESTART         (1u << 5) /* `og-host tls restart` */
#define OG_CAP_APPLY           (1u << 6) /* apply_install + rollback_install (API endpoints) */
#define OG_CAP_VERIFY_SERVED   (1u << 7) /* plans carry TLS targets the host should handshake with */

typedef struct og_endpoint_type {
    uint32_t struct_size;
    const char *name;                 /* [a-z0-9_]{1,32}, e.g. "p12"; the `tls add <type>` word */
    const char *summary;              /* one line */
    uint32_t connection_types;        /* OG_CONN_* mask of allowed connection types */
    uint32_t capabilities;            /* OG_CAP_* */
    const og_option_schema *options;  /* type-specific options only; the host owns
                                         name/connection_type/host/port/user/password/
                                         ssh_key_path/ssh_key_password/store/store_cred_id */
    size_t option_count;
} og_endpoint_type;

typedef struct og_plugin_descriptor {
    uint32_t struct_size;
    const char *name;          /* matches the library basename: libog-plugin-<name>.so */
    const char *version;       /* the plugin's own semantic version */
    const char *license;       /* SPDX identifier */
    const char *summary;       /* one line */
    uint32_t sdk_major;        /* OG_ABI_MAJOR/MINOR of the header it was built with */
    uint32_t sdk_minor;
    const og_endpoint_type *types;
    size_t type_count;         /* >= 1 */
} og_plugin_descriptor;

/* ===================================================================== */
/* Call-time data (host -> plugin). All borrowed for the call.           */
/* ===================================================================== */

typedef struct og_option {
    og_str name;
    og_str value;
} og_option;

/* One configured endpoint: what `tls add` recorded, credentials excluded
 * (the host resolves those itself when it opens the connection). */
typedef struct og_endpoint {
    uint32_t struct_size;
    og_str type;               /* endpoint type name */
    og_str name;               /* the operator's --name */
    uint32_t connection_type;  /* exactly one OG_CONN_* bit */
    uint32_t platform;         /* OG_PLATFORM_* */
    og_str host;               /* empty for local */
    uint32_t port;             /* 0 when not given */
    const og_option *options;  /* type-specific options, defaults applied */
    size_t option_count;
} og_endpoint;

/* A certificate as the host describes it to plugins (no key material). */
typedef struct og_certificate_info {
    uint32_t struct_size;
    og_str subject;            /* RFC 4514 string */
    og_str common_name;        /* may be empty */
    const og_str *dns_names;   /* subjectAltName dNSName entries */
    size_t dns_name_count;
    const og_str *ip_addresses;/* subjectAltName iPAddress entries, textual */
    size_t ip_address_count;
    og_str serial_hex;
    og_str sha256_fingerprint; /* lowercase hex, no separators */
    int64_t not_before;        /* seconds since the Unix epoch */
    int64_t not_after;
    og_str key_algorithm;      /* "RSA-2048", "EC-P256", ... */
    og_str issuer;             /* RFC 4514 string */
} og_certificate_info;

#define OG_INSTALL_DRY_RUN (1u << 0) /* plan only; the host will not apply it */

typedef struct og_install_request {
    uint32_t struct_size;
    og_str node_id;            /* a node id from discover_nodes; empty = the plugin chooses by the
                                  certificate's names (see WHO DECIDES WHAT) */
    og_str alias;              /* keystore alias / object name; empty = plugin default */
    const og_certificate_info *certificate; /* the leaf being installed */
    size_t chain_length;       /* intermediates that accompany it */
    uint32_t flags;            /* OG_INSTALL_* */
} og_install_request;

/* ===================================================================== */
/* Plugin results (plugin -> host). Allocated by the plugin, released by  */
/* the host through og_plugin_api.release.                                */
/* ===================================================================== */

/* One TLS-serving place on an endpoint: a server block, a virtual host, a
 * connector, a binding, a keystore entry. */
typedef struct og_node {
    uint32_t struct_size;
    og_str id;                 /* stable across discoveries, unique within the endpoint */
    og_str name;               /* primary server name, or the entry alias */
    const og_str *aliases;     /* further names (server aliases) */
    size_t alias_count;
    og_str protocol;           /* "https", "http", "keystore" */
    og_str address;            /* IP or host the node listens on; empty for keystore entries */
    uint32_t port;             /* 0 for keystore entries */
    og_str certificate_path;   /* where its certificate is configured; may be empty */
    og_bytes certificate;      /* the configured leaf (PEM or DER) if the plugin read it; may be empty */
    og_str detail;             /* one line for humans: "file:line", entry type, ... */
    /* ---- since 1.1 ---- */
    og_str configured_sha256;  /* the configured leaf's SHA-256, lowercase hex, when the plugin
                                  knows it only by fingerprint (an appliance that does not hand
                                  out certificates); empty otherwise. The host compares it with
                                  the served certificate as it compares `certificate`. */
} og_node;

typedef struct og_node_list {
    uint32_t struct_size;
    const og_node *nodes;
    size_t count;
} og_node_list;

/* What a planned file write contains. The host produces every kind except
 * LITERAL from the material being installed, so keys never pass through a
 * plugin. */
#define OG_CONTENT_LITERAL         0 /* exactly `literal` (configuration text) */
#define OG_CONTENT_CERTIFICATE_PEM 1 /* the leaf, PEM */
#define OG_CONTENT_CHAIN_PEM       2 /* the intermediates, PEM, leaf-adjacent first */
#define OG_CONTENT_FULLCHAIN_PEM   3 /* leaf then intermediates, PEM */
#define OG_CONTENT_PRIVATE_KEY_PEM 4 /* the private key, unencrypted PKCS#8 PEM */
#define OG_CONTENT_KEYSTORE        5 /* the existing file at `path` with entry `keystore_alias`
                                        added or replaced, other entries kept */
#define OG_CONTENT_KEY_AND_FULLCHAIN_PEM 6 /* key, then leaf, then intermediates, PEM */
#define OG_CONTENT_PKCS12          7 /* since 1.1, upload_content only: key, leaf and intermediates
                                        as PKCS#12 (PBES2/AES-256, SHA-256 MAC) under a one-time
                                        passphrase the host makes per install; a request body names
                                        it as {{og:pkcs12_passphrase}} (see OG_BODY_TEMPLATE) */

#define OG_KEYSTORE_PKCS12 0
#define OG_KEYSTORE_JKS    1

/* File change flags. */
#define OG_FILE_MUST_EXIST (1u << 0) /* refuse the plan if the target is missing */
#define OG_FILE_SECRET     (1u << 1) /* contents never shown in a diff or log */
#define OG_FILE_LEGACY_PBE (1u << 2) /* KEYSTORE/PKCS12: legacy 3DES + SHA-1 MAC instead of PBES2 */

typedef struct og_file_change {
    uint32_t struct_size;
    og_str path;               /* absolute path on the endpoint */
    uint32_t content_kind;     /* OG_CONTENT_* */
    og_bytes literal;          /* LITERAL only */
    uint32_t mode;             /* permission bits for a new file; 0 = host default
                                  (0600 for key material, 0644 otherwise). An existing
                                  file keeps its mode and owner. */
    uint32_t flags;            /* OG_FILE_* */
    uint32_t keystore_format;  /* KEYSTORE only: OG_KEYSTORE_* */
    og_str keystore_alias;     /* KEYSTORE only */
    og_str password_option;    /* KEYSTORE only: name of the endpoint option holding the
                                  store password (the host reads it; it never crosses here) */
} og_file_change;

/* A TLS listener the host should handshake with after activation to prove
 * the new certificate is served. `host` is connected to from the gateway
 * (for a local endpoint: the gateway itself, so use 127.0.0.1 for a wildcard
 * listener); the host keeps trying for OG_VERIFY_WINDOW_MS. */
typedef struct og_verify_target {
    uint32_t struct_size;
    og_str host;               /* where to connect, as seen from the gateway */
    uint32_t port;
    og_str server_name;        /* SNI; empty = none */
} og_verify_target;

typedef struct og_install_plan {
    uint32_t struct_size;
    og_str summary;                    /* one line: what will happen */
    const og_file_change *changes;     /* applied by the host, in order, as one transaction */
    size_t change_count;
    const og_verify_target *verify;    /* may be empty */
    size_t verify_count;
    og_str node_id;                    /* the node the plan installs on */
} og_install_plan;

/* Opaque bytes a plugin hands the host after apply_install so the host can
 * journal them and later ask for a rollback, even after a crash. */
typedef struct og_undo_token {
    uint32_t struct_size;
    og_bytes data;
} og_undo_token;

/* ===================================================================== */
/* Host results (host -> plugin). Allocated by the host, released by the  */
/* plugin through host->release.                                          */
/* ===================================================================== */

typedef struct og_buffer {
    uint32_t struct_size;
    og_bytes data;
} og_buffer;

typedef struct og_command_result {
    uint32_t struct_size;
    int32_t exit_status;       /* the command's exit status; -1 if killed by a signal */
    og_bytes stdout_data;
    og_bytes stderr_data;
} og_command_result;

#define OG_FILE_TYPE_MISSING   0
#define OG_FILE_TYPE_REGULAR   1
#define OG_FILE_TYPE_DIRECTORY 2
#define OG_FILE_TYPE_SYMLINK   3
#define OG_FILE_TYPE_OTHER     4

typedef struct og_file_info {
    uint32_t struct_size;      /* set by the caller to sizeof(og_file_info) */
    uint32_t type;             /* OG_FILE_TYPE_*; MISSING is not an error */
    uint32_t mode;             /* permission bits */
    uint64_t size;
    int64_t modified;          /* seconds since the Unix epoch */
    uint32_t uid;
    uint32_t gid;
} og_file_info;

typedef struct og_directory_listing {
    uint32_t struct_size;
    const og_str *names;       /* entry names, without "." and "..", sorted */
    size_t count;
} og_directory_listing;

typedef struct og_http_header {
    og_str name;
    og_str value;
} og_http_header;

typedef struct og_http_request {
    uint32_t struct_size;
    og_str method;             /* "GET", "POST", ... */
    og_str path;               /* path and query, appended to the endpoint's base URL */
    const og_http_header *headers;
    size_t header_count;
    og_bytes body;
    uint32_t timeout_ms;       /* 0 = host default */
    /* ---- since 1.1 ---- */
    uint32_t body_kind;        /* OG_BODY_*: how the host turns `body` into what it sends.
                                  A 1.0 plugin's request (struct_size without this field)
                                  is OG_BODY_LITERAL. */
} og_http_request;

/* og_http_request.body_kind (since 1.1). Secrets a plugin must send in a
 * request body -- the endpoint's login, the passphrase of an uploaded PKCS#12
 * -- never cross the ABI: the plugin writes a reference and the host fills it
 * in. The host never logs a rendered body, and blanks every filled-in secret
 * that comes back in the response body ("(redacted)") before the plugin sees
 * it. */
#define OG_BODY_LITERAL  0 /* send `body` as given */
#define OG_BODY_TEMPLATE 1 /* `body` is UTF-8 text in which the host replaces each
                              {{og:NAME}} with the secret NAME, escaped for a JSON
                              string (write the quotes yourself):
                                user               the endpoint's login name
                                password           the endpoint's login password
                                pkcs12_passphrase  the install's one-time PKCS#12
                                                   passphrase (apply_install only)
                              Any other {{og:...}} is OG_ERR_INVALID_ARGUMENT. */

typedef struct og_http_response {
    uint32_t struct_size;
    int32_t status;            /* HTTP status code */
    const og_http_header *headers;
    size_t header_count;
    og_bytes body;
} og_http_response;

/* One entry of a keystore as the host read it. */
typedef struct og_keystore_entry {
    uint32_t struct_size;
    og_str alias;
    uint32_t has_private_key;  /* 1 for key entries, 0 for trusted certificates */
    size_t chain_length;       /* certificates in the entry's chain (1 for trusted certs) */
    const og_certificate_info *certificate; /* the entry's leaf; NULL if it has none */
    og_bytes certificate_der;  /* the same leaf, DER, so a node can carry it; empty if none */
} og_keystore_entry;

typedef struct og_keystore_listing {
    uint32_t struct_size;
    const og_keystore_entry *entries; /* stride = entries[0].struct_size */
    size_t count;
} og_keystore_listing;

typedef struct og_certificate_list {
    uint32_t struct_size;
    const og_certificate_info *const *certificates; /* in file order */
    size_t count;
} og_certificate_list;

/* ===================================================================== */
/* The host-services table (host -> plugin).                              */
/* ===================================================================== */

/* Opaque per-call context. Every operation slot receives one; pass it back to
 * every host service. It names the endpoint, its open connection, the job's
 * audit record and the error sink. Valid only during the slot call. */
typedef struct og_call og_call;

#define OG_LOG_ERROR 1
#define OG_LOG_WARN  2
#define OG_LOG_INFO  3 /* also recorded in the job's audit record */
#define OG_LOG_DEBUG 4

/* Command flags. */
#define OG_RUN_PRIVILEGED (1u << 0) /* run through the endpoint's configured elevation (sudo -n / sudo -S) */

typedef struct og_host_api {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;

    /* Write a line to the host's log (and, at INFO, the audit record).
     * Threads: the calling thread of `call`. Never pass secrets. Since 1.0. */
    void (*log)(og_call *call, int32_t level, og_str message);

    /* Attach a human error to the current call: `field` names the option or
     * input at fault ("path", "store_password"; empty if none), `message` says
     * what is wrong and how to fix it. May be called several times; the host
     * shows all when the slot fails and discards them when it returns OG_OK.
     * At most OG_ERROR_MESSAGE_MAX / OG_ERROR_FIELD_MAX bytes (longer is cut).
     * Return the matching status from the slot. Since 1.0. */
    void (*set_error)(og_call *call, og_str field, og_str message);

    /* Release a result a host service returned (*out of any service below).
     * NULL is ignored. Any thread. Since 1.0. */
    void (*release)(void *result);

    /* Run argv[0] with arguments argv[1..] on the endpoint over its connection.
     * The host quotes each argument for the remote shell; never join strings
     * into a command line yourself. `stdin_data` is written to the command's
     * standard input (use it for secrets), then standard input is closed.
     *
     * Lifetime, identical for local and SSH endpoints:
     *  - The command inherits standard input, output and error and no other
     *    descriptor of og-host (sockets, databases, other commands' pipes).
     *  - The call returns when the command itself (the direct child) exits,
     *    with what it wrote until then. A process it leaves behind (a daemon,
     *    `haproxy -D`, `catalina.sh start`, `sh -c 'sleep 120 &'`) keeps
     *    running, is not waited for, and may lose output it writes later; no
     *    descriptor-closing wrapper is needed.
     *  - timeout_ms 0 means OG_DEFAULT_COMMAND_TIMEOUT_MS (120 s). When the
     *    timeout passes, a local command is killed with its process group, a
     *    remote one has its channel closed; the call fails with OG_ERR_TIMEOUT.
     *  - Output beyond OG_COMMAND_OUTPUT_MAX bytes per stream stops the command
     *    and fails the call with OG_ERR_IO.
     * Returns OG_OK whenever the command ran, whatever its exit status (read
     * (*out)->exit_status; a local command killed by a signal reports -1, a
     * remote one the shell's 128+signal); a missing program is exit status 127.
     * OG_ERR_CONNECT/AUTH/IDENTITY/TIMEOUT/IO otherwise.
     * *out: host-owned, release with host->release. Since 1.0. */
    og_status (*run_command)(og_call *call, const og_str *argv, size_t argc, og_bytes stdin_data,
                             uint32_t timeout_ms, uint32_t flags, og_command_result **out);

    /* Read a whole file on the endpoint. OG_ERR_NOT_FOUND if it does not exist.
     * *out: host-owned. Since 1.0. */
    og_status (*read_file)(og_call *call, og_str path, og_buffer **out);

    /* Describe a path on the endpoint without following a final symlink.
     * `out` is caller-owned; set out->struct_size first. A missing path is
     * OG_OK with type OG_FILE_TYPE_MISSING. Since 1.0. */
    og_status (*stat_file)(og_call *call, og_str path, og_file_info *out);

    /* List a directory on the endpoint. *out: host-owned. Since 1.0. */
    og_status (*list_directory)(og_call *call, og_str path, og_directory_listing **out);

    /* Send an HTTP request to the endpoint's REST base URL using the
     * connection's TLS settings and credentials. OG_OK whenever a response
     * arrived, whatever its status. *out: host-owned. Since 1.0. */
    og_status (*http_request)(og_call *call, const og_http_request *request, og_http_response **out);

    /* Parse the entries of a keystore (format OG_KEYSTORE_*) whose bytes the
     * plugin read; the store password is taken from the endpoint option named
     * `password_option`, so it never crosses the ABI. OG_ERR_AUTH for a wrong
     * password, OG_ERR_PARSE for a damaged file. *out: host-owned. Since 1.0. */
    og_status (*read_keystore)(og_call *call, uint32_t format, og_bytes data, og_str password_option,
                               og_keystore_listing **out);

    /* Parse every certificate in `data` (PEM, one or many, or a single DER).
     * OG_ERR_PARSE if none can be read. *out: host-owned. Since 1.0. */
    og_status (*read_certificates)(og_call *call, og_bytes data, og_certificate_list **out);

    /* Write a whole file on the endpoint atomically (temporary file in the same
     * directory, then rename), keeping an existing file's mode and owner. Use it
     * for files outside an install plan (e.g. a journal of your own); files an
     * install changes belong in the plan, where the host backs them up.
     * mode 0 = 0644 for new files. Since 1.0. */
    og_status (*write_file)(og_call *call, og_str path, og_bytes contents, uint32_t mode);

    /* ---- since 1.1 ---- */

    /* Send content the host renders from the install in progress -- content_kind
     * OG_CONTENT_CERTIFICATE_PEM, CHAIN_PEM, FULLCHAIN_PEM, PRIVATE_KEY_PEM or
     * PKCS12 -- to request->path with request->method and headers, in pieces
     * of at most chunk_size bytes (0 = 512 KiB), each with
     * "Content-Range: start-end/total" (end inclusive) and Content-Type
     * application/octet-stream. request->body must be empty and body_kind
     * LITERAL. Stops at the first answer that is not 2xx and returns it; else
     * returns the answer to the last piece. OG_OK whenever answers arrived.
     * Only during apply_install (OG_ERR_NOT_SUPPORTED elsewhere); CHAIN_PEM of
     * a certificate without intermediates is OG_ERR_NOT_FOUND. The bytes never
     * reach the plugin or a log. *out: host-owned. Since 1.1. */
    og_status (*upload_content)(og_call *call, const og_http_request *request, uint32_t content_kind,
                                uint32_t chunk_size, og_http_response **out);

    /* Journal `undo_token` for the apply_install in progress, durably, before
     * returning. Call it before the first change you make on the endpoint (and
     * again whenever the token grows), so that a crash at any later instant
     * leaves the host a token to hand rollback_install. The token returned by
     * apply_install replaces it. Only during apply_install. Since 1.1. */
    og_status (*journal_undo_token)(og_call *call, og_bytes undo_token);

    /* Parse the certificates of the file at `path` on the endpoint (PEM, one
     * or many, or a single DER) without its bytes reaching the plugin: the way
     * to look at a file that also holds a private key (a combined PEM such as
     * HAProxy's crt, a key + chain bundle). Key blocks are never returned.
     * OG_ERR_NOT_FOUND if the file does not exist, OG_ERR_PARSE if it holds no
     * certificate. Any slot. *out: host-owned. Since 1.1. */
    og_status (*read_file_certificates)(og_call *call, og_str path, og_certificate_list **out);
} og_host_api;

/* ===================================================================== */
/* The plugin table (plugin -> host).                                     */
/* ===================================================================== */

/* og_plugin_api.flags */
#define OG_PLUGIN_THREAD_SAFE (1u << 0) /* operation slots may run concurrently */

typedef struct og_plugin_api {
    uint32_t struct_size;      /* sizeof(og_plugin_api) as the plugin was built */
    uint16_t abi_major;        /* the major this table follows */
    uint16_t abi_minor;        /* the minor the plugin implements (<= what the host offered) */
    uint32_t flags;            /* OG_PLUGIN_* */

    /* The plugin's descriptor. Must return the same pointer on every call and
     * never NULL. Any thread. Since 1.0. */
    const og_plugin_descriptor *(*describe)(void);

    /* Release a result this plugin returned through an out-parameter
     * (og_node_list, og_install_plan, og_undo_token). NULL is ignored. Any
     * thread. Required. Since 1.0. */
    void (*release)(void *result);

    /* Check a new endpoint's type-specific options beyond what the schema
     * says (files exist, a store password opens the keystore, ...). The host
     * has already checked the schema. May use the connection. On failure call
     * set_error naming the option and return OG_ERR_INVALID_ARGUMENT (or a
     * more specific code). NULL = the schema is enough. Since 1.0. */
    og_status (*validate_endpoint)(og_call *call, const og_endpoint *endpoint);

    /* Prove the endpoint is reachable and the vendor software is there (e.g.
     * apachectl -v). Runs on `og-host tls test <name>`, never on `tls add`
     * (the endpoint may not be ready before its first install). Must not
     * change anything. Capability OG_CAP_TEST_CONNECTION. Since 1.0. */
    og_status (*test_connection)(og_call *call, const og_endpoint *endpoint);

    /* Find every TLS node of the endpoint. *out: plugin-owned, released with
     * `release`. Capability OG_CAP_DISCOVER. Since 1.0. */
    og_status (*discover_nodes)(og_call *call, const og_endpoint *endpoint, og_node_list **out);

    /* Turn "install this certificate on this node" into file changes and
     * verification targets. Must not change anything on the endpoint (it may
     * read). With OG_INSTALL_DRY_RUN the host only shows the plan.
     * *out: plugin-owned. Capability OG_CAP_INSTALL. Since 1.0. */
    og_status (*plan_install)(og_call *call, const og_endpoint *endpoint, const og_install_request *request,
                              og_install_plan **out);

    /* Run the vendor's configuration test (nginx -t, apachectl -t, ...) after
     * the host wrote the plan's files. Return OG_ERR_CONFIG_TEST with
     * set_error carrying the tool's complaint when it fails; the host then
     * restores every file. Capability OG_CAP_CONFIG_TEST. Since 1.0. */
    og_status (*config_test)(og_call *call, const og_endpoint *endpoint);

    /* Make the endpoint pick up what the host wrote (reload, graceful restart,
     * run an install script). `request` is the install being activated, or NULL
     * when the host re-activates restored files after a rollback.
     * Return once the change is triggered if the server switches within
     * OG_VERIFY_WINDOW_MS (the host then polls each verify target); wait here
     * until the listener answers if it takes longer (a full restart).
     * Capability OG_CAP_ACTIVATE. Since 1.0. */
    og_status (*activate)(og_call *call, const og_endpoint *endpoint, const og_install_request *request);

    /* Restart the endpoint on the operator's request (`og-host tls restart`).
     * Capability OG_CAP_RESTART. Since 1.0. */
    og_status (*restart)(og_call *call, const og_endpoint *endpoint);

    /* For endpoints changed through an API rather than files (F5, IIS): make
     * the vendor-side changes after the host wrote the plan's files (if any),
     * and hand back an undo token the host journals. *out: plugin-owned.
     * Capability OG_CAP_APPLY. Since 1.0. */
    og_status (*apply_install)(og_call *call, const og_endpoint *endpoint, const og_install_request *request,
                               og_undo_token **out);

    /* Undo what apply_install did, given its token; also called on the next
     * run after a crash. Must be idempotent. Capability OG_CAP_APPLY. Since 1.0. */
    og_status (*rollback_install)(og_call *call, const og_endpoint *endpoint, og_bytes undo_token);

    /* Last call before the process exits. Optional. Since 1.0. */
    void (*shutdown)(void);

    /* ---- Append new slots below this line only, each marked "Since 1.N". ---- */

    /* The host verified that the endpoint serves what apply_install installed:
     * release what the undo token kept only for a rollback (e.g. delete the
     * objects the install replaced, within the endpoint's retention). After it
     * returns -- successfully or not -- the host discards the token; a failure
     * here is reported but does not undo the install. Must be idempotent.
     * Optional (NULL = nothing to release). Capability OG_CAP_APPLY. Since 1.1. */
    og_status (*finish_install)(og_call *call, const og_endpoint *endpoint, og_bytes undo_token);
} og_plugin_api;

/* ===================================================================== */
/* Negotiation and the entry point.                                       */
/* ===================================================================== */

typedef struct og_host_offer {
    uint32_t struct_size;
    uint16_t abi_major;        /* the major the host speaks in this offer */
    uint16_t abi_minor;        /* the highest minor of that major the host speaks */
    const og_host_api *host;   /* valid until exit */
} og_host_offer;

/* The one exported function. The host calls it once, on the loading thread,
 * before any other slot.
 *
 *  - If offer->abi_major is not a major the plugin implements, or the plugin
 *    needs a higher minor than offer->abi_minor, return OG_ERR_ABI_MISMATCH
 *    and leave *out untouched.
 *  - Otherwise set *out to a table whose abi_major equals offer->abi_major and
 *    whose abi_minor is at most offer->abi_minor, keep `offer->host` for later
 *    calls, and return OG_OK.
 *
 * Declared here so a C plugin gets a prototype; define it with OG_PLUGIN_EXPORT. */
typedef og_status (*og_plugin_entry_fn)(const og_host_offer *offer, const og_plugin_api **out);
og_status og_plugin_entry(const og_host_offer *offer, const og_plugin_api **out);

#ifdef __cplusplus
}
#endif

#endif /* OG_PLUGIN_H */
