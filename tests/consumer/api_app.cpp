// api_app.cpp - a C++20 consumer of zsock's C API (every public C header), linked
// against an installed libzsock. A loopback exchange with RAII-owned descriptors.
#include <zsock/fdtable.h>
#include <zsock/offload.h>
#include <zsock/posix.h>
#include <zsock/socket.h>
#include <zsock/version.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <span>
#include <string_view>
#include <utility>

namespace {

class fd {
public:
    explicit fd(int n) : n_(n) {}
    fd(fd &&o) noexcept : n_(std::exchange(o.n_, -1)) {}
    fd(const fd &) = delete;
    ~fd() {
        if (n_ >= 0) zsock_close(n_);
    }
    int get() const { return n_; }

private:
    int n_;
};

bool send_all(int s, std::span<const char> bytes) {
    while (!bytes.empty()) {
        ssize_t n = zsock_send(s, bytes.data(), bytes.size(), 0);
        if (n <= 0) return false;
        bytes = bytes.subspan(static_cast<size_t>(n));
    }
    return true;
}

} // namespace

int main() {
    sockaddr_in a{};
    a.sin_family = ZSOCK_AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    auto *sa = reinterpret_cast<sockaddr *>(&a);

    fd l(zsock_socket(ZSOCK_AF_INET, ZSOCK_SOCK_STREAM, 0));
    if (l.get() < 0 || zsock_bind(l.get(), sa, sizeof a) != 0 || zsock_listen(l.get(), 1) != 0 ||
        zsock_getsockname(l.get(), sa, &len) != 0)
        return 1;
    fd c(zsock_socket(ZSOCK_AF_INET, ZSOCK_SOCK_STREAM, 0));
    if (zsock_connect(c.get(), sa, sizeof a) != 0) return 1;
    fd s(zsock_accept(l.get(), nullptr, nullptr));
    constexpr std::string_view msg = "from C++";
    if (!send_all(c.get(), msg)) return 1;
    std::array<char, 16> buf{};
    if (zsock_recv(s.get(), buf.data(), msg.size(), ZSOCK_MSG_WAITALL) !=
        static_cast<ssize_t>(msg.size()))
        return 1;
    if (std::string_view(buf.data(), msg.size()) != msg) return 1;
    std::printf("zsock %s from C++: ok\n", ZSOCK_VERSION_STRING);
    return 0;
}
