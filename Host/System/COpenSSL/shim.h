#ifndef OG_COPENSSL_SHIM_H
#define OG_COPENSSL_SHIM_H
/* Thin view of OpenSSL 3 for Swift. Function-like macros do not import into
 * Swift, so the few we need are re-exposed as static inline functions here. */
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ec.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/ssl.h>
#include <openssl/provider.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/decoder.h>
#include <string.h>

static inline long og_BIO_get_mem_data(BIO *b, char **pp) { return BIO_get_mem_data(b, pp); }
static inline long og_SSL_set_tlsext_host_name(SSL *s, const char *name) { return SSL_set_tlsext_host_name(s, name); }
static inline int og_sk_X509_num(const STACK_OF(X509) *sk) { return sk_X509_num(sk); }
static inline X509 *og_sk_X509_value(const STACK_OF(X509) *sk, int i) { return sk_X509_value(sk, i); }
static inline STACK_OF(X509) *og_sk_X509_new_null(void) { return sk_X509_new_null(); }
static inline int og_sk_X509_push(STACK_OF(X509) *sk, X509 *x) { return sk_X509_push(sk, x); }
static inline void og_sk_X509_pop_free(STACK_OF(X509) *sk) { sk_X509_pop_free(sk, X509_free); }
static inline void og_sk_X509_free(STACK_OF(X509) *sk) { sk_X509_free(sk); }
static inline int og_sk_GENERAL_NAME_num(const GENERAL_NAMES *sk) { return sk_GENERAL_NAME_num(sk); }
static inline GENERAL_NAME *og_sk_GENERAL_NAME_value(const GENERAL_NAMES *sk, int i) { return sk_GENERAL_NAME_value(sk, i); }
static inline void og_GENERAL_NAMES_free(GENERAL_NAMES *g) { GENERAL_NAMES_free(g); }
static inline int og_sk_PKCS12_SAFEBAG_num(const STACK_OF(PKCS12_SAFEBAG) *sk) { return sk_PKCS12_SAFEBAG_num(sk); }
static inline PKCS12_SAFEBAG *og_sk_PKCS12_SAFEBAG_value(const STACK_OF(PKCS12_SAFEBAG) *sk, int i) { return sk_PKCS12_SAFEBAG_value(sk, i); }
static inline int og_sk_PKCS7_num(const STACK_OF(PKCS7) *sk) { return sk_PKCS7_num(sk); }
static inline PKCS7 *og_sk_PKCS7_value(const STACK_OF(PKCS7) *sk, int i) { return sk_PKCS7_value(sk, i); }
static inline void og_ERR_clear(void) { ERR_clear_error(); }

/* --- Added for OGMaterial (Host/Material). --- */
static inline void og_OPENSSL_free(void *p) { OPENSSL_free(p); }
/* RFC 4514 order and escaping, but UTF-8 kept readable instead of hex-escaped. */
static inline int og_X509_NAME_print_rfc4514(BIO *out, const X509_NAME *name) {
    return X509_NAME_print_ex(out, name, 0, (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) | ASN1_STRFLGS_UTF8_CONVERT);
}
static inline int og_sk_X509_EXTENSION_num(const STACK_OF(X509_EXTENSION) *sk) { return sk_X509_EXTENSION_num(sk); }
static inline void og_sk_X509_EXTENSION_pop_free(STACK_OF(X509_EXTENSION) *sk) { sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free); }
static inline GENERAL_NAMES *og_GENERAL_NAMES_new(void) { return sk_GENERAL_NAME_new_null(); }
static inline int og_sk_GENERAL_NAME_push(GENERAL_NAMES *sk, GENERAL_NAME *g) { return sk_GENERAL_NAME_push(sk, g); }
static inline long og_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) { return SSL_CTX_set_min_proto_version(ctx, version); }
static inline void og_sk_PKCS12_SAFEBAG_pop_free(STACK_OF(PKCS12_SAFEBAG) *sk) { sk_PKCS12_SAFEBAG_pop_free(sk, PKCS12_SAFEBAG_free); }
static inline void og_sk_PKCS7_pop_free(STACK_OF(PKCS7) *sk) { sk_PKCS7_pop_free(sk, PKCS7_free); }
static inline int og_PKCS7_type_nid(const PKCS7 *p7) { return OBJ_obj2nid(p7->type); }
/* PKCS12_unpack_p7encdata with an explicit library context, so bags encrypted
 * with algorithms from the legacy provider (RC2-40) can be read without
 * loading that provider process-wide. */
static inline STACK_OF(PKCS12_SAFEBAG) *og_PKCS12_unpack_p7encdata_ex(PKCS7 *p7, const char *pass, int passlen,
                                                                     OSSL_LIB_CTX *libctx) {
    if (OBJ_obj2nid(p7->type) != NID_pkcs7_encrypted || p7->d.encrypted == NULL) return NULL;
    return (STACK_OF(PKCS12_SAFEBAG) *)PKCS12_item_decrypt_d2i_ex(p7->d.encrypted->enc_data->algorithm,
        ASN1_ITEM_rptr(PKCS12_SAFEBAGS), pass, passlen, p7->d.encrypted->enc_data->enc_data, 1, libctx, NULL);
}
/* The bytes of an OCTET STRING attribute value (e.g. localKeyID), or NULL. */
static inline const ASN1_OCTET_STRING *og_ASN1_TYPE_octet_string(const ASN1_TYPE *t) {
    return (t != NULL && t->type == V_ASN1_OCTET_STRING) ? t->value.octet_string : NULL;
}
static inline STACK_OF(PKCS7) *og_sk_PKCS7_new_null(void) { return sk_PKCS7_new_null(); }

static inline STACK_OF(PKCS12_SAFEBAG) *og_sk_PKCS12_SAFEBAG_new_null(void) { return sk_PKCS12_SAFEBAG_new_null(); }
static inline int og_sk_PKCS12_SAFEBAG_push(STACK_OF(PKCS12_SAFEBAG) *sk, PKCS12_SAFEBAG *bag) { return sk_PKCS12_SAFEBAG_push(sk, bag); }
/* The iteration count of a shrouded key's protection when it is exactly the
 * scheme og-host writes -- `cipher_nid` NID_aes_256_cbc: PBES2 with
 * PBKDF2-HMAC-SHA256 and AES-256-CBC; NID_pbe_WithSHA1And3_Key_TripleDES_CBC:
 * that PKCS#12 PBE -- or 0 for anything else. */
static inline long og_PKCS8_shroud_iterations(const X509_SIG *sig, int cipher_nid) {
    const X509_ALGOR *alg = NULL;
    const ASN1_OCTET_STRING *digest = NULL;
    long iterations = 0;
    X509_SIG_get0(sig, &alg, &digest);
    if (alg == NULL || alg->parameter == NULL) return 0;
    int scheme = OBJ_obj2nid(alg->algorithm);
    if (cipher_nid == NID_pbe_WithSHA1And3_Key_TripleDES_CBC) {
        if (scheme != cipher_nid) return 0;
        PBEPARAM *pbe = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM), alg->parameter);
        if (pbe == NULL) return 0;
        iterations = ASN1_INTEGER_get(pbe->iter);
        PBEPARAM_free(pbe);
        return iterations > 0 ? iterations : 0;
    }
    if (scheme != NID_pbes2) return 0;
    PBE2PARAM *pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter);
    if (pbe2 == NULL) return 0;
    if (OBJ_obj2nid(pbe2->keyfunc->algorithm) == NID_id_pbkdf2 && OBJ_obj2nid(pbe2->encryption->algorithm) == cipher_nid
        && pbe2->keyfunc->parameter != NULL) {
        PBKDF2PARAM *kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter);
        if (kdf != NULL) {
            int prf = kdf->prf != NULL ? OBJ_obj2nid(kdf->prf->algorithm) : NID_hmacWithSHA1;
            if (prf == NID_hmacWithSHA256) iterations = ASN1_INTEGER_get(kdf->iter);
            PBKDF2PARAM_free(kdf);
        }
    }
    PBE2PARAM_free(pbe2);
    return iterations > 0 ? iterations : 0;
}

/* EVP_PKCS82PKEY, told the key's algorithm: OpenSSL 3.0's EVP_PKCS82PKEY builds
 * a decoder context for every key type there is (about 4 M instructions a key
 * after the first); naming the type from the structure's own algorithm OID
 * builds only that type's (about 1.7 M). Anything the named decoder cannot read
 * goes to EVP_PKCS82PKEY as before, so the keys accepted are the same. */
static inline EVP_PKEY *og_PKCS8_to_pkey(const PKCS8_PRIV_KEY_INFO *p8) {
    const ASN1_OBJECT *oid = NULL;
    char type[80];
    unsigned char *der = NULL;
    EVP_PKEY *pkey = NULL;
    if (PKCS8_pkey_get0(&oid, NULL, NULL, NULL, p8) && oid != NULL
        && OBJ_obj2txt(type, sizeof type, oid, 1) > 0) {
        int length = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
        if (length > 0 && der != NULL) {
            ERR_set_mark();
            OSSL_DECODER_CTX *ctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", "PrivateKeyInfo", type,
                                                                  EVP_PKEY_KEYPAIR, NULL, NULL);
            const unsigned char *cursor = der;
            size_t left = (size_t)length;
            if (ctx == NULL || !OSSL_DECODER_from_data(ctx, &cursor, &left)) {
                EVP_PKEY_free(pkey);
                pkey = NULL;
            }
            OSSL_DECODER_CTX_free(ctx);
            ERR_pop_to_mark();
            OPENSSL_clear_free(der, (size_t)length);
        }
    }
    return pkey != NULL ? pkey : EVP_PKCS82PKEY(p8);
}

/* The next PEM block of `bio` when it is an unencrypted PKCS#8 "PRIVATE KEY",
 * read through og_PKCS8_to_pkey (PEM_read_bio_PrivateKey would build decoders
 * for every key type and PEM structure); NULL for any other block or anything
 * unreadable, which the caller then reads with PEM_read_bio_PrivateKey as
 * before. The DER copy of the key is cleared before it is freed. */
static inline EVP_PKEY *og_PEM_read_plain_PKCS8(BIO *bio) {
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    long length = 0;
    EVP_PKEY *pkey = NULL;
    ERR_set_mark();
    if (PEM_read_bio(bio, &name, &header, &data, &length) == 1 && strcmp(name, "PRIVATE KEY") == 0) {
        const unsigned char *cursor = data;
        PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &cursor, length);
        if (p8 != NULL) {
            pkey = og_PKCS8_to_pkey(p8);
            PKCS8_PRIV_KEY_INFO_free(p8);
        }
    }
    ERR_pop_to_mark();
    OPENSSL_free(name);
    OPENSSL_free(header);
    if (data != NULL) OPENSSL_clear_free(data, (size_t)length);
    return pkey;
}

#endif
