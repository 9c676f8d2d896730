/* Checks og_plugin_util.h: each failed expectation prints its line and the
 * program exits 1. Built with -Wall -Wextra -Werror -fsanitize=address,undefined
 * by PluginKitTests/CHelperTests so an overread is a failure too. */
#include <og_plugin_util.h>

#include <stdio.h>

static int failures;
#define EXPECT(condition) do { if (!(condition)) { printf("%s:%d: %s\n", __FILE__, __LINE__, #condition); failures++; } } while (0)

static og_str s(const char *text) { return og_str_of(text); }

/* An og_str copied into an exactly-sized heap block, so reading past it trips ASan. */
static void *blocks[64];
static size_t block_count;
static og_str exact(const char *text) {
    size_t length = strlen(text);
    char *copy = malloc(length == 0 ? 1 : length);
    if (block_count < sizeof blocks / sizeof blocks[0]) blocks[block_count++] = copy;
    memcpy(copy, text, length);
    og_str value = { copy, length };
    return value;
}

int main(void) {
    /* Names (RFC 6125). */
    EXPECT(og_name_matches(exact("www.example.com"), exact("WWW.Example.COM.")));
    EXPECT(og_name_matches(exact("*.example.com"), exact("a.example.com")));
    EXPECT(!og_name_matches(exact("*.example.com"), exact("a.b.example.com")));
    EXPECT(!og_name_matches(exact("*.example.com"), exact("example.com")));
    EXPECT(!og_name_matches(exact("*.example.com"), exact(".example.com")));
    EXPECT(!og_name_matches(exact("*.com"), exact("example.com")));
    EXPECT(!og_name_matches(exact("w*.example.com"), exact("www.example.com")));
    EXPECT(!og_name_matches(exact("a.*.example.com"), exact("a.b.example.com")));
    EXPECT(og_name_matches(exact("*.example.com"), exact("*.example.com")));
    EXPECT(!og_name_matches(exact("a.example.com"), exact("*.example.com")));
    EXPECT(!og_name_matches(exact("*.0.0.1"), exact("127.0.0.1")));
    EXPECT(!og_name_matches(exact(""), exact("")));

    og_str dns[] = { s("*.example.com"), s("example.com") };
    og_str ips[] = { s("192.0.2.7") };
    og_certificate_info certificate = { .struct_size = sizeof certificate, .common_name = s("ignored.example.org"),
                                        .dns_names = dns, .dns_name_count = 2, .ip_addresses = ips, .ip_address_count = 1 };
    EXPECT(og_certificate_covers(&certificate, s("shop.example.com")));
    EXPECT(og_certificate_covers(&certificate, s("example.com")));
    EXPECT(og_certificate_covers(&certificate, s("192.0.2.7")));
    EXPECT(!og_certificate_covers(&certificate, s("ignored.example.org")));
    certificate.dns_name_count = 0;
    EXPECT(og_certificate_covers(&certificate, s("ignored.example.org")));

    /* Paths. */
    char path[32];
    EXPECT(og_path_join(path, sizeof path, s("/etc/ssl/"), s("site.crt")) == 17 && strcmp(path, "/etc/ssl/site.crt") == 0);
    EXPECT(og_path_join(path, sizeof path, s("/etc/ssl"), s("site.crt")) == 17 && strcmp(path, "/etc/ssl/site.crt") == 0);
    EXPECT(og_path_join(path, sizeof path, s("/etc/ssl"), s("/abs/x.pem")) == 10 && strcmp(path, "/abs/x.pem") == 0);
    EXPECT(og_path_join(path, sizeof path, s("/"), s("x")) == 2 && strcmp(path, "/x") == 0);
    EXPECT(og_path_join(path, 8, s("/etc/ssl"), s("site.crt")) == 0);
    EXPECT(og_path_join(path, 18, s("/etc/ssl"), s("site.crt")) == 17);
    EXPECT(og_path_join(path, 17, s("/etc/ssl"), s("site.crt")) == 0);
    og_str with_nul = { "a\0b", 3 };
    EXPECT(og_path_join(path, sizeof path, s("/etc"), with_nul) == 0);
    EXPECT(og_path_is_plain_name(s("site")) && !og_path_is_plain_name(s("..")) && !og_path_is_plain_name(s("a/b")) &&
           !og_path_is_plain_name(s("")) && !og_path_is_plain_name(with_nul));

    /* PEM scanning. */
    const char *pem =
        "Bag Attributes\n"
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        "-----BEGIN CERTIFICATE-----\r\nBBBB\r\n-----END CERTIFICATE-----\r\n"
        "-----BEGIN CERTIFICATE-----\nCCCC\n-----END CERTIFICATE-----"
        "-----BEGIN CERTIFICATE-----\nDDDD (no end)\n";
    og_str text = exact(pem);
    og_bytes data = { (const uint8_t *)text.ptr, text.len };
    size_t offset = 0;
    og_pem_block block;
    int keys = 0, certificates = 0;
    while (og_pem_next(data, &offset, &block)) {
        if (og_pem_is_private_key(&block)) keys++;
        if (og_pem_is_certificate(&block)) {
            certificates++;
            EXPECT(block.block.len > 0 && memcmp(block.block.ptr, "-----BEGIN CERTIFICATE-----", 27) == 0);
        }
    }
    EXPECT(keys == 1 && certificates == 2);
    offset = 0;
    og_bytes empty = { NULL, 0 };
    EXPECT(!og_pem_next(empty, &offset, &block));

    /* Results. */
    og_node_list *list = og_result_new(sizeof *list);
    EXPECT(list != NULL);
    og_node *nodes = og_result_alloc(list, 3 * sizeof *nodes);
    EXPECT(nodes != NULL && ((uintptr_t)nodes % _Alignof(max_align_t)) == 0);
    for (int i = 0; i < 3; i++) EXPECT(og_result_copy(list, exact("node"), &nodes[i].name) && nodes[i].name.len == 4);
    og_bytes copied;
    EXPECT(og_result_copy_bytes(list, data, &copied) && copied.len == data.len && memcmp(copied.ptr, data.ptr, data.len) == 0);
    og_str nothing;
    EXPECT(og_result_copy(list, s(""), &nothing) && nothing.len == 0);
    og_result_free(list); /* LeakSanitizer reports anything left */
    og_result_free(NULL);

    /* Options. */
    og_option options[] = { { s("cert_dir"), s("/srv") }, { s("empty"), s("") } };
    og_endpoint endpoint = { .struct_size = sizeof endpoint, .options = options, .option_count = 2 };
    EXPECT(og_endpoint_option(&endpoint, "cert_dir") != NULL && og_str_equals(*og_endpoint_option(&endpoint, "cert_dir"), "/srv"));
    EXPECT(og_endpoint_option(&endpoint, "empty") != NULL && og_endpoint_option(&endpoint, "empty")->len == 0);
    EXPECT(og_endpoint_option(&endpoint, "missing") == NULL);
    endpoint.struct_size = 8;
    EXPECT(og_endpoint_option(&endpoint, "cert_dir") == NULL);

    for (size_t i = 0; i < block_count; i++) free(blocks[i]);
    if (failures == 0) printf("all og_plugin_util.h checks passed\n");
    return failures == 0 ? 0 : 1;
}
