// tests/tls/tls_support.cpp - see tls_support.hpp.
#include "tls_support.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <mutex>
#include <netinet/in.h>
#include <spawn.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <zsock/posix.h>

extern char **environ;

namespace tls_test {
namespace {

std::string g_dir;

void remove_dir() {
    if (!g_dir.empty()) run_quiet("rm -rf '" + g_dir + "'");
}

bool make_pki(const std::string &d) {
    const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    auto in = [&](const std::string &cmd) { return run_quiet("cd '" + d + "' && " + cmd); };
    write_file(d + "/server.ext",
               "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
               "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
    write_file(d + "/client.ext", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
    return in("openssl req -x509 " + ec +
              " -keyout ca.key -out ca.pem -days 3650 -subj '/CN=zsock test CA'") &&
           in("openssl req " + ec + " -keyout server.key -out server.csr -subj '/CN=localhost'") &&
           in("openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 365 "
              "-extfile server.ext -out server.pem") &&
           // Expired: notAfter a day before it was made (openssl 3.0 has no -not_after).
           in("openssl req " + ec +
              " -keyout expired.key -out expired.csr -subj '/CN=localhost'") &&
           in("openssl x509 -req -in expired.csr -CA ca.pem -CAkey ca.key -set_serial 3 -days -1 "
              "-extfile server.ext -out expired.pem") &&
           in("openssl req -x509 " + ec +
              " -keyout rogue_ca.key -out rogue_ca.pem -days 3650 -subj '/CN=rogue CA'") &&
           in("openssl req " + ec + " -keyout rogue.key -out rogue.csr -subj '/CN=localhost'") &&
           in("openssl x509 -req -in rogue.csr -CA rogue_ca.pem -CAkey rogue_ca.key -set_serial 4 "
              "-days 365 "
              "-extfile server.ext -out rogue.pem") &&
           in("openssl req " + ec +
              " -keyout client.key -out client.csr -subj '/CN=zsock client'") &&
           in("openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -set_serial 5 -days 365 "
              "-extfile client.ext -out client.pem") &&
           in("openssl x509 -in ca.pem -outform DER -out ca.der") &&
           in("openssl x509 -in server.pem -outform DER -out server.der") &&
           in("openssl pkey -in server.key -outform DER -out server.key.der");
}

} // namespace

std::string read_file(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

void write_file(const std::string &path, std::string_view data) {
    std::ofstream f(path, std::ios::binary);
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

bool run_quiet(const std::string &cmd) {
    std::string full = "(" + cmd + ") >/dev/null 2>&1";
    return std::system(full.c_str()) == 0;
}

std::string pki::pem(std::string_view name) const {
    std::string s = read_file(path(name));
    s.push_back('\0');
    return s;
}

std::string pki::der(std::string_view name) const {
    return read_file(path(name));
}

const pki &the_pki() {
    static pki p;
    static std::once_flag once;
    static bool ok = false;
    std::call_once(once, [] {
        char tmpl[] = "/tmp/zsock-tls-XXXXXX";
        if (!mkdtemp(tmpl)) return;
        g_dir = tmpl;
        std::atexit(remove_dir);
        p.dir = g_dir;
        ok = make_pki(g_dir);
    });
    REQUIRE(ok);
    return p;
}

// ---- child processes
// -------------------------------------------------------------------------------

child::child(std::vector<std::string> argv, std::string stdin_file) {
    static int counter = 0;
    out_path_ = the_pki().path("child-" + std::to_string(getpid()) + "-" +
                               std::to_string(++counter) + ".out");
    // Every child runs under timeout(1), so that none outlives a crashed test for long.
    argv.insert(argv.begin(), {"timeout", "120"});
    std::vector<char *> args;
    for (auto &a : argv)
        args.push_back(a.data());
    args.push_back(nullptr);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    int pipefd[2] = {-1, -1};
    if (stdin_file.empty()) {
        REQUIRE(pipe2(pipefd, O_CLOEXEC) == 0);
        posix_spawn_file_actions_adddup2(&fa, pipefd[0], 0);
    } else {
        posix_spawn_file_actions_addopen(&fa, 0, stdin_file.c_str(), O_RDONLY, 0);
    }
    posix_spawn_file_actions_addopen(&fa, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    int r = posix_spawnp(&pid_, "timeout", &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (pipefd[0] >= 0) ::close(pipefd[0]);
    stdin_fd_ = pipefd[1];
    REQUIRE(r == 0);
}

child::~child() {
    close_stdin();
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM); // timeout(1) passes it on to the openssl process
        for (int i = 0; i < 200; ++i) {
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    ::unlink(out_path_.c_str());
}

std::string child::output() const {
    return read_file(out_path_);
}

bool child::wait_output(std::string_view needle, std::chrono::milliseconds timeout) const {
    auto end = std::chrono::steady_clock::now() + timeout;
    do {
        if (output().find(needle) != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } while (std::chrono::steady_clock::now() < end);
    return false;
}

void child::write_stdin(std::string_view data) {
    size_t off = 0;
    while (off < data.size() && stdin_fd_ >= 0) {
        ssize_t n = ::write(stdin_fd_, data.data() + off, data.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
    }
}

void child::close_stdin() {
    if (stdin_fd_ >= 0) ::close(stdin_fd_);
    stdin_fd_ = -1;
}

int child::wait_exit(std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0) {
        int st = 0;
        if (waitpid(pid_, &st, WNOHANG) == pid_) {
            pid_ = -1;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        if (std::chrono::steady_clock::now() >= end) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
}

uint16_t free_port(int type) {
    int fd = ::socket(AF_INET, type, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0);
    ::close(fd);
    return ntohs(a.sin_port);
}

static std::vector<std::string> server_argv(uint16_t port, const std::vector<std::string> &args,
                                            bool dtls) {
    std::vector<std::string> v = {"openssl", "s_server", "-accept",
                                  "127.0.0.1:" + std::to_string(port)};
    if (dtls) v.push_back("-dtls1_2");
    v.insert(v.end(), args.begin(), args.end());
    return v;
}

bool trace_received_close_notify(const std::string &trace) {
    // -trace prints each record under "Sent Record" or "Received Record", its alerts decoded.
    for (size_t at = trace.find("close notify"); at != std::string::npos;
         at = trace.find("close notify", at + 1)) {
        size_t got = trace.rfind("Received Record", at), sent = trace.rfind("Sent Record", at);
        if (got != std::string::npos && (sent == std::string::npos || got > sent)) return true;
    }
    return false;
}

s_server::s_server(std::vector<std::string> args, std::string stdin_file, bool dtls)
    : port(free_port(dtls ? SOCK_DGRAM : SOCK_STREAM)),
      proc(server_argv(port, args, dtls), stdin_file) {
    // The port may have been taken between free_port() and openssl's bind: the test then fails
    // loudly here rather than talking to a stranger.
    INFO(proc.output());
    REQUIRE(proc.wait_output("ACCEPT"));
}

// ---- credentials and sockets
// ---------------------------------------------------------------------------

void add_standard_credentials() {
    static std::once_flag once;
    std::call_once(once, [] {
        const pki &p = the_pki();
        auto add = [](sec_tag_t tag, tls_credential_type type, const std::string &data) {
            int r = zsock_tls_credential_add(tag, type, data.data(), data.size());
            REQUIRE((r == 0 || r == -EEXIST));
        };
        add(tag_ca, TLS_CREDENTIAL_CA_CERTIFICATE, p.pem("ca.pem"));
        add(tag_server, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, p.pem("server.pem"));
        add(tag_server, TLS_CREDENTIAL_PRIVATE_KEY, p.pem("server.key"));
        add(tag_ca_der, TLS_CREDENTIAL_CA_CERTIFICATE, p.der("ca.der"));
        add(tag_server_der, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, p.der("server.der"));
        add(tag_server_der, TLS_CREDENTIAL_PRIVATE_KEY, p.der("server.key.der"));
        add(tag_rogue, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, p.pem("rogue.pem"));
        add(tag_rogue, TLS_CREDENTIAL_PRIVATE_KEY, p.pem("rogue.key"));
        add(tag_expired, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, p.pem("expired.pem"));
        add(tag_expired, TLS_CREDENTIAL_PRIVATE_KEY, p.pem("expired.key"));
        const unsigned char key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        add(tag_psk, TLS_CREDENTIAL_PSK,
            std::string(reinterpret_cast<const char *>(key), sizeof key));
        add(tag_psk, TLS_CREDENTIAL_PSK_ID, psk_identity);
        add(tag_client, TLS_CREDENTIAL_PUBLIC_CERTIFICATE, p.pem("client.pem"));
        add(tag_client, TLS_CREDENTIAL_PRIVATE_KEY, p.pem("client.key"));
    });
}

int tls_client(uint16_t port, std::vector<sec_tag_t> tags, const char *hostname, int extra_flags) {
    int fd = zsock_socket(AF_INET, SOCK_STREAM | extra_flags, IPPROTO_TLS_1_2);
    if (fd < 0) return -errno;
    auto fail = [&] {
        int e = errno;
        zsock_close(fd);
        return -e;
    };
    if (!tags.empty() &&
        zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags.data(),
                         static_cast<socklen_t>(tags.size() * sizeof(sec_tag_t))) != 0)
        return fail();
    if (hostname &&
        zsock_setsockopt(fd, SOL_TLS, TLS_HOSTNAME, hostname, strlen(hostname) + 1) != 0)
        return fail();
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (zsock_connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) return fail();
    return fd;
}

int tls_listener(std::vector<sec_tag_t> tags, uint16_t *port, int extra_flags) {
    int fd = zsock_socket(AF_INET, SOCK_STREAM | extra_flags, IPPROTO_TLS_1_2);
    if (fd < 0) return -errno;
    auto fail = [&] {
        int e = errno;
        zsock_close(fd);
        return -e;
    };
    int one = 1;
    zsock_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (!tags.empty() &&
        zsock_setsockopt(fd, SOL_TLS, TLS_SEC_TAG_LIST, tags.data(),
                         static_cast<socklen_t>(tags.size() * sizeof(sec_tag_t))) != 0)
        return fail();
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (zsock_bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 ||
        zsock_listen(fd, 16) != 0 ||
        zsock_getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) != 0)
        return fail();
    *port = ntohs(a.sin_port);
    return fd;
}

bool send_all(int fd, std::string_view data) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = zsock_send(fd, data.data() + off, data.size() - off, 0);
        if (n <= 0) return false;
        off += static_cast<size_t>(n);
    }
    return true;
}

std::string recv_n(int fd, size_t n) {
    std::string out(n, '\0');
    size_t got = 0;
    while (got < n) {
        ssize_t r = zsock_recv(fd, out.data() + got, n - got, 0);
        if (r <= 0) break;
        got += static_cast<size_t>(r);
    }
    out.resize(got);
    return out;
}

std::string recv_all(int fd) {
    std::string out;
    char buf[16384];
    for (;;) {
        ssize_t r = zsock_recv(fd, buf, sizeof buf, 0);
        if (r <= 0) break;
        out.append(buf, static_cast<size_t>(r));
    }
    return out;
}

uint64_t fnv1a(std::string_view data, uint64_t h) {
    for (unsigned char c : data) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

std::string random_bytes(size_t n, uint32_t seed) {
    std::string s(n, '\0');
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s[i] = static_cast<char>(x | 0x80); // never an ASCII command letter for s_server/s_client
    }
    return s;
}

} // namespace tls_test
