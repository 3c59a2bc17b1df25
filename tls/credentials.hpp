// tls/credentials.hpp - the credential store, as the TLS sockets see it.
//
// The public C API (<zsock/tls_credentials.h>) adds, gets and deletes copies. Sockets take a
// snapshot of the blobs they need when they build their mbedTLS configuration: certificates are
// shared (a TLS_CERT_NOCOPY socket keeps the blob alive while mbedTLS points into it), key
// material is copied out and zeroized by the copy's owner once parsed.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include <zsock/tls_credentials.h>

namespace zsock::tls {

/// A credential's bytes. Zeroized when destroyed, and in place when deleted if it is key material.
class cred_blob {
public:
    explicit cred_blob(std::span<const unsigned char> bytes) : data_(bytes.begin(), bytes.end()) {}
    ~cred_blob();
    cred_blob(const cred_blob &) = delete;
    cred_blob &operator=(const cred_blob &) = delete;

    std::span<const unsigned char> bytes() const noexcept { return data_; }
    void zeroize() noexcept;

private:
    std::vector<unsigned char> data_;
};

using cred_ref = std::shared_ptr<const cred_blob>;

/// The blob stored under (tag, type), or null. Key types (PRIVATE_KEY, PSK) come back as a private
/// copy, so that deleting them can zeroize the stored bytes at once.
cred_ref cred_find(sec_tag_t tag, tls_credential_type type);

/// True when any credential is stored under tag.
bool cred_tag_exists(sec_tag_t tag);

/// The stored blob itself (for tests: it shows that delete zeroizes key material).
cred_ref cred_find_stored(sec_tag_t tag, tls_credential_type type);

/// True when the bytes look like PEM ("-----BEGIN" somewhere in them).
bool cred_is_pem(std::span<const unsigned char> bytes) noexcept;

/// The bytes as mbedTLS's PEM parsers want them: NUL-terminated, the NUL counted. Returns the
/// input itself when it already ends in a NUL, else a zeroize-on-destroy copy with one added.
class pem_input {
public:
    explicit pem_input(std::span<const unsigned char> bytes);
    ~pem_input();
    pem_input(const pem_input &) = delete;
    pem_input &operator=(const pem_input &) = delete;
    const unsigned char *data() const noexcept { return view_.data(); }
    size_t size() const noexcept { return view_.size(); }

private:
    std::vector<unsigned char> copy_;
    std::span<const unsigned char> view_;
};

} // namespace zsock::tls
