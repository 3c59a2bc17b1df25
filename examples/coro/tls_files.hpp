// examples/coro/tls_files.hpp - PEM files into zsock's TLS credential store, for the examples.
#pragma once

#include <cstdio>
#include <string>

#include <zsock/tls_credentials.h>

namespace example {

/// The whole file, or false (with a message on stderr).
inline bool read_file(const char *prog, const char *path, std::string *out) {
    std::FILE *f = std::fopen(path, "rb");
    if (!f) {
        std::fprintf(stderr, "%s: cannot open %s\n", prog, path);
        return false;
    }
    char buf[4096];
    std::size_t n;
    out->clear();
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
        out->append(buf, n);
    bool ok = !std::ferror(f);
    std::fclose(f);
    if (!ok || out->empty()) std::fprintf(stderr, "%s: cannot read %s\n", prog, path);
    return ok && !out->empty();
}

/// Stores the file at path under (tag, type). PEM (the store copies it) or DER.
inline bool add_credential(const char *prog, sec_tag_t tag, tls_credential_type type,
                           const char *path) {
    std::string data;
    if (!read_file(prog, path, &data)) return false;
    int r = zsock_tls_credential_add(tag, type, data.data(), data.size());
    if (r < 0) {
        std::fprintf(stderr, "%s: %s: credential not stored (errno %d)\n", prog, path, -r);
        return false;
    }
    return true;
}

} // namespace example
