/* Its discovery learns the certificate of a combined key + certificate PEM
 * through read_file_certificates (since 1.1), so the key never reaches it: the
 * node is named after the certificate's common name. */
#define FIXTURE_NAME "reads-key-file"
#define FIXTURE_CUSTOM_DISCOVER_NODES
#include "fixture_plugin.h"

static og_status fixture_discover_nodes(og_call *call, const og_endpoint *endpoint, og_node_list **out) {
    const og_str *dir = fixture_store_dir(call, endpoint);
    if (dir == NULL) return OG_ERR_INVALID_ARGUMENT;
    if (!OG_HAS_FIELD(fixture_host, og_host_api, read_file_certificates) || fixture_host->read_file_certificates == NULL) {
        fixture_error(call, "", "the host has no read_file_certificates");
        return OG_ERR_NOT_SUPPORTED;
    }
    char path[4200];
    if (dir->len > 4096) return OG_ERR_INVALID_ARGUMENT;
    memcpy(path, dir->ptr, dir->len);
    memcpy(path + dir->len, "/combined.pem", sizeof "/combined.pem");
    og_certificate_list *list = NULL;
    og_status status = fixture_host->read_file_certificates(call, fixture_text(path), &list);
    if (status != OG_OK) return status;
    struct nodes { og_node_list list; og_node node; char name[256]; } *result = calloc(1, sizeof *result);
    if (result == NULL || list->count == 0 || list->certificates[0]->common_name.len >= sizeof result->name) {
        fixture_host->release(list);
        free(result);
        return OG_ERR_NO_MEMORY;
    }
    og_str name = list->certificates[0]->common_name;
    memcpy(result->name, name.ptr, name.len);
    fixture_host->release(list);
    result->node.struct_size = sizeof(og_node);
    result->node.id = fixture_text("combined");
    result->node.name.ptr = result->name;
    result->node.name.len = name.len;
    result->node.protocol = fixture_text("keystore");
    result->list.struct_size = sizeof(og_node_list);
    result->list.nodes = &result->node;
    result->list.count = 1;
    *out = &result->list;
    return OG_OK;
}
